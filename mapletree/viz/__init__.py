"""The visual layer: recorder, Graphviz diagrams, widgets, plots, static export.

May import the core (``mapletree.core``) and the process model (``mapletree.mm``);
nothing below imports it.
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
