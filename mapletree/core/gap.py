"""Gap tracking for MT_FLAGS_ALLOC_RANGE trees.

Mirrors mas_leaf_max_gap, ma_max_gap, mas_max_gap, mas_parent_gap and
mas_update_gap of lib/maple_tree.c.
"""

from . import trace
from .constants import MAPLE_ARANGE_64, MT_FLAGS_ALLOC_RANGE, ULONG_MAX

MASK64 = ULONG_MAX


def leaf_max_gap(node, node_min, node_max):
    """mas_leaf_max_gap(): the largest NULL range of a leaf, with the kernel's
    shortcuts (the last slot only counts in the right-most leaf)."""
    slots = node.slots
    pivots = node.pivots
    max_gap = 0
    if slots[0] is None:
        max_gap = (pivots[0] - node_min + 1) & MASK64
        i = 2
    else:
        i = 1
    end = node.data_end(node_max)
    max_piv = end - 1
    if max_piv < 0:
        # a one-slot leaf (only ever a root): the kernel never asks for it
        if slots[0] is None:
            return (node_max - node_min + 1) & MASK64
        return 0
    if node_max == ULONG_MAX and slots[max_piv + 1] is None:
        gap = ULONG_MAX - pivots[max_piv]
        if gap > max_gap:
            max_gap = gap
        if max_gap > pivots[max_piv] - node_min:
            return max_gap
    while i <= max_piv:
        if slots[i] is None:
            gap = pivots[i] - pivots[i - 1]
            if gap > max_gap:
                max_gap = gap
            i += 1
        i += 1
    return max_gap


def ma_max_gap(node):
    """ma_max_gap(): scan gaps from meta.end down; ties go to the highest offset.
    Returns (gap, offset)."""
    gaps = node.gaps
    i = offset = node.meta_end
    max_gap = 0
    while True:
        if gaps[i] > max_gap:
            max_gap = gaps[i]
            offset = i
        if i == 0:
            break
        i -= 1
    return max_gap, offset


def node_max_gap(node, node_min, node_max):
    """mas_max_gap(): a leaf's computed gap, or gap[meta.gap] of an arange node."""
    if node.is_leaf:
        return leaf_max_gap(node, node_min, node_max)
    return node.gaps[node.meta_gap]


def mas_parent_gap(node, offset, new):
    """mas_parent_gap(): set the gap of child ``offset`` in node's parent and
    carry the change upwards while the parent's maximum changes."""
    p = node.parent
    while True:
        meta_offset = p.meta_gap
        meta_gap = p.gaps[meta_offset]
        p.gaps[offset] = new
        if meta_gap == new:
            return
        if offset != meta_offset:
            if meta_gap > new:
                return
            p.meta_gap = offset
        elif new < meta_gap:
            new, off = ma_max_gap(p)
            p.meta_gap = off
        if p.parent is None:
            return
        offset = p.parent_slot
        p = p.parent


def mas_update_gap(mas):
    """mas_update_gap(): after a change in mas.node, refresh its gap in the
    parent (alloc trees only; nothing for the root)."""
    tree = mas.tree
    if not tree.flags & MT_FLAGS_ALLOC_RANGE:
        return
    node = mas.node
    if node.parent is None:
        return
    max_gap = node_max_gap(node, mas.min, mas.max)
    p = node.parent
    if p.type != MAPLE_ARANGE_64:
        return
    if p.gaps[node.parent_slot] != max_gap:
        mas_parent_gap(node, node.parent_slot, max_gap)
        if trace.TRACER is not None:
            trace.emit("gap", "mas_update_gap",
                       f"The largest gap below this node is now {max_gap}; "
                       "the parent's gap array is updated.",
                       trees=(tree,), nodes={"modified": [p]}, gap=max_gap)
