"""Fixtures for browser tests: one JupyterLab and one headless Chromium per session.

- ``lab``: the running :class:`labharness.LabServer` (``lab.url``,
  ``lab.copy_notebook(path)``, ``lab.scratch_dir()``, ``lab.rel(path)``);
- ``browser``: Playwright's Chromium, driving Debian's ``/usr/bin/chromium``
  (``playwright install`` is never run; set MAPLETREE_CHROMIUM for another binary);
- ``page``: a fresh tab per test; ``page.goto("/lab/...")`` goes to the server.
  A failing test leaves ``test-artifacts/FAILED-<test>.png``; kernels started by
  the test are shut down after it.

Every test in this folder is marked ``browser``. Without Chromium or the
Playwright package the tests skip and say which is missing.
"""

import re

import pytest
from labharness import CHROMIUM_ARGS, LabServer, find_chromium, screenshot


def pytest_collection_modifyitems(config, items):
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium_path():
    path = find_chromium()
    if path is None:
        pytest.skip("Chromium not found: apt-get install chromium (make test does it as root), or set MAPLETREE_CHROMIUM")
    return path


@pytest.fixture(scope="session")
def playwright_instance(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed: pip install -e '.[dev]' (make test does it)")
    manager = sync_playwright().start()
    yield manager
    manager.stop()


@pytest.fixture(scope="session")
def browser(playwright_instance, chromium_path):
    browser = playwright_instance.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def lab(chromium_path):
    server = LabServer().start()
    yield server
    server.stop()


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
