"""Choosing a store type and the single-node write paths.

Mirrors, in lib/maple_tree.c: mas_wr_node_walk, mas_is_span_wr, mas_wr_walk,
mas_wr_walk_index, mas_wr_end_piv, mas_wr_extend_null, mas_wr_new_end,
mas_wr_store_type, mas_prealloc_calc, mas_wr_prealloc_setup,
mas_wr_preallocate, mas_wr_store_entry, mas_store_root, mas_root_expand,
mas_new_root, mas_wr_append, mas_wr_slot_store, mas_wr_node_store,
mas_wmb_replace (node replacement and the topiary of old nodes),
mte_destroy_walk.
"""

from . import trace
from .constants import (MAPLE_LEAF_64, MT_FLAGS_USE_RCU, MT_MIN_SLOTS, MT_PIVOTS,
                        MT_SLOTS, ULONG_MAX)
from .entries import InternalEntry
from .gap import mas_update_gap
from .mas import (MA_ACTIVE, MA_NONE, MA_ROOT, MA_START, MA_STATE_BULK, mas_pop_node,
                  mas_reset, mas_start, mtree_range_walk)
from .node import Node, node_bounds, safe_min


class WrState:
    """struct ma_wr_state: the write context of one store."""

    __slots__ = ("mas", "node", "type", "r_min", "r_max", "offset_end", "end_piv",
                 "entry", "content")

    def __init__(self, mas, entry):
        self.mas = mas
        self.entry = entry
        self.node = None
        self.type = MAPLE_LEAF_64
        self.r_min = 0
        self.r_max = 0
        self.offset_end = 0
        self.end_piv = 0
        self.content = None


def in_rcu(tree):
    """mt_in_rcu()."""
    return bool(tree.flags & MT_FLAGS_USE_RCU)


# --- walking ---------------------------------------------------------------------

def mas_wr_node_walk(wr):
    """mas_wr_node_walk(): find the slot holding mas.index in mas.node."""
    mas = wr.mas
    node = wr.node = mas.node
    wr.type = node.type
    pivots = node.pivots
    count = mas.end = node.data_end(mas.max)
    offset = mas.offset
    index = mas.index
    while offset < count and index > pivots[offset]:
        offset += 1
    wr.r_max = pivots[offset] if offset < count else mas.max
    wr.r_min = safe_min(node, offset, mas.min)
    wr.offset_end = mas.offset = offset


def mas_is_span_wr(wr):
    """mas_is_span_wr(): does the write leave this node (or end a non-right-most
    node with NULL)?"""
    mas = wr.mas
    mx = wr.r_max
    last = mas.last
    if last < mx:
        return False
    if wr.node.is_leaf:
        mx = mas.max
        if last < mx:
            return False
    if last == mx:
        if wr.entry is not None or last == ULONG_MAX:
            return False
    return True


def _traverse(wr):
    mas = wr.mas
    mas.max = wr.r_max
    mas.min = wr.r_min
    mas.node = wr.content
    mas.offset = 0
    mas.depth += 1


def mas_wr_walk(wr):
    """mas_wr_walk(): descend to the leaf; False when the write spans nodes."""
    mas = wr.mas
    while True:
        mas_wr_node_walk(wr)
        if mas_is_span_wr(wr):
            return False
        wr.content = wr.node.slots[mas.offset]
        if wr.node.is_leaf:
            return True
        _traverse(wr)


def mas_wr_walk_index(wr):
    """mas_wr_walk_index(): descend to the leaf holding mas.index."""
    mas = wr.mas
    while True:
        mas_wr_node_walk(wr)
        wr.content = wr.node.slots[mas.offset]
        if wr.node.is_leaf:
            return
        _traverse(wr)


def mas_wr_end_piv(wr):
    """mas_wr_end_piv(): find the slot where the write ends."""
    mas = wr.mas
    pivots = wr.node.pivots
    while wr.offset_end < mas.end and mas.last > pivots[wr.offset_end]:
        wr.offset_end += 1
    if wr.offset_end < mas.end:
        wr.end_piv = pivots[wr.offset_end]
    else:
        wr.end_piv = mas.max


def mas_wr_extend_null(wr):
    """mas_wr_extend_null(): widen a NULL store over neighbouring NULL slots."""
    mas = wr.mas
    slots = wr.node.slots
    pivots = wr.node.pivots
    if slots[wr.offset_end] is None:
        mas.last = wr.end_piv
    elif (mas.last == wr.end_piv and mas.end != wr.offset_end
          and slots[wr.offset_end + 1] is None):
        wr.offset_end += 1
        if wr.offset_end == mas.end:
            mas.last = mas.max
        else:
            mas.last = pivots[wr.offset_end]
        wr.end_piv = mas.last
    if wr.content is None:
        mas.index = wr.r_min
    elif mas.index == wr.r_min and mas.offset and slots[mas.offset - 1] is None:
        mas.offset -= 1
        wr.r_min = mas.index = safe_min(wr.node, mas.offset, mas.min)
        wr.r_max = pivots[mas.offset]


def mas_wr_new_end(wr):
    """mas_wr_new_end(): the leaf's data end after the store."""
    mas = wr.mas
    new_end = mas.end + 2 - (wr.offset_end - mas.offset)
    if wr.r_min == mas.index:
        new_end -= 1
    if wr.end_piv == mas.last:
        new_end -= 1
    return new_end


# --- choosing the store type -------------------------------------------------------

def mas_wr_store_type(wr):
    """mas_wr_store_type(): pick the write path (sets mas.store_type)."""
    mas = wr.mas
    if mas.status in (MA_NONE, MA_ROOT):
        mas.store_type = "store_root"
        return
    if not mas_wr_walk(wr):
        mas.store_type = "spanning_store"
        return
    mas_wr_end_piv(wr)
    if wr.entry is None:
        mas_wr_extend_null(wr)
    new_end = mas_wr_new_end(wr)
    if wr.r_min == mas.index and wr.r_max == mas.last:
        mas.store_type = "exact_fit"
        return
    if mas.index == 0 and mas.last == ULONG_MAX:
        mas.store_type = "new_root"
        return
    ltype = wr.type
    is_root = mas.node.parent is None
    if new_end < MT_MIN_SLOTS[ltype]:
        if not is_root and not (mas.mas_flags & MA_STATE_BULK):
            mas.store_type = "rebalance"
        else:
            mas.store_type = "node_store"
        return
    if new_end >= MT_SLOTS[ltype]:
        mas.store_type = "split_store"
        return
    rcu = in_rcu(mas.tree)
    if not rcu and mas.offset == mas.end:
        mas.store_type = "append"
        return
    if new_end == mas.end and (not rcu or wr.offset_end - mas.offset == 1):
        mas.store_type = "slot_store"
        return
    if is_root or new_end >= MT_MIN_SLOTS[ltype] or (mas.mas_flags & MA_STATE_BULK):
        mas.store_type = "node_store"
        return
    mas.store_type = "invalid"


def _low_bits_internal(entry):
    return isinstance(entry, InternalEntry)


def mas_prealloc_calc(mas, entry):
    """mas_prealloc_calc(): worst-case node count for the chosen store type."""
    h = mas.tree.height
    st = mas.store_type
    if st == "new_root":
        return 1
    if st == "store_root":
        if mas.last != 0 or mas.index != 0:
            return 1
        return 1 if _low_bits_internal(entry) else 0
    if st == "spanning_store":
        return h * 3 + 1
    if st == "split_store":
        return h * 2 + 1
    if st == "rebalance":
        return h * 2 - 1
    if st == "node_store":
        return 1 if in_rcu(mas.tree) else 0
    if st in ("append", "exact_fit", "slot_store"):
        return 0
    return h * 3 + 1


def mas_wr_prealloc_setup(wr):
    """mas_wr_prealloc_setup(): this model always walks from the root, which
    finds the same leaf the kernel's cached walk would."""
    mas = wr.mas
    mas_reset(mas)
    wr.content = mas_start(mas)


def mas_wr_preallocate(wr, entry):
    """mas_wr_preallocate(): set up, classify, and request the nodes (GFP_NOWAIT)."""
    from .mas import mas_node_count
    mas = wr.mas
    mas_wr_prealloc_setup(wr)
    mas_wr_store_type(wr)
    request = mas_prealloc_calc(mas, entry)
    if trace.TRACER is not None:
        trace.emit("store_type", "mas_wr_store_type",
                   _store_type_sentence(mas, request), trees=(mas.tree,),
                   nodes={"focus": [mas.node]} if isinstance(mas.node, Node) else None,
                   store_type=mas.store_type, request=request)
    if not request:
        return
    mas_node_count(mas, request)


_STORE_TYPE_TEXT = {
    "store_root": "the tree has no nodes yet, so the root pointer itself is written",
    "spanning_store": "the write crosses a node boundary: a spanning store rebuilds both sides",
    "exact_fit": "the write covers exactly one existing slot: overwrite it in place",
    "new_root": "the write covers every index: a brand new root leaf replaces the tree",
    "rebalance": "the leaf would fall below its minimum: rebalance with a sibling",
    "split_store": "the leaf would overflow: split it",
    "append": "the write lands in the last slot: append in place",
    "slot_store": "the slot count stays the same: adjust pivots in place",
    "node_store": "the leaf is rebuilt with the new layout",
    "invalid": "no valid store type",
}


def _store_type_sentence(mas, request):
    text = _STORE_TYPE_TEXT.get(mas.store_type, mas.store_type)
    return (f"Store [{mas.index}, {mas.last}] takes the {mas.store_type} path: {text}; "
            f"it asks for {request} node(s).")


# --- executing -------------------------------------------------------------------

def mas_wr_store_entry(wr):
    """mas_wr_store_entry(): dispatch on the chosen store type."""
    mas = wr.mas
    st = mas.store_type
    new_end = mas_wr_new_end(wr) if mas.status == MA_ACTIVE else 0
    with trace.call("mas_wr_store_entry"):
        if st == "new_root":
            mas_new_root(mas, wr.entry)
        elif st == "store_root":
            mas_store_root(mas, wr.entry)
        elif st == "exact_fit":
            with trace.call("mas_wr_exact_fit"):
                wr.node.slots[mas.offset] = wr.entry
                _emit_write(mas, wr.node, "mas_wr_exact_fit",
                            f"Slot {mas.offset} is overwritten in place; no node is needed.",
                            slots=[mas.offset])
                if (wr.entry is None) != (wr.content is None):
                    mas_update_gap(mas)
        elif st == "append":
            mas_wr_append(wr, new_end)
        elif st == "slot_store":
            mas_wr_slot_store(wr)
        elif st == "node_store":
            mas_wr_node_store(wr, new_end)
        elif st == "spanning_store":
            from .rebalance import mas_wr_spanning_store
            mas_wr_spanning_store(wr)
        elif st in ("split_store", "rebalance"):
            from .rebalance import mas_wr_bnode
            mas_wr_bnode(wr)
        else:
            raise RuntimeError("maple tree model: invalid store type")


def _emit_write(mas, node, func, text, slots=()):
    if trace.TRACER is not None:
        trace.emit("write", func, text, trees=(mas.tree,),
                   nodes={"modified": [node]}, slots=list(slots))


def mas_set_height(tree, depth):
    """mas_set_height(): store the height in the flags."""
    tree.set_height(depth)


def mas_root_expand(mas, entry):
    """mas_root_expand(): turn an empty or direct-entry root into a leaf."""
    tree = mas.tree
    contents = tree.root
    node = mas_pop_node(mas, MAPLE_LEAF_64)
    slots, pivots = node.slots, node.pivots
    slot = 0
    if mas.index:
        if contents is not None:
            slots[slot] = contents
            if mas.index > 1:
                slot += 1
        pivots[slot] = mas.index - 1
        slot += 1
    slots[slot] = entry
    mas.offset = slot
    pivots[slot] = mas.last
    if mas.last != ULONG_MAX:
        slot += 1
        pivots[slot] = ULONG_MAX
    mas.depth = 1
    mas.node = node
    mas.status = MA_ACTIVE
    node.set_meta(slot, 0)
    tree.root = node
    mas_set_height(tree, 1)
    if trace.TRACER is not None:
        trace.emit("new_root", "mas_root_expand",
                   "The root becomes a leaf node: the tree now has height 1.",
                   trees=(tree,), nodes={"new": [node]})
    return slot


def mas_store_root(mas, entry):
    """mas_store_root(): store into a tree without nodes."""
    with trace.call("mas_store_root"):
        tree = mas.tree
        if entry is None:
            if not mas.index:
                tree.root = None
        elif mas.last != 0 or mas.index != 0:
            mas_root_expand(mas, entry)
        elif _low_bits_internal(entry):
            mas_root_expand(mas, entry)
        else:
            tree.root = entry
            mas.status = MA_START
            if trace.TRACER is not None:
                trace.emit("write", "mas_store_root",
                           "The entry for index 0 lives in the root pointer itself.",
                           trees=(tree,))


def mte_destroy_walk(node, tree):
    """mte_destroy_walk(): free a whole subtree (RCU-deferred in RCU mode)."""
    count = 0
    stack = [node]
    while stack:
        n = stack.pop()
        n.dead = True
        count += 1
        if not n.is_leaf:
            stack.extend(s for s in n.slots if isinstance(s, Node))
    tree.allocator.free(count, rcu=in_rcu(tree))
    return count


def mas_new_root(mas, entry):
    """mas_new_root(): replace the whole tree by one leaf (or by NULL)."""
    with trace.call("mas_new_root"):
        tree = mas.tree
        old = tree.root
        new = None
        if entry is None and not mas.index and mas.last == ULONG_MAX:
            mas.depth = 0
            mas_set_height(tree, 0)
            tree.root = None
            mas.status = MA_START
        else:
            node = mas_pop_node(mas, MAPLE_LEAF_64)
            node.slots[0] = entry
            node.pivots[0] = mas.last
            mas.node = node
            mas.status = MA_ACTIVE
            mas.depth = 1
            mas_set_height(tree, 1)
            tree.root = node
            new = node
        freed = []
        if isinstance(old, Node):
            freed = [old]
            mte_destroy_walk(old, tree)
        if trace.TRACER is not None:
            trace.emit("new_root", "mas_new_root",
                       "The write covers every index: the old tree is destroyed and "
                       + ("the tree is empty." if new is None else "one leaf holds the entry."),
                       trees=(tree,), nodes={"new": [new] if new else [], "freed": freed})


def mas_wr_append(wr, new_end):
    """mas_wr_append(): add one or two slots at the end of the leaf, in place."""
    with trace.call("mas_wr_append"):
        mas = wr.mas
        node = wr.node
        slots, pivots = node.slots, node.pivots
        end = mas.end
        if new_end < MT_PIVOTS[wr.type]:
            pivots[new_end] = pivots[end]
            node.set_meta(new_end, 0)
        if new_end == end + 1:
            if mas.last == wr.r_max:
                slots[new_end] = wr.entry
                pivots[end] = mas.index - 1
                mas.offset = new_end
            else:
                slots[new_end] = wr.content
                pivots[end] = mas.last
                slots[end] = wr.entry
        else:
            slots[new_end] = wr.content
            pivots[end + 1] = mas.last
            slots[end + 1] = wr.entry
            pivots[end] = mas.index - 1
            mas.offset = end + 1
        _emit_write(mas, node, "mas_wr_append",
                    f"The entry is appended at the end of the leaf (now {new_end + 1} slots); "
                    "no node is needed.", slots=list(range(end, new_end + 1)))
        if wr.content is None or wr.entry is None:
            mas_update_gap(mas)
        mas.end = new_end


def mas_wr_slot_store(wr):
    """mas_wr_slot_store(): move pivots and write one slot, in place."""
    with trace.call("mas_wr_slot_store"):
        mas = wr.mas
        node = wr.node
        slots, pivots = node.slots, node.pivots
        offset = mas.offset
        gap = slots[offset] is None or slots[offset + 1] is None
        if wr.offset_end - offset == 1:
            if mas.index == wr.r_min:
                slots[offset] = wr.entry
                pivots[offset] = mas.last
                written = [offset]
            else:
                slots[offset + 1] = wr.entry
                pivots[offset] = mas.index - 1
                mas.offset += 1
                written = [offset + 1]
        elif not in_rcu(mas.tree):
            gap = gap or slots[offset + 2] is None
            slots[offset + 1] = wr.entry
            pivots[offset] = mas.index - 1
            pivots[offset + 1] = mas.last
            mas.offset += 1
            written = [offset + 1]
        else:
            return
        _emit_write(mas, node, "mas_wr_slot_store",
                    "Pivots move and one slot is rewritten in place; the slot count is unchanged.",
                    slots=written)
        if wr.entry is None or gap:
            mas_update_gap(mas)


def mas_wr_node_store(wr, new_end):
    """mas_wr_node_store(): rebuild the leaf (in place, or into a new node in
    RCU mode)."""
    with trace.call("mas_wr_node_store"):
        mas = wr.mas
        tree = mas.tree
        node = wr.node
        offset_end = wr.offset_end
        rcu = in_rcu(tree)
        ntype = wr.type
        node_pivots = MT_PIVOTS[ntype]
        if mas.last == wr.end_piv:
            offset_end += 1
        elif wr.r_max == ULONG_MAX:
            from .bulk import mas_bulk_rebalance
            mas_bulk_rebalance(mas, mas.end, ntype)
        if rcu:
            newnode = mas_pop_node(mas, ntype)
        else:
            newnode = Node(ntype)
        newnode.parent = node.parent
        newnode.parent_slot = node.parent_slot
        dp, ds = newnode.pivots, newnode.slots
        off = mas.offset
        dp[:off] = node.pivots[:off]
        ds[:off] = node.slots[:off]
        if wr.r_min < mas.index:
            ds[off] = wr.content
            dp[off] = mas.index - 1
            off += 1
        if off < node_pivots:
            dp[off] = mas.last
        ds[off] = wr.entry
        mas.offset = off
        if offset_end <= mas.end:
            dst = off + 1
            copy_size = mas.end - offset_end + 1
            ds[dst:dst + copy_size] = node.slots[offset_end:offset_end + copy_size]
            npv = copy_size - 1
            dp[dst:dst + npv] = node.pivots[offset_end:offset_end + npv]
            if new_end < node_pivots:
                dp[new_end] = mas.max
        # keep the fixed array sizes
        del dp[node_pivots:]
        del ds[MT_SLOTS[ntype]:]
        newnode.set_meta(new_end, 0)
        if rcu:
            old = node
            if old.parent is None:
                tree.root = newnode
            else:
                old.parent.slots[old.parent_slot] = newnode
            old.dead = True
            tree.allocator.free(1, rcu=True)
            mas.node = newnode
            wr.node = newnode
            if trace.TRACER is not None:
                trace.emit("node_store", "mas_wr_node_store",
                           "RCU mode: the leaf is rebuilt in a new node that replaces the old one, "
                           "which readers may still see until a grace period ends.",
                           trees=(tree,), nodes={"new": [newnode], "freed": [old]})
        else:
            node.pivots = newnode.pivots
            node.slots = newnode.slots
            node.meta_end = newnode.meta_end
            node.meta_gap = newnode.meta_gap
            if trace.TRACER is not None:
                trace.emit("node_store", "mas_wr_node_store",
                           "The leaf is rebuilt in a scratch node and copied back over itself; "
                           "no node is allocated.", trees=(tree,), nodes={"modified": [node]})
        mas_update_gap(mas)
        mas.end = new_end


# --- replacing nodes -------------------------------------------------------------

def mas_wmb_replace(mas, old):
    """mas_wmb_replace() / mas_topiary_replace(): install mas.node in place of
    ``old``, fix the parent pointers below the new nodes, free the old nodes
    that are no longer reachable, then update gaps."""
    tree = mas.tree
    new = mas.node
    rcu = in_rcu(tree)
    new_nodes = mas.rsv.new
    new_ids = {id(n) for n in new_nodes}
    # mas_put_in_tree()
    if old.parent is None:
        new.parent = None
        new.parent_slot = 0
        tree.root = new
        old_height = tree.height
        mas_set_height(tree, mas.depth)
        if trace.TRACER is not None and tree.height != old_height:
            trace.emit("new_root", "mas_put_in_tree",
                       f"A new root is installed: the tree {'grows' if tree.height > old_height else 'shrinks'}"
                       f" from height {old_height} to {tree.height}.",
                       trees=(tree,), nodes={"new": [new]}, height=tree.height)
    else:
        p = old.parent
        new.parent = p
        new.parent_slot = old.parent_slot
        p.slots[old.parent_slot] = new
    # mas_adopt_children() for every new internal node
    kept = set()
    for n in new_nodes:
        if n.is_leaf:
            continue
        for i, child in enumerate(n.slots):
            if child is None:
                continue
            child.parent = n
            child.parent_slot = i
            if id(child) not in new_ids:
                kept.add(id(child))
    # topiary: every old node below ``old`` that no new node points at
    freed = []
    stack = [old]
    while stack:
        n = stack.pop()
        if id(n) in kept or id(n) in new_ids:
            continue
        n.dead = True
        freed.append(n)
        if not n.is_leaf:
            stack.extend(s for s in n.slots if isinstance(s, Node))
    if rcu:
        tree.allocator.free(len(freed), rcu=True)
    else:
        # mas_push_node(): non-RCU trees hand old nodes back to the state, which
        # may reuse them (bulk mode) and frees the rest in mas_destroy()
        mas.rsv.total += len(freed)
    if trace.TRACER is not None:
        trace.emit("free", "mas_topiary_replace",
                   f"The new nodes are swapped into the tree; {len(freed)} old node(s) are freed"
                   + (" after an RCU grace period." if rcu else "."),
                   trees=(tree,), nodes={"new": list(new_nodes), "freed": freed})
    mas.rsv.new = []
    if not new.is_leaf:
        if new.parent is None:
            mas.min, mas.max = 0, ULONG_MAX
        else:
            mas.min, mas.max = node_bounds(new)
        mas_update_gap(mas)


def rewalk(mas):
    """Re-position the state on mas.index after a store (mtree_range_walk from
    the root)."""
    root = mas.tree.root
    if not isinstance(root, Node):
        mas.status = MA_START
        return
    mas.node = root
    mas.min, mas.max = 0, ULONG_MAX
    mas.status = MA_ACTIVE
    mtree_range_walk(mas)
