"""The visual layer: recorder, Graphviz diagrams, widgets, plots, static export.

May import the core (``mapletree.core``) and the process model (``mapletree.mm``);
nothing below imports it (the core's ``_repr_mimebundle_`` reaches
:mod:`mapletree.viz.display` lazily).

Record, then show::

    from mapletree.viz import Recorder, Stepper, Comparator
    rec = Recorder()
    with rec.recording(tree):                 # or: with Recorder(tree) as rec:
        tree.store_range(10, 19, "A")
    Stepper(rec)                              # Play, slider, prev/next, event jumps
    Stepper(rec, start=rec.first("split"))    # open at the first split
    Comparator(rec_a, rec_b, titles=("6.8", "7.0"), align="failure")

    mm.fork(proc, design="6.8-marker", recorder=rec)   # the process model records too

Single pictures: ``tree_svg(obj)`` / ``tree_dot(obj)`` / ``save_png(obj, path)`` for a
MapleTree, a TreeSnap, a Frame or a golden dump dict; trees, nodes, frames and
recorders display themselves in Jupyter. ``Layout(frames, orient="TB"|"LR",
max_nodes=48)`` for control over a whole recording. Plots: :mod:`mapletree.viz.plots`.
Static pages: :mod:`mapletree.viz.export` (``python -m mapletree export --list``).
Named stories: :mod:`mapletree.scenarios`.
"""

from .record import (DEFAULT_KINDS, INTEREST_KINDS, EntrySnap, Frame, Interner, NodeSnap,
                     Recorder, TreeSnap, describe_entry, frames_from_case, snapshot_from_dict,
                     snapshot_tree)
from .graph import (Layout, fmt_index, frame_mimebundle, node_mimebundle, render_dot, save_png,
                    sanitize_svg, tree_dot, tree_mimebundle, tree_svg)
from .widgets import Comparator, Stepper

__all__ = [
    "Comparator", "Stepper",
    "DEFAULT_KINDS", "INTEREST_KINDS", "EntrySnap", "Frame", "Interner", "NodeSnap", "Recorder",
    "TreeSnap", "describe_entry", "frames_from_case", "snapshot_from_dict", "snapshot_tree",
    "Layout", "fmt_index", "frame_mimebundle", "node_mimebundle", "render_dot", "save_png",
    "sanitize_svg", "tree_dot", "tree_mimebundle", "tree_svg",
]
