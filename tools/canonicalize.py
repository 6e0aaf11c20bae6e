"""Make an executed notebook's bytes depend only on what it shows.

Executing the same notebook twice gives different files even when every
output is the same: ipywidgets draws a fresh uuid4 per widget model, the
saved widget state lists the models in whatever order the kernel sent them,
``text/plain`` reprs carry memory addresses (``<... at 0x7f3a...>``), and
nbclient may record per-cell timings. This module removes those differences:

- widget model ids are renumbered in a depth-first walk that starts from the
  widget views in cell order (then models nobody references, e.g. links, in a
  content order), so the same widgets get the same ids;
- every JSON object is written with sorted keys (nbformat's writer), which
  also orders the saved widget state;
- addresses ``0x...`` in text outputs (cells and Output-widget state alike)
  become ``0x000000000000``;
- ``metadata.execution`` timings and other volatile cell metadata are dropped;
- cells without an id get one from their position.

Usage: ``python tools/canonicalize.py NB.ipynb [...]`` (in place), or
``canonicalize(nb_dict) -> nb_dict`` from Python. Applying it twice changes
nothing.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,16}")
MODEL_REF = re.compile(r"IPY_MODEL_([0-9A-Za-z_-]+)")
# Still matched by tools/nbval_sanitize.cfg, so stored and fresh outputs agree.
MASKED_ADDRESS = "0x000000000000"
TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex")
VOLATILE_CELL_METADATA = ("execution", "collapsed_timing", "ExecuteTime")


def _mask(text):
    if isinstance(text, list):
        return [_mask(t) for t in text]
    if isinstance(text, str):
        return ADDRESS.sub(MASKED_ADDRESS, text)
    return text


def _mask_outputs(obj):
    """Mask addresses in every output dict found anywhere under ``obj``."""
    if isinstance(obj, dict):
        if "output_type" in obj:
            if "text" in obj:
                obj["text"] = _mask(obj["text"])
            data = obj.get("data")
            if isinstance(data, dict):
                for mime in TEXT_MIMES:
                    if mime in data:
                        data[mime] = _mask(data[mime])
        for value in obj.values():
            _mask_outputs(value)
    elif isinstance(obj, list):
        for value in obj:
            _mask_outputs(value)


def _views(obj, found):
    """Model ids of widget views under ``obj``, in document order."""
    if isinstance(obj, dict):
        data = obj.get("data")
        if isinstance(data, dict) and isinstance(data.get(WIDGET_VIEW), dict):
            mid = data[WIDGET_VIEW].get("model_id")
            if mid:
                found.append(mid)
        for key in sorted(obj):
            _views(obj[key], found)
    elif isinstance(obj, list):
        for value in obj:
            _views(value, found)
    return found


def _refs(model):
    """Model ids a saved model refers to, in sorted-key order, views included."""
    text = json.dumps(model.get("state", {}), sort_keys=True)
    refs = MODEL_REF.findall(text)
    refs += _views(model.get("state", {}), [])
    return refs


def _new_id(n):
    return "%032x" % n


def renumber_widgets(nb):
    """Give widget models ids 1, 2, ... in a stable order (returns old->new)."""
    widgets = nb.get("metadata", {}).get("widgets", {})
    state = widgets.get(WIDGET_STATE, {}).get("state")
    if not isinstance(state, dict) or not state:
        return {}
    order = {}

    def visit(mid):
        if mid in order or mid not in state:
            return
        order[mid] = _new_id(len(order) + 1)
        for ref in _refs(state[mid]):
            visit(ref)

    for cell in nb.get("cells", []):
        for mid in _views(cell.get("outputs", []), []):
            visit(mid)
    # Models nobody shows (links, orphaned layouts): order by content, with
    # ids already numbered written as their new ids.
    while len(order) < len(state):
        def key(mid):
            model = state[mid]
            text = json.dumps(model, sort_keys=True)
            text = MODEL_REF.sub(lambda m: "IPY_MODEL_" + order.get(m.group(1), "?"), text)
            return (model.get("model_name", ""), text)

        rest = sorted((m for m in state if m not in order), key=key)
        visit(rest[0])
    return order


def _replace_ids(obj, mapping, pattern):
    if isinstance(obj, dict):
        return {
            pattern.sub(lambda m: mapping[m.group(0)], k) if isinstance(k, str) else k: _replace_ids(v, mapping, pattern)
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_replace_ids(v, mapping, pattern) for v in obj]
    if isinstance(obj, str):
        return pattern.sub(lambda m: mapping[m.group(0)], obj)
    return obj


def _merge_streams(outputs):
    """Join adjacent stream outputs of the same stream: the kernel may flush one print in
    two chunks, which would make otherwise identical runs differ."""
    merged = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
            text = prev["text"] if isinstance(prev["text"], str) else "".join(prev["text"])
            more = out["text"] if isinstance(out["text"], str) else "".join(out["text"])
            prev["text"] = text + more
            continue
        merged.append(out)
    return merged


def canonicalize(nb):
    """Return the canonical form of a notebook given as a dict (v4)."""
    nb = json.loads(json.dumps(nb))
    for index, cell in enumerate(nb.get("cells", [])):
        meta = cell.get("metadata", {})
        for key in VOLATILE_CELL_METADATA:
            meta.pop(key, None)
        if not cell.get("id") and nb.get("nbformat_minor", 0) >= 5:
            cell["id"] = "cell-%d" % index
    for cell in nb.get("cells", []):
        if cell.get("outputs"):
            cell["outputs"] = _merge_streams(cell["outputs"])
    _mask_outputs(nb.get("cells", []))
    _mask_outputs(nb.get("metadata", {}).get("widgets", {}))
    mapping = renumber_widgets(nb)
    if mapping:
        alternatives = "|".join(re.escape(m) for m in sorted(mapping, key=len, reverse=True))
        pattern = re.compile(r"(?<![0-9A-Za-z])(?:%s)(?![0-9A-Za-z])" % alternatives)
        nb["cells"] = _replace_ids(nb["cells"], mapping, pattern)
        nb["metadata"]["widgets"] = _replace_ids(nb["metadata"]["widgets"], mapping, pattern)
    return nb


def canonical_text(nb):
    """The exact text ``canonicalize`` writes for a notebook dict."""
    node = nbformat.from_dict(canonicalize(nb))
    return nbformat.writes(node, version=4) + "\n"


def canonicalize_file(path):
    """Rewrite one .ipynb in place; returns True when its bytes changed."""
    path = Path(path)
    old = path.read_text(encoding="utf-8")
    new = canonical_text(json.loads(old))
    nbformat.validate(nbformat.reads(new, as_version=4))
    if new != old:
        path.write_text(new, encoding="utf-8")
        return True
    return False


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python tools/canonicalize.py NB.ipynb [...]", file=sys.stderr)
        return 2
    for name in argv:
        changed = canonicalize_file(name)
        print(f"{name}: {'rewritten' if changed else 'already canonical'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
