"""Every notebook in notebooks/ runs in a real JupyterLab without an error.

Each notebook is copied to a scratch folder (autosave never touches the
committed file), opened with a fresh kernel, run with Run -> Run All Cells,
then checked for tracebacks and widgets that failed to render. A screenshot of
the first screen lands in test-artifacts/lab-<name>.png.

Per-notebook interaction tests (clicking "next", moving sliders) live beside
this file and use the same helpers.
"""

from pathlib import Path

import pytest
from labharness import assert_no_errors, open_notebook, run_all, screenshot

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_lab(page, lab, path):
    open_notebook(page, lab.copy_notebook(path))
    run_all(page)
    assert_no_errors(page)
    screenshot(page, f"lab-{path.stem}")
