"""The maple state (struct ma_state) as the write and read paths use it.

This module holds the cursor fields (node, min, max, offset, end, depth,
status), the per-operation node reserve (``mas->alloc``) and the small helpers
that move a state around a tree: mas_start, mas_ascend, mas_descend,
mas_prev_sibling, mas_next_sibling, mas_data_end, mtree_range_walk.
The public, Pythonic face of the state is :class:`mapletree.core.state.MapleState`.
"""

from . import trace
from .alloc import GFP_NOWAIT
from .constants import ENOMEM, ULONG_MAX
from .node import node_bounds, safe_pivot

# enum maple_status
MA_ACTIVE = "active"
MA_START = "start"
MA_ROOT = "root"
MA_NONE = "none"
MA_PAUSE = "pause"
MA_OVERFLOW = "overflow"
MA_UNDERFLOW = "underflow"
MA_ERROR = "error"

# mas_flags
MA_STATE_BULK = 1
MA_STATE_REBALANCE = 2
MA_STATE_PREALLOC = 4

MAPLE_NODE_SLOTS = 31
MAPLE_ALLOC_SLOTS = 30


class Reserve:
    """The nodes a state holds for an operation (``mas->alloc``): a count, the
    pending request, and the nodes popped from it during this operation."""

    __slots__ = ("total", "req", "head", "new")

    def __init__(self):
        self.total = 0
        self.req = 0
        self.head = 0      # node_count of the head maple_alloc
        self.new = []      # nodes handed out by mas_pop_node in this operation


class MaState:
    """Kernel-level maple state; see :class:`mapletree.core.state.MapleState`."""

    __slots__ = ("tree", "index", "last", "node", "min", "max", "offset", "end",
                 "depth", "status", "err", "mas_flags", "store_type", "rsv")

    def __init__(self, tree, index=0, last=0):
        self.tree = tree
        self.index = index
        self.last = last
        self.node = None
        self.min = 0
        self.max = ULONG_MAX
        self.offset = 0
        self.end = 0
        self.depth = 0
        self.status = MA_START
        self.err = 0
        self.mas_flags = 0
        self.store_type = "invalid"
        self.rsv = Reserve()

    def copy(self):
        """``struct ma_state`` assignment: a copy sharing the node reserve."""
        c = MaState.__new__(MaState)
        for name in MaState.__slots__:
            setattr(c, name, getattr(self, name))
        return c

    def assign(self, other):
        """``*self = *other``."""
        for name in MaState.__slots__:
            setattr(self, name, getattr(other, name))


def mas_reset(mas):
    """mas_reset(): walk again from the root next time."""
    mas.status = MA_START
    mas.node = None


def mas_set_err(mas, err):
    """mas_set_err()."""
    mas.status = MA_ERROR
    mas.err = err
    mas.node = None


def mas_start(mas):
    """mas_start(): load the root; returns a direct root entry when index is 0."""
    if mas.status != MA_START:
        return None
    mas.min = 0
    mas.max = ULONG_MAX
    mas.depth = 0
    root = mas.tree.root
    from .node import Node
    if isinstance(root, Node):
        mas.depth = 1
        mas.status = MA_ACTIVE
        mas.node = root
        mas.offset = 0
        return None
    mas.node = None
    mas.offset = MAPLE_NODE_SLOTS
    if root is None:
        mas.status = MA_NONE
        return None
    mas.status = MA_ROOT
    if mas.index > 0:
        return None
    return root


def mas_data_end(mas):
    """mas_data_end()."""
    return mas.node.data_end(mas.max)


def mas_ascend(mas):
    """mas_ascend(): move to the parent, recomputing min and max."""
    node = mas.node
    if node.parent is None:
        mas.offset = 0
        return
    mas.offset = node.parent_slot
    parent = node.parent
    mas.node = parent
    if parent.parent is None:
        mas.min, mas.max = 0, ULONG_MAX
    else:
        mas.min, mas.max = node_bounds(parent)


def mas_descend(mas):
    """mas_descend(): move into the child at ``offset``."""
    node = mas.node
    if mas.offset:
        mas.min = node.pivots[mas.offset - 1] + 1
    mas.max = safe_pivot(node, mas.offset, mas.max)
    mas.node = node.slots[mas.offset]


def mas_prev_sibling(mas):
    """mas_prev_sibling(): the previous node with the same parent."""
    node = mas.node
    if node.parent is None or not node.parent_slot:
        return False
    p_slot = node.parent_slot
    mas_ascend(mas)
    mas.offset = p_slot - 1
    mas_descend(mas)
    return True


def mas_next_sibling(mas):
    """mas_next_sibling(): the next node with the same parent."""
    node = mas.node
    if node.parent is None:
        return False
    parent = mas.copy()
    mas_ascend(parent)
    parent.offset = node.parent_slot + 1
    if parent.offset > mas_data_end(parent):
        return False
    mas.assign(parent)
    mas_descend(mas)
    return True


def mtree_range_walk(mas):
    """mtree_range_walk(): walk from mas.node down to mas.index; leaves the state
    on the leaf with index/last set to the found slot's range."""
    nxt = mas.node
    lo, hi = mas.min, mas.max
    while True:
        node = nxt
        end = node.data_end(hi)
        prev_min, prev_max = lo, hi
        piv = node.pivots
        if piv[0] >= mas.index:
            offset = 0
            hi = piv[0]
        else:
            offset = 1
            while offset < end:
                if piv[offset] >= mas.index:
                    hi = piv[offset]
                    break
                offset += 1
            lo = piv[offset - 1] + 1
        nxt = node.slots[offset]
        if node.is_leaf:
            break
    mas.end = end
    mas.offset = offset
    mas.index = lo
    mas.last = hi
    mas.min = prev_min
    mas.max = prev_max
    mas.node = node
    return nxt


def mas_state_walk(mas):
    """mas_state_walk(): mas_start then mtree_range_walk."""
    entry = mas_start(mas)
    if mas.status == MA_NONE:
        return None
    if mas.status == MA_ROOT:
        return entry
    return mtree_range_walk(mas)


# --- the node reserve: mas_alloc_nodes, mas_pop_node, mas_destroy --------------

def mas_alloc_nodes(mas, gfp):
    """mas_alloc_nodes(): fill the pending request: one node for the head if
    needed, then bulk allocations of at most 30 at a time."""
    rsv = mas.rsv
    requested = rsv.req
    if not requested:
        return
    rsv.req = 0
    alloc = mas.tree.allocator
    allocated = rsv.total
    if mas.mas_flags & MA_STATE_PREALLOC and allocated:
        return
    with trace.call("mas_alloc_nodes"):
        if not allocated or rsv.head == MAPLE_ALLOC_SLOTS:
            if not alloc.alloc_one(gfp):
                return _nomem(mas, requested)
            rsv.head = 1 if allocated else 0
            allocated += 1
            rsv.total = allocated
            requested -= 1
        while requested:
            max_req = MAPLE_ALLOC_SLOTS - rsv.head
            if max_req <= 0:
                max_req = MAPLE_ALLOC_SLOTS
            max_req = min(requested, max_req)
            count = alloc.alloc_bulk(max_req, gfp)
            if not count:
                return _nomem(mas, requested)
            rsv.head = min(MAPLE_ALLOC_SLOTS, rsv.head + count)
            allocated += count
            rsv.total = allocated
            requested -= count
        if trace.TRACER is not None:
            trace.emit("alloc", "mas_alloc_nodes",
                       f"The state now holds {rsv.total} preallocated node(s).",
                       trees=(mas.tree,), total=rsv.total)


def _nomem(mas, requested):
    mas.rsv.req = requested
    mas_set_err(mas, -ENOMEM)
    if trace.TRACER is not None:
        trace.emit("failure", "mas_alloc_nodes",
                   f"Node allocation failed: {requested} node(s) could not be had (-ENOMEM).",
                   trees=(mas.tree,), missing=requested)


def mas_node_count_gfp(mas, count, gfp):
    """mas_node_count_gfp(): make sure the state holds at least ``count`` nodes."""
    if mas.rsv.total < count:
        mas.rsv.req = count - mas.rsv.total
        mas_alloc_nodes(mas, gfp)


def mas_node_count(mas, count):
    """mas_node_count(): as above with GFP_NOWAIT."""
    mas_node_count_gfp(mas, count, GFP_NOWAIT)


def mas_pop_node(mas, ntype):
    """mas_pop_node(): take one preallocated node (zeroed)."""
    rsv = mas.rsv
    if rsv.total <= 0:
        raise RuntimeError("maple state ran out of preallocated nodes "
                           "(the model's request count is wrong)")
    rsv.total -= 1
    if rsv.head:
        rsv.head -= 1
    node = mas.tree.allocator.new_node(ntype)
    rsv.new.append(node)
    return node


def mas_destroy(mas):
    """mas_destroy(): hand back every node the state still holds."""
    if mas.mas_flags & MA_STATE_REBALANCE:
        from .bulk import mas_destroy_rebalance_check
        mas_destroy_rebalance_check(mas)
        mas.mas_flags &= ~MA_STATE_REBALANCE
    mas.mas_flags &= ~(MA_STATE_BULK | MA_STATE_PREALLOC)
    total = mas.rsv.total
    if total:
        mas.tree.allocator.free(total)
        if trace.TRACER is not None:
            trace.emit("free", "mas_destroy",
                       f"{total} node(s) the state still held (unused preallocations or "
                       "replaced nodes) go back to the allocator.",
                       trees=(mas.tree,), count=total)
    mas.rsv.total = 0
    mas.rsv.head = 0
    mas.rsv.req = 0


def mas_nomem(mas, gfp):
    """mas_nomem(): after -ENOMEM, allocate the missing nodes with ``gfp``;
    True means "retry from the root"."""
    if not (mas.status == MA_ERROR and mas.err == -ENOMEM):
        return False
    with trace.call("mas_nomem"):
        mas_alloc_nodes(mas, gfp)
    if not mas.rsv.total:
        return False
    mas.status = MA_START
    mas.node = None
    return True
