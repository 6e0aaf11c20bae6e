"""Build the teaching notebooks from their plain-text sources.

Each ``notebooks/src/NN-topic.py`` is a list of cells in the "percent" format::

    # %% [markdown]
    # # Title
    # text ...

    # %% tags=["nbval-ignore-output"]
    code ...

``python notebooks/src/build.py [NAME ...]`` writes ``notebooks/NN-topic.ipynb``
without outputs; execute it afterwards (``make notebooks``) to store outputs.
Cell ids are derived from the notebook name and the cell number, so a rebuild
of an unchanged source gives an identical file.
"""

import json
import pathlib
import re
import sys

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE.parent
HEADER = re.compile(r"^# %%(?P<md> \[markdown\])?(?: tags=(?P<tags>\[.*\]))?\s*$")


def parse(text):
    """Split a percent-format source into (kind, tags, source) triples."""
    cells = []
    cur = None
    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            cur = ["markdown" if m.group("md") else "code",
                   json.loads(m.group("tags")) if m.group("tags") else [], []]
            cells.append(cur)
            continue
        if cur is None:
            continue  # module docstring / preamble before the first cell
        cur[2].append(line)
    out = []
    for kind, tags, lines in cells:
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if kind == "markdown":
            lines = [l[2:] if l.startswith("# ") else ("" if l == "#" else l) for l in lines]
        out.append((kind, tags, "\n".join(lines)))
    return out


def build(src):
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, (kind, tags, source) in enumerate(parse(src.read_text())):
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_code_cell(source)
        cell.id = f"{src.stem[:2]}-{i:03d}"
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.validate(nb)
    dest = OUT / (src.stem + ".ipynb")
    nbformat.write(nb, str(dest))
    return dest


def main(argv):
    names = argv or [p.stem for p in sorted(HERE.glob("[0-9][0-9]-*.py"))]
    for name in names:
        src = HERE / (pathlib.Path(name).stem + ".py")
        print(build(src).relative_to(OUT.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
