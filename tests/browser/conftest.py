"""Fixtures for JupyterLab browser tests.

- ``lab``: a running :class:`labharness.LabServer` (``lab.url``,
  ``lab.copy_notebook(path)``, ``lab.scratch_dir()``, ``lab.rel(path)``), shared
  by consecutive tests that use it, stopped after the last of them;
- ``browser`` (from tests/conftest.py): headless Chromium via Playwright;
- ``page``: a fresh tab per test whose relative URLs (``page.goto("/lab/...")``)
  go to the server. A failing test leaves ``test-artifacts/FAILED-<test>.png``;
  kernels started by the test are shut down after it.

Every test in this folder is marked ``browser``. Without Chromium or the
Playwright package the tests skip and say which is missing.
"""

import re
from pathlib import Path

import pytest
from labharness import LabServer, Shared, screenshot

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


LAB = Shared("lab", lambda: LabServer().start(), lambda server: server.stop())


@pytest.fixture
def lab(browser):
    # Requested after `browser`, so a machine without Chromium skips before
    # paying for a server start.
    return LAB.get()


@pytest.fixture
def page(browser, lab, request):
    context = browser.new_context(base_url=lab.url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        try:
            screenshot(page, "FAILED-" + re.sub(r"[^\w.-]+", "_", request.node.name), full_page=True)
        except Exception:  # the page may be gone; the failure itself matters more
            pass
    context.close()
    lab.shutdown_sessions()
