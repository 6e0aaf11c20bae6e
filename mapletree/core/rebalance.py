"""The big node and the multi-node write paths: split, push, rebalance and
spanning store.

Mirrors, in lib/maple_tree.c: struct maple_big_node, mas_store_b_node,
mas_mab_cp, mab_mas_cp, mab_shift_right, mab_middle_node, mab_no_null_split,
mab_calc_split, mab_set_b_end, mas_mab_to_node, mas_split, mas_push_data,
mast_split_data, mast_fill_bnode, mas_split_final_node, mas_rebalance,
mas_spanning_rebalance, mast_spanning_rebalance, mast_rebalance_next,
mast_rebalance_prev, mast_ascend, mast_combine_cp_left,
mast_combine_cp_right, mast_cp_to_nodes, mas_wr_spanning_store,
mas_extend_spanning_null, mas_wr_bnode.
"""

from . import trace
from .constants import (MAPLE_ARANGE_64, MAPLE_RANGE_64, MT_FLAGS_ALLOC_RANGE,
                        MT_MIN_SLOTS, MT_PIVOTS, MT_SLOTS, ULONG_MAX)
from .gap import node_max_gap
from .mas import (MA_ACTIVE, MA_NONE, MA_STATE_BULK, MA_STATE_REBALANCE, MaState,
                  mas_ascend, mas_data_end, mas_descend, mas_next_sibling, mas_pop_node,
                  mas_prev_sibling)
from .node import safe_pivot
from .write import (WrState, mas_new_root, mas_wmb_replace, mas_wr_node_walk,
                    mas_wr_walk_index, rewalk)

BIG = 40  # MAPLE_BIG_NODE_SLOTS (34) with room to spare


class BigNode:
    """struct maple_big_node: up to 34 entries of one level, being rebuilt."""

    __slots__ = ("pivot", "slot", "gap", "type", "b_end")

    def __init__(self):
        self.pivot = [0] * BIG
        self.slot = [None] * BIG
        self.gap = [0] * BIG
        self.type = 0
        self.b_end = 0

    def clear(self):
        self.pivot = [0] * BIG
        self.slot = [None] * BIG
        self.gap = [0] * BIG
        self.b_end = 0


class Mast:
    """struct maple_subtree_state."""

    __slots__ = ("orig_l", "orig_r", "l", "m", "r", "bn")

    def __init__(self, bn, orig_l=None, orig_r=None, l=None, m=None, r=None):
        self.bn = bn
        self.orig_l = orig_l
        self.orig_r = orig_r
        self.l = l
        self.m = m
        self.r = r


def _alloc_tree(tree):
    return bool(tree.flags & MT_FLAGS_ALLOC_RANGE)


# --- copying between nodes and the big node -----------------------------------------

def mas_mab_cp(mas, mas_start, mas_end, bn, mab_start):
    """mas_mab_cp(): copy slots mas_start..mas_end of mas.node into the big node
    at mab_start; stops after the slot ending at the node max."""
    node = mas.node
    pivots = node.pivots
    npiv = MT_PIVOTS[node.type]
    i = mas_start
    j = mab_start
    complete = False
    if i == 0:
        bn.pivot[j] = pivots[0]
        i = 1
        if i > mas_end:
            complete = True
        else:
            j += 1
    if not complete:
        piv_end = min(mas_end, npiv)
        while i < piv_end:
            p = pivots[i]
            bn.pivot[j] = p
            if not p:
                break
            if mas.max == p:
                complete = True
                break
            i += 1
            j += 1
        if not complete and i <= mas_end:
            bn.pivot[j] = safe_pivot(node, i, mas.max)
    j += 1
    bn.b_end = j
    n = j - mab_start
    bn.slot[mab_start:mab_start + n] = node.slots[mas_start:mas_start + n]
    if not node.is_leaf and _alloc_tree(mas.tree):
        bn.gap[mab_start:mab_start + n] = node.gaps[mas_start:mas_start + n]
    _fix_len(bn)


def _fix_len(bn):
    if len(bn.slot) > BIG:
        del bn.slot[BIG:]
    if len(bn.gap) > BIG:
        del bn.gap[BIG:]
    if len(bn.slot) < BIG:
        bn.slot.extend([None] * (BIG - len(bn.slot)))
    if len(bn.gap) < BIG:
        bn.gap.extend([0] * (BIG - len(bn.gap)))


def mab_mas_cp(bn, mab_start, mab_end, mas, new_max):
    """mab_mas_cp(): copy big-node entries mab_start..mab_end into mas.node."""
    node = mas.node
    mt = node.type
    npiv = MT_PIVOTS[mt]
    if mab_end - mab_start > npiv:
        mab_end -= 1
    i = mab_start
    j = 0
    pivots = node.pivots
    while True:
        if j < npiv:
            pivots[j] = bn.pivot[i]
        j += 1
        i += 1
        if not (i <= mab_end and bn.pivot[i]):
            break
    node.slots[0:i - mab_start] = bn.slot[mab_start:i]
    if new_max:
        mas.max = bn.pivot[i - 1]
    end = j - 1
    if not node.is_leaf and _alloc_tree(mas.tree):
        max_gap = 0
        offset = 0
        gaps = node.gaps
        while j:
            j -= 1
            i -= 1
            gaps[j] = bn.gap[i]
            if gaps[j] > max_gap:
                offset = j
                max_gap = gaps[j]
        node.meta_end = end
        node.meta_gap = offset
    else:
        node.set_meta(end, 0)


def mab_shift_right(bn, shift):
    """mab_shift_right(): make room for ``shift`` entries at the front."""
    size = bn.b_end
    bn.pivot[shift:shift + size] = bn.pivot[0:size]
    bn.slot[shift:shift + size] = bn.slot[0:size]
    if bn.type == MAPLE_ARANGE_64:
        bn.gap[shift:shift + size] = bn.gap[0:size]
    del bn.pivot[BIG:]
    del bn.slot[BIG:]
    del bn.gap[BIG:]


def mab_middle_node(bn, split, slot_count):
    """mab_middle_node(): does the data need a three-way split?"""
    size = bn.b_end
    if size >= 2 * slot_count:
        return True
    if bn.slot[split] is None and size >= 2 * slot_count - 1:
        return True
    return False


def mab_no_null_split(bn, split, slot_count):
    """mab_no_null_split(): never end a node on a NULL entry."""
    if bn.slot[split] is None:
        if split < slot_count - 1 and (bn.b_end - split) > MT_MIN_SLOTS[bn.type]:
            split += 1
        else:
            split -= 1
    return split


def mab_calc_split(mas, bn):
    """mab_calc_split(): split point (and middle split) of a big node."""
    b_end = bn.b_end
    split = b_end // 2
    slot_count = MT_SLOTS[bn.type]
    if mas.mas_flags & MA_STATE_BULK:
        split = b_end - MT_MIN_SLOTS[bn.type]
        if bn.type >= MAPLE_RANGE_64:
            return split, 0
        mas.mas_flags |= MA_STATE_REBALANCE
        if bn.slot[split] is None:
            split -= 1
        return split, 0
    if mab_middle_node(bn, split, slot_count):
        split = b_end // 3
        mid_split = split * 2
    else:
        mid_split = 0
    split = mab_no_null_split(bn, split, slot_count)
    if mid_split:
        mid_split = mab_no_null_split(bn, mid_split, slot_count)
    return split, mid_split


def mab_set_b_end(bn, mas, entry):
    """mab_set_b_end(): append a new child (with its max and gap) to the big node."""
    if entry is None:
        return
    bn.slot[bn.b_end] = entry
    if _alloc_tree(mas.tree):
        bn.gap[bn.b_end] = node_max_gap(mas.node, mas.min, mas.max)
    bn.pivot[bn.b_end] = mas.max
    bn.b_end += 1


def mas_store_b_node(wr, bn, offset_end):
    """mas_store_b_node(): the leaf's entries with the write applied, into ``bn``
    (b_end = index of the last entry)."""
    mas = wr.mas
    node = wr.node
    bn.type = wr.type
    b_end = 0
    slot = mas.offset
    if slot:
        mas_mab_cp(mas, 0, slot - 1, bn, 0)
        b_end = bn.b_end
        piv_next = bn.pivot[b_end - 1] + 1
    else:
        piv_next = mas.min
    if piv_next < mas.index:
        bn.slot[b_end] = wr.content
        if wr.content is None:
            bn.gap[b_end] = mas.index - piv_next
        bn.pivot[b_end] = mas.index - 1
        b_end += 1
    mas.offset = b_end
    bn.slot[b_end] = wr.entry
    bn.pivot[b_end] = mas.last
    if mas.last >= mas.max:
        bn.b_end = b_end
        return
    piv = safe_pivot(node, offset_end, mas.max)
    if piv > mas.last:
        if piv == ULONG_MAX:
            from .bulk import mas_bulk_rebalance
            mas_bulk_rebalance(mas, bn.b_end, wr.type)
        if offset_end != slot:
            wr.content = node.slots[offset_end]
        b_end += 1
        bn.slot[b_end] = wr.content
        if wr.content is None:
            bn.gap[b_end] = piv - mas.last + 1
        bn.pivot[b_end] = piv
    slot = offset_end + 1
    if slot > mas.end:
        bn.b_end = b_end
        return
    b_end += 1
    mas_mab_cp(mas, slot, mas.end + 1, bn, b_end)
    bn.b_end -= 1


# --- split -----------------------------------------------------------------------------

def mas_new_ma_node(mas, bn):
    """mas_new_ma_node()."""
    return mas_pop_node(mas, bn.type)


def mas_split_final_node(mast, mas, height):
    """mas_split_final_node(): the one node that ends a split (maybe a new root)."""
    tree = mas.tree
    if mas.node.parent is None:
        mast.bn.type = MAPLE_ARANGE_64 if _alloc_tree(tree) else MAPLE_RANGE_64
        mas.depth = height
    ancestor = mas_new_ma_node(mas, mast.bn)
    ancestor.parent = mas.node.parent
    ancestor.parent_slot = mas.node.parent_slot
    mast.l.node = ancestor
    mab_mas_cp(mast.bn, 0, MT_SLOTS[mast.bn.type] - 1, mast.l, True)
    mas.offset = mast.bn.b_end - 1


def mast_fill_bnode(mast, mas, skip):
    """mast_fill_bnode(): the parent level's entries with L and R in place of the
    ``skip`` old children."""
    bn = mast.bn
    bn.clear()
    cp = True
    if mas.node.parent is None:
        cp = False
    else:
        child = mas.node
        mas_ascend(mas)
        mas.offset = child.parent_slot
    if cp and mast.l.offset:
        mas_mab_cp(mas, 0, mast.l.offset - 1, bn, 0)
    split = bn.b_end
    mab_set_b_end(bn, mast.l, mast.l.node)
    mast.r.offset = bn.b_end
    mab_set_b_end(bn, mast.r, mast.r.node)
    if bn.pivot[bn.b_end - 1] == mas.max:
        cp = False
    if cp:
        mas_mab_cp(mas, split + skip, MT_SLOTS[mas.node.type] - 1, bn, bn.b_end)
    bn.b_end -= 1
    bn.type = mas.node.type


def mast_split_data(mast, mas, split):
    """mast_split_data(): fill L and R from the big node at ``split``."""
    bn = mast.bn
    mab_mas_cp(bn, 0, split, mast.l, True)
    mab_mas_cp(bn, split + 1, bn.b_end, mast.r, False)
    mast.l.offset = mas.node.parent_slot if mas.node.parent is not None else 0
    mast.l.max = bn.pivot[split]
    mast.r.min = mast.l.max + 1


def mas_push_data(mas, height, mast, left):
    """mas_push_data(): move data into a sibling instead of splitting upwards."""
    bn = mast.bn
    slot_total = bn.b_end
    tmp = mas.copy()
    tmp.depth = mast.l.depth
    if left and not mas_prev_sibling(tmp):
        return False
    if not left and not mas_next_sibling(tmp):
        return False
    end = mas_data_end(tmp)
    slot_total += end
    space = 2 * MT_SLOTS[mas.node.type] - 2
    if bn.type < MAPLE_RANGE_64:
        space -= 1
    if mas.max == ULONG_MAX:
        space -= 1
    if slot_total >= space:
        return False
    bn.b_end += 1
    if left:
        mab_shift_right(bn, end + 1)
        mas_mab_cp(tmp, 0, end, bn, 0)
        bn.b_end = slot_total + 1
    else:
        mas_mab_cp(tmp, 0, end, bn, bn.b_end)
    split = MT_SLOTS[bn.type] - 2
    if left:
        mas.assign(tmp)
        tmp.node = mast.l.node
        mast.l.assign(tmp)
    else:
        tmp.node = mast.r.node
        mast.r.assign(tmp)
        split = slot_total - split
    split = mab_no_null_split(bn, split, MT_SLOTS[bn.type])
    if left:
        mast.orig_l.offset += end + 1
    if trace.TRACER is not None:
        trace.emit("push", "mas_push_data",
                   f"Instead of splitting upwards, data is shared with the "
                   f"{'left' if left else 'right'} sibling ({slot_total + 2} entries, split at {split}).",
                   trees=(mas.tree,), nodes={"focus": [tmp.node]}, left=left)
    mast_split_data(mast, mas, split)
    mast_fill_bnode(mast, mas, 2)
    mas_split_final_node(mast, mas, height + 1)
    return True


def mas_split(mas, bn):
    """mas_split(): split a full leaf, and its ancestors as needed, upwards."""
    tree = mas.tree
    height = 0
    mas.depth = tree.height
    l_mas = MaState(tree, mas.index, mas.last)
    r_mas = MaState(tree, mas.index, mas.last)
    prev_l = MaState(tree, mas.index, mas.last)
    prev_r = MaState(tree, mas.index, mas.last)
    for s in (l_mas, r_mas, prev_l, prev_r):
        s.rsv = mas.rsv
    mast = Mast(bn, orig_l=prev_l, orig_r=prev_r, l=l_mas, r=r_mas)
    with trace.call("mas_split"):
        while height <= mas.depth:
            height += 1
            if MT_SLOTS[bn.type] > bn.b_end:
                mas_split_final_node(mast, mas, height)
                break
            l_mas.assign(mas)
            r_mas.assign(mas)
            l_mas.node = mas_new_ma_node(mas, bn)
            r_mas.node = mas_new_ma_node(mas, bn)
            if mas_push_data(mas, height, mast, True):
                break
            if mas_push_data(mas, height, mast, False):
                break
            split, _mid = mab_calc_split(mas, bn)
            if trace.TRACER is not None:
                trace.emit("split", "mas_split",
                           f"{bn.b_end + 1} entries do not fit one node: the left node takes "
                           f"{split + 1}, the right {bn.b_end - split}.",
                           trees=(tree,), nodes={"focus": [mas.node]}, split=split)
            mast_split_data(mast, mas, split)
            mast.r.max = mas.max
            mast_fill_bnode(mast, mas, 1)
            prev_l.assign(mast.l)
            prev_r.assign(mast.r)
        old = mas.node
        mas.node = l_mas.node
        mas_wmb_replace(mas, old)
    rewalk(mas)


# --- rebalance and spanning store ----------------------------------------------------

def mas_is_root_limits(mas):
    """mas_is_root_limits()."""
    return mas.min == 0 and mas.max == ULONG_MAX


def mast_rebalance_next(mast):
    """mast_rebalance_next(): append all of orig_r's entries."""
    mas_mab_cp(mast.orig_r, 0, MT_SLOTS[mast.orig_r.node.type], mast.bn, mast.bn.b_end)
    mast.orig_r.last = mast.orig_r.max


def mast_rebalance_prev(mast):
    """mast_rebalance_prev(): prepend all of orig_l's entries."""
    end = mas_data_end(mast.orig_l) + 1
    b_end = mast.bn.b_end
    mab_shift_right(mast.bn, end)
    mas_mab_cp(mast.orig_l, 0, end - 1, mast.bn, 0)
    mast.l.min = mast.orig_l.min
    mast.orig_l.index = mast.orig_l.min
    mast.bn.b_end = end + b_end
    mast.l.offset += end


def mast_spanning_rebalance(mast):
    """mast_spanning_rebalance(): pull in the nearest neighbour, right first,
    climbing as far as needed."""
    r_tmp = mast.orig_r.copy()
    l_tmp = mast.orig_l.copy()
    depth = 0
    while True:
        mas_ascend(mast.orig_r)
        mas_ascend(mast.orig_l)
        depth += 1
        if mast.orig_r.offset < mas_data_end(mast.orig_r):
            mast.orig_r.offset += 1
            while True:
                mas_descend(mast.orig_r)
                mast.orig_r.offset = 0
                depth -= 1
                if not depth:
                    break
            mast_rebalance_next(mast)
            mast.orig_l.assign(l_tmp)
            return True
        elif mast.orig_l.offset != 0:
            mast.orig_l.offset -= 1
            while True:
                mas_descend(mast.orig_l)
                mast.orig_l.offset = mas_data_end(mast.orig_l)
                depth -= 1
                if not depth:
                    break
            mast_rebalance_prev(mast)
            mast.orig_r.assign(r_tmp)
            return True
        if mast.orig_r.node.parent is None:
            break
    mast.orig_r.assign(r_tmp)
    mast.orig_l.assign(l_tmp)
    return False


def mast_ascend(mast):
    """mast_ascend(): move orig_l and orig_r up one level and find the slots
    that now hold the new data."""
    mas_ascend(mast.orig_l)
    mas_ascend(mast.orig_r)
    orig_r = mast.orig_r
    orig_r.offset = 0
    orig_r.index = mast.r.max
    if orig_r.last < orig_r.index:
        orig_r.last = orig_r.index
    wr = WrState(orig_r, None)
    mas_wr_node_walk(wr)
    mast.orig_l.offset = 0
    mast.orig_l.index = mast.l.min
    wr = WrState(mast.orig_l, None)
    mas_wr_node_walk(wr)
    mast.bn.type = wr.type


def _node_or_none(mas, node):
    if node is not None:
        mas.node = node
        mas.status = MA_ACTIVE
    else:
        mas.node = None
        mas.status = MA_NONE


def mast_cp_to_nodes(mast, left, middle, right, split, mid_split):
    """mast_cp_to_nodes(): copy the big node out into L, (M) and R."""
    bn = mast.bn
    new_lmax = True
    _node_or_none(mast.l, left)
    _node_or_none(mast.m, middle)
    _node_or_none(mast.r, right)
    mast.l.min = mast.orig_l.min
    if split == bn.b_end:
        mast.l.max = mast.orig_r.max
        new_lmax = False
    mab_mas_cp(bn, 0, split, mast.l, new_lmax)
    if middle is not None:
        mab_mas_cp(bn, 1 + split, mid_split, mast.m, True)
        mast.m.min = bn.pivot[split] + 1
        split = mid_split
    mast.r.max = mast.orig_r.max
    if right is not None:
        mab_mas_cp(bn, 1 + split, bn.b_end, mast.r, False)
        mast.r.min = bn.pivot[split] + 1


def mast_combine_cp_left(mast):
    """mast_combine_cp_left(): orig_l's parent entries left of the new data."""
    l_slot = mast.orig_l.offset
    if not l_slot:
        return
    mas_mab_cp(mast.orig_l, 0, l_slot - 1, mast.bn, 0)


def mast_combine_cp_right(mast):
    """mast_combine_cp_right(): orig_r's parent entries right of the new data."""
    bn = mast.bn
    if bn.pivot[bn.b_end - 1] >= mast.orig_r.max:
        return
    mas_mab_cp(mast.orig_r, mast.orig_r.offset + 1, MT_SLOTS[mast.orig_r.node.type], bn, bn.b_end)
    mast.orig_r.last = mast.orig_r.max


def mas_mab_to_node(mas, bn):
    """mas_mab_to_node(): allocate L (and R, M) for the big node."""
    slot_count = MT_SLOTS[bn.type]
    left = mas_new_ma_node(mas, bn)
    right = middle = None
    mid_split = 0
    if bn.b_end < slot_count:
        split = bn.b_end
    else:
        split, mid_split = mab_calc_split(mas, bn)
        right = mas_new_ma_node(mas, bn)
    if mid_split:
        middle = mas_new_ma_node(mas, bn)
    return split, mid_split, left, middle, right


def mas_spanning_rebalance(mas, mast, count):
    """mas_spanning_rebalance(): rebuild every level from the leaves up, merging
    with neighbours where a level would be too small."""
    tree = mas.tree
    bn = mast.bn
    l_mas = MaState(tree, mas.index, mas.index)
    r_mas = MaState(tree, mas.index, mas.last)
    m_mas = MaState(tree, mas.index, mas.index)
    for s in (l_mas, r_mas, m_mas):
        s.rsv = mas.rsv
        s.status = MA_NONE
    mast.l, mast.m, mast.r = l_mas, m_mas, r_mas
    left = middle = right = None
    if ((mast.orig_l.min != 0 or mast.orig_r.max != ULONG_MAX)
            and bn.b_end <= MT_MIN_SLOTS[bn.type]):
        mast_spanning_rebalance(mast)
    l_mas.depth = 0
    new_root = False
    while count:
        count -= 1
        bn.b_end -= 1
        bn.type = mast.orig_l.node.type
        split, mid_split, left, middle, right = mas_mab_to_node(mas, bn)
        if trace.TRACER is not None:
            n = 1 + (middle is not None) + (right is not None)
            trace.emit("rebalance", "mas_spanning_rebalance",
                       f"{bn.b_end + 1} entries of this level are rebuilt into {n} new node(s).",
                       trees=(tree,), nodes={"focus": [mast.orig_l.node]}, level=l_mas.depth + 1)
        mast_cp_to_nodes(mast, left, middle, right, split, mid_split)
        bn.clear()
        bn.type = left.type
        l_mas.depth += 1
        if mas_is_root_limits(mast.l):
            new_root = True
            break
        mast_ascend(mast)
        mast_combine_cp_left(mast)
        l_mas.offset = bn.b_end
        mab_set_b_end(bn, l_mas, left)
        mab_set_b_end(bn, m_mas, middle)
        mab_set_b_end(bn, r_mas, right)
        mast_combine_cp_right(mast)
        mast.orig_l.last = mast.orig_l.max
        if bn.b_end > MT_MIN_SLOTS[mast.orig_l.node.type]:
            continue
        if bn.b_end >= MT_SLOTS[mast.orig_l.node.type]:
            continue
        if mas_is_root_limits(mast.orig_l):
            break
        mast_spanning_rebalance(mast)
        if not count:
            count += 1
    if not new_root:
        l_mas.node = mas_pop_node(mas, mast.orig_l.node.type)
        l_mas.depth += 1
        mab_mas_cp(bn, 0, MT_SLOTS[bn.type] - 1, l_mas, True)
    if mas_is_root_limits(mast.l):
        while mast.orig_l.node.parent is not None:
            mast_ascend(mast)
    old = mast.orig_l.node
    mas.depth = l_mas.depth
    mas.node = l_mas.node
    mas.min = l_mas.min
    mas.max = l_mas.max
    mas.offset = l_mas.offset
    mas_wmb_replace(mas, old)
    rewalk(mas)


def mas_rebalance(mas, bn):
    """mas_rebalance(): merge an insufficient leaf with its right (else left)
    sibling and rebalance upwards."""
    tree = mas.tree
    empty_count = tree.height
    bn.b_end += 1
    b_end = bn.b_end
    l_mas = mas.copy()
    r_mas = mas.copy()
    mast = Mast(bn, orig_l=l_mas, orig_r=r_mas)
    bn.type = mas.node.type
    with trace.call("mas_rebalance"):
        if mas_next_sibling(r_mas):
            mas_mab_cp(r_mas, 0, MT_SLOTS[r_mas.node.type], bn, b_end)
            r_mas.last = r_mas.index = r_mas.max
        else:
            mas_prev_sibling(l_mas)
            shift = mas_data_end(l_mas) + 1
            mab_shift_right(bn, shift)
            mas.offset += shift
            mas_mab_cp(l_mas, 0, shift - 1, bn, 0)
            bn.b_end = shift + b_end
            l_mas.index = l_mas.last = l_mas.min
        mas_spanning_rebalance(mas, mast, empty_count)


def mas_extend_spanning_null(l_wr, r_wr):
    """mas_extend_spanning_null(): widen a spanning NULL store over neighbouring
    NULL slots in the left and right leaves."""
    l_mas = l_wr.mas
    r_mas = r_wr.mas
    l_slot = l_mas.offset
    l_node = l_wr.node
    if l_wr.content is None:
        l_mas.index = l_wr.r_min
    if l_mas.index == l_wr.r_min and l_slot and l_node.slots[l_slot - 1] is None:
        if l_slot > 1:
            l_mas.index = l_node.pivots[l_slot - 2] + 1
        else:
            l_mas.index = l_mas.min
        l_mas.offset = l_slot - 1
    if r_wr.content is None:
        if r_mas.last < r_wr.r_max:
            r_mas.last = r_wr.r_max
        r_mas.offset += 1
    elif (r_mas.last == r_wr.r_max and r_mas.last < r_mas.max
          and r_wr.node.slots[r_mas.offset + 1] is None):
        r_mas.last = safe_pivot(r_wr.node, r_mas.offset + 1, r_mas.max)
        r_mas.offset += 1


def mas_wr_spanning_store(wr):
    """mas_wr_spanning_store(): a write that leaves the node it started in."""
    mas = wr.mas
    tree = mas.tree
    with trace.call("mas_wr_spanning_store"):
        if not mas.index and mas.last == ULONG_MAX:
            return mas_new_root(mas, wr.entry)
        height = tree.height
        r_mas = mas.copy()
        if r_mas.last != ULONG_MAX:
            r_mas.last += 1
        r_mas.index = r_mas.last
        r_wr = WrState(r_mas, wr.entry)
        mas_wr_walk_index(r_wr)
        r_mas.last = r_mas.index = mas.last
        l_mas = mas.copy()
        l_wr = WrState(l_mas, wr.entry)
        mas_wr_walk_index(l_wr)
        if wr.entry is None:
            mas_extend_spanning_null(l_wr, r_wr)
            mas.offset = l_mas.offset
            mas.index = l_mas.index
            mas.last = l_mas.last = r_mas.last
        if not l_mas.index and r_mas.last == ULONG_MAX:
            mas.index, mas.last = 0, ULONG_MAX
            return mas_new_root(mas, wr.entry)
        if trace.TRACER is not None:
            trace.emit("spanning", "mas_wr_spanning_store",
                       f"The write [{mas.index}, {mas.last}] spans leaves: the left and right "
                       "leaves are combined with the new entry, and everything between is dropped.",
                       trees=(tree,), nodes={"focus": [l_mas.node, r_mas.node]})
        bn = BigNode()
        mas_store_b_node(l_wr, bn, l_mas.end)
        if r_mas.max > r_mas.last:
            mas_mab_cp(r_mas, r_mas.offset, r_mas.end, bn, bn.b_end + 1)
        else:
            bn.b_end += 1
        l_mas.index = l_mas.last = mas.index
        mast = Mast(bn, orig_l=l_mas, orig_r=r_mas)
        mas_spanning_rebalance(mas, mast, height + 1)


def mas_wr_bnode(wr):
    """mas_wr_bnode(): build the big node and commit it (split or rebalance)."""
    mas = wr.mas
    bn = BigNode()
    mas_store_b_node(wr, bn, wr.offset_end)
    if mas.store_type == "rebalance":
        mas_rebalance(mas, bn)
    else:
        mas_split(mas, bn)
