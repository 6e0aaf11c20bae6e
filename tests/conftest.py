"""Session-wide checks and shared fixtures for the whole suite.

Graphviz's ``dot`` program is needed by every diagram, so a machine without it
stops the run at once with the install commands, instead of failing dozens of
tests (or notebook cells) with ``ExecutableNotFound``. ``make test`` installs it
by itself when it runs as root on Debian/Ubuntu.

Headless Chromium, for any test in any folder:

- ``browser``: Playwright's Chromium driving Debian's ``/usr/bin/chromium``
  (``MAPLETREE_CHROMIUM`` picks another binary; ``playwright install`` is never
  needed). Skips, saying what is missing, without Chromium or Playwright.
- ``chromium_page``: a fresh page in its own context, closed after the test.

One Chromium is shared by consecutive tests that use these fixtures and is
stopped as soon as the next test does not, so a test that starts its own
``sync_playwright()`` never runs inside ours (Playwright's sync API refuses to
nest). Prefer these fixtures to a private ``sync_playwright()``.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

DOT_HINT = (
    "Graphviz 'dot' was not found on PATH; the diagrams need it. Install it with one of:\n"
    "  Debian/Ubuntu:  sudo apt-get install -y graphviz\n"
    "  conda:          conda install -c conda-forge graphviz python-graphviz\n"
    "  pip only:       pip install graphviz-pure && ln -s \"$(command -v graphviz-pure)\" \"$VIRTUAL_ENV/bin/dot\"\n"
    "(`make test` does the apt step itself when run as root.)"
)

# Same str hashes in the kernels nbval and the browser tests start, so printed
# sets come out in the order the stored outputs have.
os.environ.setdefault("PYTHONHASHSEED", "0")

# Hypothesis defaults for the whole suite: no per-example deadline (2 shared
# cores make timings noisy; speed is bench/'s business), and under CI a fixed
# seed so a run can be repeated. Per-test @settings still override these.
try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("mapletree", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("mapletree-ci", parent=settings.get_profile("mapletree"), derandomize=True, print_blob=True)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("mapletree-ci" if os.environ.get("CI") else "mapletree"))
except ImportError:  # pragma: no cover - hypothesis is in the [dev] extras
    pass

sys.path.insert(0, str(Path(__file__).resolve().parent / "browser"))
from labharness import CHROMIUM, Shared  # noqa: E402


def pytest_sessionstart(session):
    if shutil.which("dot") is None:
        pytest.exit(DOT_HINT, returncode=1)


@pytest.fixture
def browser():
    return CHROMIUM.get()[1]


@pytest.fixture
def chromium_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """Stop shared resources the next test does not ask for (after its own teardown)."""
    # nbval's notebook cells are items without fixtures.
    needed = set(getattr(nextitem, "fixturenames", ()))
    # Stop dependants (the Lab server) before the browser they may use.
    for name in sorted(Shared.live, key=lambda n: n == "browser"):
        if name not in needed:
            Shared.live[name].stop()


def pytest_sessionfinish(session):
    for name in sorted(Shared.live, key=lambda n: n == "browser"):
        Shared.live[name].stop()
