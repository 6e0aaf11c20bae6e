"""Each teaching notebook has the agreed structure and is committed with outputs.

The structure (title, learning goals, prerequisites, time to learn, a stepper
early on, summary, what's next, references, self-check) is what a lecturer
relies on; the stored outputs are what nbval compares against.
"""

import json
import pathlib
import re

import pytest

NB_DIR = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
EXPECTED = [
    "01-start-here", "02-address-space-to-tree", "03-walking-and-searching",
    "04-writes-in-depth", "05-fork-and-mt-dup", "06-dontcopy", "07-when-fork-fails",
    "08-exercises",
]


def load(name):
    return json.loads((NB_DIR / f"{name}.ipynb").read_text())


def markdown(nb):
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_all_notebooks_present():
    found = sorted(p.stem for p in NB_DIR.glob("[0-9][0-9]-*.ipynb"))
    assert found == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_opening_and_closing_sections(name):
    nb = load(name)
    first = "".join(nb["cells"][0]["source"])
    assert first.startswith(f"# {name[:2]} ·"), first[:60]
    for needle in ("**Learning goals.**", "**Prerequisites.**", "**Time to learn.**"):
        assert needle in first, f"{name}: opening cell lacks {needle}"
    md = markdown(nb)
    assert "## Summary" in md
    assert "References" in md
    if name != "08-exercises":
        assert "**What's next:**" in md
        assert "## Self-check" in md


@pytest.mark.parametrize("name", EXPECTED)
def test_committed_with_outputs(name):
    nb = load(name)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, name
    missing = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not missing, f"{name}: code cells {missing} were not executed"
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{name}: not run top to bottom"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{name}: stored error output"


@pytest.mark.parametrize("name", [n for n in EXPECTED if n != "08-exercises"])
def test_first_stepper_is_early(name):
    """The first stepper/comparator is shown within the first five cells."""
    nb = load(name)
    for i, c in enumerate(nb["cells"][:6]):
        src = "".join(c["source"])
        if c["cell_type"] == "code" and re.search(r"\b(Stepper|Comparator)\(", src):
            return
    pytest.fail(f"{name}: no Stepper/Comparator in the first six cells")


@pytest.mark.parametrize("name", EXPECTED)
def test_references_cite_commits_or_kernel_files(name):
    md = markdown(load(name))
    assert re.search(r"\b[0-9a-f]{11,12}\b", md) or re.search(r"\b(lib|mm|kernel|include)/[\w/]+\.[ch]\b", md)


@pytest.mark.parametrize("name", EXPECTED)
def test_widget_cells_are_not_compared_but_followed_by_text(name):
    """A cell that displays a stepper, comparator or quiz is tagged nbval-ignore-output
    (widget ids and SVG bytes are not stable), and a later code cell prints stable text."""
    cells = load(name)["cells"]
    code = [(i, c) for i, c in enumerate(cells) if c["cell_type"] == "code"]
    for k, (i, c) in enumerate(code):
        src = "".join(c["source"]).strip()
        last = src.splitlines()[-1] if src else ""
        shows_widget = (last.startswith(("Stepper(", "Comparator(")) or last in ("quiz", "st", "stepper")
                        or last.endswith(("quiz", "steps", "types", "counts", "leaks"))
                        and not last.startswith("print"))
        if not shows_widget:
            continue
        tags = c.get("metadata", {}).get("tags", [])
        assert "nbval-ignore-output" in tags, f"{name} cell {i}: widget output must not be compared"
        later = [cc for _, cc in code[k + 1:]]
        assert any(o.get("output_type") == "stream" for cc in later for o in cc.get("outputs", [])), \
            f"{name} cell {i}: no printed text after the widget"
