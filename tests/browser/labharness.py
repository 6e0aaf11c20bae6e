"""Drive JupyterLab in headless Chromium: a server, a browser, and helpers.

The fixtures in ``tests/browser/conftest.py`` build on this module:

- ``lab`` (session): a :class:`LabServer` serving the repository root;
- ``page`` (per test): a fresh Chromium tab whose relative URLs go to that server.

Helpers for tests (all take the Playwright ``page``):

- ``open_notebook(page, path)``  open a notebook (path relative to the repo root,
  or absolute under it), wait until its kernel is connected and idle;
  returns the notebook panel's locator;
- ``run_all(page)``              clear outputs, Run -> Run All Cells, wait until every
  code cell has run ([1]..[n]) and the kernel is idle; raises on a cell error;
- ``wait_idle(page)``            wait until the kernel is idle again (after a click);
- ``assert_no_errors(page)``     no traceback in any output (cells tagged
  ``raises-exception`` excepted), no widget that failed
  to render ("Error displaying widget", a view stuck at "Loading widget...");
- ``screenshot(page, name)``     save ``test-artifacts/<name>.png``; returns its path.

Selectors: scope everything to ``PANEL`` (the visible notebook), e.g.
``page.locator(f"{PANEL} .widget-button")``. ipywidgets 8 class names:
``.widget-button``, ``.widget-slider .noUi-handle`` (focus it and press
ArrowRight), ``.widget-slider .widget-readout``, ``.widget-html-content svg``.
JupyterLab shows ``image/svg+xml`` outputs as ``<img src="data:image/svg+xml,...">``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def find_chromium():
    """Path of a Chromium to drive, or None (MAPLETREE_CHROMIUM overrides)."""
    explicit = os.environ.get("MAPLETREE_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Shared:
    """A resource kept across consecutive tests that request ``fixture``.

    get(): start on first use (cost: the resource's start-up); stop(): release.
    """

    live = {}

    def __init__(self, fixture, start, stop):
        self.fixture, self._start, self._stop, self.value = fixture, start, stop, None

    def get(self):
        if self.value is None:
            self.value = self._start()
            Shared.live[self.fixture] = self
        return self.value

    def stop(self):
        if self.value is not None:
            value, self.value = self.value, None
            Shared.live.pop(self.fixture, None)
            self._stop(value)


def _start_chromium():
    path = find_chromium()
    if path is None:
        pytest.skip("Chromium not found: apt-get install chromium (make test does it as root), or set MAPLETREE_CHROMIUM")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed: pip install -e '.[dev]' (make test does it)")
    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
    except Exception:
        manager.stop()
        raise
    return manager, browser


def _stop_chromium(value):
    manager, browser = value
    try:
        browser.close()
    finally:
        manager.stop()


CHROMIUM = Shared("browser", _start_chromium, _stop_chromium)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """One ``jupyter lab`` on 127.0.0.1 for the session (start/stop, REST, scratch files).

    - start()/stop(): launch and wait for /api/status (~5 s); terminate.      cost: seconds
    - scratch_dir(): a fresh folder under the served root (test-artifacts/).  cost: O(1)
    - copy_notebook(src): pristine copy of a notebook in a scratch folder,
      so autosave never touches the committed file; returns its served path. cost: one copy
    - rel(path): a path as JupyterLab names it (relative to the root).       cost: O(1)
    - shutdown_sessions(): stop every kernel this server runs.               cost: one request each
    """

    def __init__(self, root=ROOT):
        self.root = Path(root)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.home = Path(tempfile.mkdtemp(prefix="mapletree-lab-"))
        self.scratch = ARTIFACTS / "browser-nb" / f"run-{os.getpid()}"
        self.log_path = ARTIFACTS / "jupyterlab.log"

    def _env(self):
        env = dict(os.environ)
        for var, sub in (
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_DATA_DIR", "data"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
            ("JUPYTERLAB_SETTINGS_DIR", "settings"),
            ("IPYTHONDIR", "ipython"),
        ):
            path = self.home / sub
            path.mkdir(parents=True, exist_ok=True)
            env[var] = str(path)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env.setdefault("PYTHONHASHSEED", "0")
        # No "Would you like to get notified about Jupyter news?" toast.
        labconfig = self.home / "config" / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
        )
        return env

    def start(self, timeout=90):
        ARTIFACTS.mkdir(exist_ok=True)
        self.scratch.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            "--IdentityProvider.token=", "--ServerApp.password=",
            f"--ServerApp.root_dir={self.root}", "--ServerApp.disable_check_xsrf=True",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=self._env(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.home, ignore_errors=True)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _request(self, method, path):
        req = urllib.request.Request(f"{self.url}{path}", method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_sessions(self):
        for session in self._request("GET", "/api/sessions") or []:
            try:
                self._request("DELETE", f"/api/sessions/{session['id']}")
            except urllib.error.URLError:
                pass

    def scratch_dir(self):
        path = self.scratch / uuid.uuid4().hex[:8]
        path.mkdir(parents=True)
        return path

    def rel(self, path):
        path = Path(path)
        if path.is_absolute():
            path = path.resolve().relative_to(self.root.resolve())
        return path.as_posix()

    def copy_notebook(self, src):
        src = Path(src)
        if not src.is_absolute():
            src = self.root / src
        dst = self.scratch_dir() / src.name
        shutil.copy2(src, dst)
        return self.rel(dst)


# ---------------------------------------------------------------- helpers

def _served_path(page, name):
    name = Path(name)
    if name.is_absolute():
        name = name.resolve().relative_to(ROOT.resolve())
    return name.as_posix()


def wait_idle(page, timeout=60_000):
    """Wait until the visible notebook's kernel is connected and idle."""
    from playwright.sync_api import expect

    expect(page.locator("#jp-main-statusbar")).to_contain_text("| Idle", timeout=timeout)
    page.locator(f"{PANEL} .jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
        state="attached", timeout=timeout
    )


def open_notebook(page, name, timeout=90_000):
    """Open ``name`` (path under the repo root) in a clean workspace; return the panel."""
    page.goto(f"/lab/tree/{_served_path(page, name)}?reset")
    page.locator(f"{PANEL} .jp-Notebook").wait_for(timeout=timeout)
    wait_idle(page, timeout=timeout)
    return page.locator(PANEL)


_CELL_STATE_JS = """(panel) => {
  const p = document.querySelector(panel);
  if (!p) return null;
  const cells = [...p.querySelectorAll('.jp-CodeCell')];
  return {
    prompts: cells.map(c => (c.querySelector('.jp-InputArea-prompt') || {}).textContent || ''),
    errors: [...p.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
      .filter(e => /Traceback|Error/.test(e.textContent)).map(e => e.textContent.slice(0, 2000)),
    status: (p.querySelector('.jp-Notebook-ExecutionIndicator') || {dataset: {}}).dataset.status,
  };
}"""


def _clear_outputs(page):
    cleared = page.evaluate(
        """async () => {
          const app = window.jupyterapp;
          if (!app) return false;
          await app.commands.execute('notebook:clear-all-cell-outputs');
          return true;
        }"""
    )
    if not cleared:  # same thing through the menus
        page.locator("li.lm-MenuBar-item:has-text('Edit')").click()
        page.locator("li.lm-Menu-item[data-command='editmenu:clear-all']").click()


def run_all(page, timeout=180):
    """Clear outputs, Run -> Run All Cells, wait for [1]..[n] and an idle kernel.

    Raises AssertionError with the traceback text if a cell fails (JupyterLab
    then stops running the cells below it). Cells tagged ``raises-exception``
    do not stop the run.
    """
    _clear_outputs(page)
    page.locator("li.lm-MenuBar-item:has-text('Run')").click()
    page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(_CELL_STATE_JS, PANEL)
        if state:
            prompts = [p.strip() for p in state["prompts"]]
            done = bool(prompts) and all(p.startswith("[") and p[1:-2].isdigit() for p in prompts)
            if done and state["status"] == "idle":
                break
            if state["status"] == "idle" and state["errors"] and "[*]:" not in prompts:
                raise AssertionError("a cell failed during Run All:\n" + "\n---\n".join(state["errors"]))
        time.sleep(0.25)
    else:
        raise AssertionError(f"Run All did not finish within {timeout} s; cell prompts: {state and state['prompts']}")
    wait_idle(page)


_PROBLEMS_JS = r"""(panel) => {
  const p = document.querySelector(panel);
  if (!p) return ['no notebook panel is visible'];
  // Cells tagged raises-exception are expected to show a traceback.
  const nb = window.jupyterapp && window.jupyterapp.shell.currentWidget
    && window.jupyterapp.shell.currentWidget.content;
  const expected = new Set();
  if (nb && nb.widgets) {
    for (const w of nb.widgets) {
      const tags = (w.model.getMetadata && w.model.getMetadata('tags')) || [];
      if (tags.includes('raises-exception')) expected.add(w.node);
    }
  }
  const problems = [];
  for (const cell of p.querySelectorAll('.jp-CodeCell')) {
    if (expected.has(cell)) continue;
    for (const e of cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')) {
      if (/Traceback|Error:/.test(e.textContent)) problems.push(e.textContent.slice(0, 2000));
    }
    for (const e of cell.querySelectorAll('.jp-OutputArea-output')) {
      const t = e.textContent;
      if (/Error displaying widget|Error rendering|Loading widget\.\.\./.test(t) && !e.querySelector('.jp-RenderedText')) {
        problems.push('widget: ' + t.slice(0, 300));
      }
    }
  }
  return problems;
}"""


def assert_no_errors(page, settle=5.0):
    """Fail if an output shows a traceback or a widget that did not render.

    Widgets render asynchronously, so "Loading widget..." gets ``settle``
    seconds to turn into the widget before it counts as a failure.
    """
    deadline = time.monotonic() + settle
    while True:
        problems = page.evaluate(_PROBLEMS_JS, PANEL)
        if not problems or time.monotonic() > deadline:
            break
        if not any(p.startswith("widget: ") for p in problems):
            break  # tracebacks do not go away by waiting
        time.sleep(0.25)
    assert not problems, "problems in the notebook's outputs:\n" + "\n---\n".join(problems)


def screenshot(page, name, full_page=False):
    """Save ``test-artifacts/<name>.png`` (git-ignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
