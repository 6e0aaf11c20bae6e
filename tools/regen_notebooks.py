"""Re-execute notebooks and store their outputs in canonical form.

``make notebooks`` (or ``./mt notebooks [NB.ipynb ...]``) runs this. Notebooks
that have a plain-text source ``notebooks/src/<name>.py`` are first rebuilt
from it with ``notebooks/src/build.py`` (skip with ``--no-build``). Then each
notebook (default: every ``notebooks/*.ipynb``) is executed top to bottom in a
fresh kernel of *this* Python (the project's .venv, whatever kernelspecs the
user has), from the notebook's own folder, with timings off and the widget
state saved, then canonicalized (``tools/canonicalize.py``). Running it twice
gives byte-identical files, so a diff shows only real changes. Commit the
result: nbval (``make test``) compares fresh runs against these outputs.

Cells tagged ``raises-exception`` may raise; any other error prints the
cell's traceback, puts that file back as it was, and goes on with the next
notebook (the exit status is then 1).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import ipykernel.kernelspec
import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from canonicalize import canonical_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILDER = NOTEBOOKS / "src" / "build.py"


class CurrentEnvSpecs(KernelSpecManager):
    """Every kernel name resolves to ipykernel in the running interpreter."""

    def get_kernel_spec(self, kernel_name):
        return self.kernel_spec_class(
            resource_dir=ipykernel.kernelspec.RESOURCES, **ipykernel.kernelspec.get_kernel_dict()
        )


def execute(path, timeout):
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=CurrentEnvSpecs())
    client = NotebookClient(
        nb,
        km=km,
        timeout=timeout,
        record_timing=False,
        store_widget_state=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        # The kernel's own stderr is only start-up chatter; cell errors and
        # their tracebacks come back as messages and stop the run.
        client.execute(stderr=subprocess.DEVNULL)
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return nb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    parser.add_argument("--no-build", action="store_true", help="do not rebuild notebooks from notebooks/src/*.py first")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if a file would change")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    before = {p.resolve(): p.read_text(encoding="utf-8") for p in NOTEBOOKS.glob("*.ipynb")}
    if BUILDER.exists() and not (args.no_build or args.check):
        stems = [p.stem for p in args.notebooks if (BUILDER.parent / f"{p.stem}.py").exists()]
        if stems or not args.notebooks:
            subprocess.run([sys.executable, str(BUILDER), *stems], check=True, cwd=ROOT)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 0
    stale = 0
    failed = []
    for path in paths:
        path = path.resolve()
        start = time.monotonic()
        try:
            nb = execute(path, args.timeout)
        except CellExecutionError as exc:
            if path in before:
                path.write_text(before[path], encoding="utf-8")
            print(f"{path.name}: a cell failed; file left as it was\n{exc}", file=sys.stderr)
            failed.append(path.name)
            continue
        new = canonical_text(nb)
        nbformat.validate(nbformat.reads(new, as_version=4))
        old = before.get(path) or path.read_text(encoding="utf-8")
        verdict = "unchanged" if new == old else ("would change" if args.check else "rewritten")
        if new != old:
            stale += 1
        # The build step may have replaced the file on disk: always write.
        if not args.check and path.read_text(encoding="utf-8") != new:
            path.write_text(new, encoding="utf-8")
        print(f"{path.name}: {verdict} ({time.monotonic() - start:.1f} s)")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
