"""Maple nodes: type, pivots, slots, gaps and metadata (struct maple_node).

A node never stores its own min/max; like the kernel, the range is implied by
the parent's pivots and passed down by the walk (see :func:`node_bounds`).
"""

from .constants import (MAPLE_ARANGE64_SLOTS, MAPLE_ARANGE_64, MAPLE_LEAF_64,
                        MAPLE_RANGE_64, MT_PIVOTS, MT_SLOTS, TYPE_NAMES, ULONG_MAX)


class Node:
    """One 256-byte maple node (``struct maple_node``).

    Attributes mirror the kernel layout: ``type`` (enum maple_type), ``pivots``
    (15 or 9 inclusive upper bounds), ``slots`` (16 or 10 entries or child
    nodes), ``gaps`` (arange_64 only), ``meta_end`` / ``meta_gap``
    (``struct maple_metadata``), ``parent`` / ``parent_slot`` (the decoded
    parent pointer) and ``dead`` (``ma_dead_node``). ``nid`` is a stand-in
    address, unique per allocator, used by dumps and diagrams.

    Cost: every attribute access is O(1); :meth:`data_end` is O(1)
    (``ma_data_end``).
    """

    __slots__ = ("nid", "type", "pivots", "slots", "gaps", "meta_end", "meta_gap",
                 "parent", "parent_slot", "dead", "__weakref__")

    def __init__(self, ntype, nid=0):
        self.nid = nid
        self.type = ntype
        self.pivots = [0] * MT_PIVOTS[ntype]
        self.slots = [None] * MT_SLOTS[ntype]
        self.gaps = [0] * MAPLE_ARANGE64_SLOTS if ntype == MAPLE_ARANGE_64 else None
        self.meta_end = 0
        self.meta_gap = 0
        self.parent = None
        self.parent_slot = 0
        self.dead = False

    # --- mte_* / ma_* helpers -------------------------------------------------
    @property
    def is_leaf(self):
        """ma_is_leaf()."""
        return self.type < MAPLE_RANGE_64

    @property
    def type_name(self):
        return TYPE_NAMES[self.type]

    @property
    def is_root(self):
        """mte_is_root(): the parent word points at the tree."""
        return self.parent is None

    def data_end(self, node_max):
        """ma_data_end(): offset of the last used slot, given the node's max."""
        if self.type == MAPLE_ARANGE_64:
            return self.meta_end
        last = MT_PIVOTS[self.type] - 1
        piv = self.pivots[last]
        if piv == 0:
            return self.meta_end
        if piv == node_max:
            return last
        return MT_PIVOTS[self.type]

    def set_meta(self, end, gap=0):
        """ma_set_meta() / mas_leaf_set_meta(): 16-slot nodes keep metadata only
        while slot 15 is unused."""
        if self.type == MAPLE_ARANGE_64:
            self.meta_end = end
            self.meta_gap = gap
        elif end < MT_SLOTS[self.type] - 1:
            self.meta_end = end
            self.meta_gap = gap

    def copy_from(self, other):
        """memcpy() of a whole node (keeps this node's identity and nid)."""
        self.type = other.type
        self.pivots = list(other.pivots)
        self.slots = list(other.slots)
        self.gaps = list(other.gaps) if other.gaps is not None else None
        self.meta_end = other.meta_end
        self.meta_gap = other.meta_gap
        self.parent = other.parent
        self.parent_slot = other.parent_slot

    def children(self, node_max):
        """The child nodes of an internal node, in slot order."""
        if self.is_leaf:
            return []
        return self.slots[: self.data_end(node_max) + 1]

    def __repr__(self):
        return f"<maple {self.type_name} node #{self.nid}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        try:
            from ..viz import display as _display  # optional visual layer
        except Exception:  # pragma: no cover - core works without it
            return {"text/plain": repr(self)}
        return _display.node_mimebundle(self, include, exclude)


def safe_pivot(node, offset, node_max):
    """mas_safe_pivot(): pivot ``offset``, or the node max past the last pivot."""
    if offset >= MT_PIVOTS[node.type]:
        return node_max
    return node.pivots[offset]


def safe_min(node, offset, node_min):
    """mas_safe_min(): the lower bound of slot ``offset``."""
    if offset:
        return node.pivots[offset - 1] + 1
    return node_min


def slot_bounds(node, offset, node_min, node_max):
    """Inclusive [min, max] covered by slot ``offset``."""
    lo = node.pivots[offset - 1] + 1 if offset else node_min
    end = node.data_end(node_max)
    hi = node.pivots[offset] if (offset < end and offset < MT_PIVOTS[node.type]) else node_max
    return lo, hi


def node_bounds(node):
    """The implied [min, max] of a node, derived through its ancestors
    (what mas_ascend() computes)."""
    chain = []
    n = node
    while n.parent is not None:
        chain.append(n)
        n = n.parent
    lo, hi = 0, ULONG_MAX
    for child in reversed(chain):
        p = child.parent
        lo, hi = slot_bounds(p, child.parent_slot, lo, hi)
    return lo, hi


def node_height_below(node):
    """Number of levels from ``node`` down to the leaves (a leaf is 1)."""
    h = 1
    n = node
    while not n.is_leaf:
        n = n.slots[0]
        h += 1
    return h


def is_leaf_type(ntype):
    return ntype == MAPLE_LEAF_64 or ntype == 0
