"""The project's set-up files agree with each other (no network, no conda).

- environment.yml (conda / Binder) lists the runtime stack of pyproject.toml;
- the entry points the README promises exist and CI runs the README's command;
- committed notebooks carry their outputs in canonical form (make notebooks),
  since nbval compares fresh runs against those outputs;
- the nbval sanitize rules parse and still match what the canonicalizer writes.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from canonicalize import MASKED_ADDRESS, canonical_text  # noqa: E402

# PyPI name -> conda-forge name(s) that provide it.
CONDA_NAMES = {
    "graphviz": {"python-graphviz"},
    "matplotlib": {"matplotlib", "matplotlib-base"},
}
# conda entries that are not Python packages of the runtime stack.
CONDA_ONLY = {"python", "pip", "graphviz"}
CONDA_SPEC = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$")


@pytest.fixture(scope="module")
def pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def env():
    with open(ROOT / "environment.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def conda_specs(env):
    """{name: version spec string} for the plain (non-pip) conda entries."""
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = CONDA_SPEC.match(dep.split("#")[0]).groups()
            out[name.lower()] = spec
    return out


def pip_section(env):
    sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(sections) == 1, "environment.yml needs exactly one pip: section"
    return sections[0]


def test_environment_uses_conda_forge_only(env):
    assert env["channels"] == ["conda-forge"]


def test_python_pin_is_exact_and_allowed(env, pyproject):
    spec = conda_specs(env)["python"]
    # repo2docker reads only an exact X.Y pin (python=3.11).
    match = re.fullmatch(r"=+\s*(\d+\.\d+)", spec)
    assert match, f"environment.yml pins python as {spec!r}; want python=X.Y"
    requires = SpecifierSet(pyproject["project"]["requires-python"])
    assert Version(match.group(1)) in requires


def test_graphviz_binaries_and_bindings_both_listed(env):
    specs = conda_specs(env)
    assert "graphviz" in specs, "conda needs graphviz (the dot program)"
    assert "python-graphviz" in specs, "conda needs python-graphviz (PyPI's graphviz)"


def test_pip_section_installs_this_package(env):
    specs = conda_specs(env)
    assert "pip" in specs, "list pip itself when there is a pip: section"
    assert any(line.strip() in ("-e .", ".") for line in pip_section(env))


def test_same_runtime_stack(env, pyproject):
    specs = conda_specs(env)
    runtime = [Requirement(r) for r in pyproject["project"]["dependencies"]]
    expected = set()
    for req in runtime:
        name = canonicalize_name(req.name)
        choices = CONDA_NAMES.get(name, {name})
        present = choices & set(specs)
        assert present, f"pyproject dependency {req} has no conda entry (one of {sorted(choices)})"
        conda_name = present.pop()
        expected.add(conda_name)
        assert SpecifierSet(specs[conda_name]) == req.specifier, (
            f"{req.name}: pyproject says {str(req.specifier)!r}, environment.yml says {specs[conda_name]!r}"
        )
    extra = set(specs) - expected - CONDA_ONLY
    assert not extra, f"environment.yml lists {sorted(extra)}, which pyproject.toml's dependencies do not"


def test_dev_extras_cover_the_test_tools(pyproject):
    extras = pyproject["project"]["optional-dependencies"]
    test = {canonicalize_name(Requirement(r).name) for r in extras["test"]}
    assert {"pytest", "hypothesis", "nbval", "nbconvert", "playwright"} <= test
    assert any(Requirement(r).name == "mapletree" and "test" in Requirement(r).extras for r in extras["dev"])


def test_entry_points_exist_and_ci_runs_the_readme_command():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lab", "test", "notebooks"):
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile lacks target {target}"
        assert f"./mt {target}" in makefile
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [line for line in ci if line and not line.startswith("#")]
    assert commands[-1] == "exec make test"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_entry_script_parses_and_lists_its_commands():
    for script in ("mt", "scripts/setup.sh", ".ci/run"):
        subprocess.run(["bash", "-n", str(ROOT / script)], check=True)
    out = subprocess.run(["bash", str(ROOT / "mt"), "help"], check=True, capture_output=True, text=True).stdout
    for command in ("lab", "test", "notebooks", "setup"):
        assert f"./mt {command}" in out
    bad = subprocess.run(["bash", str(ROOT / "mt"), "no-such-command"], capture_output=True, text=True)
    assert bad.returncode == 1 and "unknown command 'no-such-command'" in bad.stderr


def test_sanitize_rules_parse_and_match_masked_addresses():
    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns((ROOT / "tools" / "nbval_sanitize.cfg").read_text())
    assert len(patterns) >= 3
    for regex, _ in patterns:
        re.compile(regex)

    def sanitize(text):
        for regex, replace in patterns:
            text = re.sub(regex, replace, text)
        return text

    fresh = "<graphviz.graphs.Digraph at 0x7f3a9c1d45d0>"
    stored = f"<graphviz.graphs.Digraph at {MASKED_ADDRESS}>"
    assert sanitize(fresh) == sanitize(stored) != fresh


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_executed_and_canonical(path):
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    counts = [c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert None not in counts, f"{path.name} has unrun code cells (nbval would not compare them): run `make notebooks`"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name} was not run top to bottom in one fresh kernel: run `make notebooks`"
    assert canonical_text(nb) == text, f"{path.name} is not in canonical form: run `make notebooks` (or python tools/canonicalize.py {path.name})"


# ---------------------------------------------------------------- canonicalizer

def _widget_notebook(ids, order, address):
    """A small executed notebook: a VBox(slider, html) view, a link nobody shows."""
    box, slider, html, layout, link = ids
    ref = "IPY_MODEL_%s".__mod__
    models = {
        box: {"model_name": "VBoxModel", "state": {"children": [ref(slider), ref(html)], "layout": ref(layout)}},
        slider: {"model_name": "IntSliderModel", "state": {"value": 3, "layout": ref(layout)}},
        html: {"model_name": "HTMLModel", "state": {"value": "<svg/>"}},
        layout: {"model_name": "LayoutModel", "state": {}},
        link: {"model_name": "LinkModel", "state": {"source": [ref(slider), "value"], "target": [ref(slider), "max"]}},
    }
    state = {k: dict(models[k], model_module="@jupyter-widgets/controls", model_module_version="2.0.0") for k in order}
    view = {"model_id": box, "version_major": 2, "version_minor": 0}
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": state, "version_major": 2, "version_minor": 0}}},
        "cells": [
            {"cell_type": "code", "id": "c1", "execution_count": 1, "source": "w", "metadata": {"execution": {"iopub.status.busy": "2026"}},
             "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                          "data": {"application/vnd.jupyter.widget-view+json": view, "text/plain": "VBox(...)"}}]},
            {"cell_type": "code", "id": "c2", "execution_count": 2, "source": "print(object())", "metadata": {},
             "outputs": [{"output_type": "stream", "name": "stdout", "text": f"<object object at {address}>\n"}]},
        ],
    }


def test_canonical_form_ignores_ids_order_addresses_and_timings():
    first = _widget_notebook(["a" * 32, "b" * 32, "c" * 32, "d" * 32, "e" * 32], ["a" * 32, "b" * 32, "c" * 32, "d" * 32, "e" * 32], "0x7f3a9c1d45d0")
    ids = ["9f" * 16, "17" * 16, "e2" * 16, "4c" * 16, "05" * 16]
    second = _widget_notebook(ids, [ids[4], ids[2], ids[0], ids[3], ids[1]], "0x7fee00112233")
    text = canonical_text(first)
    assert text == canonical_text(second)
    assert canonical_text(json.loads(text)) == text  # idempotent
    nb = json.loads(text)
    assert "execution" not in nb["cells"][0]["metadata"]
    assert nb["cells"][1]["outputs"][0]["text"] == [f"<object object at {MASKED_ADDRESS}>\n"]
    state = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    names = [state[k]["model_name"] for k in sorted(state)]
    # views first, depth first in reference order, then unreferenced models
    assert names == ["VBoxModel", "IntSliderModel", "LayoutModel", "HTMLModel", "LinkModel"]
    view = nb["cells"][0]["outputs"][0]["data"]["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == sorted(state)[0]
