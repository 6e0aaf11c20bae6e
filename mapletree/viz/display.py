"""Jupyter display of core objects, kept out of the core.

The core's ``Node._repr_mimebundle_`` (and any other core object that wants a
picture) delegates here, so ``mapletree.core`` never imports the visual layer
at module level. Functions take ``(obj, include=None, exclude=None)`` like
``_repr_mimebundle_`` and return ``{"image/svg+xml": ..., "text/plain": ...}``.
"""

from __future__ import annotations

from mapletree.core.constants import ULONG_MAX

from . import graph
from .record import Interner, TreeSnap, _node_from_live, describe_entry


def _text_only(text, exc):
    return {"text/plain": f"{text} (no diagram: {exc})"}


def node_mimebundle(node, include=None, exclude=None):
    """A live core node and its subtree, drawn (mirrors mt_dump of one node)."""
    try:
        from mapletree.core.node import node_bounds
        lo, hi = node_bounds(node)
    except Exception:       # a detached node: assume the whole range
        lo, hi = 0, ULONG_MAX
    snap = _node_from_live(node, lo, hi, Interner(), describe_entry)
    name = f"node #{node.nid}"
    tree = TreeSnap(name, 0, 0, snap)
    try:
        svg = graph.Layout([graph._as_frame(tree)]).svg(0)
    except graph.GraphvizMissingError as exc:
        return _text_only(repr(node), exc)
    return {"image/svg+xml": svg, "text/plain": repr(node)}


def tree_mimebundle(tree, include=None, exclude=None):
    """A live MapleTree (or snapshot, or dump dict) drawn whole (collapsed if large)."""
    try:
        return graph.tree_mimebundle(tree)
    except graph.GraphvizMissingError as exc:
        return _text_only("<maple tree>", exc)


def mimebundle(obj, include=None, exclude=None):
    """Dispatch: nodes, trees, snapshots, frames."""
    if hasattr(obj, "nid") and hasattr(obj, "slots"):
        return node_mimebundle(obj, include, exclude)
    return tree_mimebundle(obj, include, exclude)
