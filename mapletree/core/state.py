"""MapleState: the advanced (mas_*) API, a cursor over a maple tree."""

from . import trace
from .alloc import GFP_KERNEL
from .checks import check_index, check_range, check_size
from .constants import EINVAL, MAPLE_ARANGE_64, MT_FLAGS_ALLOC_RANGE, MT_SLOTS, ULONG_MAX
from .errors import MapleTypeError, MapleValueError, NoGapError, NoMemoryError
from .gap import leaf_max_gap
from .mas import (MA_ACTIVE, MA_NONE, MA_OVERFLOW, MA_PAUSE, MA_ROOT, MA_START,
                  MA_STATE_BULK, MA_STATE_PREALLOC, MA_UNDERFLOW, MaState,
                  mas_node_count_gfp)
from .node import Node, slot_bounds


class MapleState:
    """A maple state (``MA_STATE``): a position in a tree plus an operation context.

    Methods by purpose (h = tree height):

    * position: :meth:`set_range` (``mas_set_range``) O(1), :meth:`reset`
      (``mas_reset``) O(1), :meth:`pause` (``mas_pause``) O(1); attributes
      ``index``, ``last`` (the range of the last result), ``status``
    * reading: :meth:`walk` (``mas_walk``) O(h), :meth:`find` / :meth:`find_range`
      (``mas_find``) O(h), :meth:`next` / :meth:`next_range` (``mas_next``) O(h),
      :meth:`prev` / :meth:`prev_range` (``mas_prev``) O(h), :meth:`find_rev`
      (``mas_find_rev``) O(h), iteration (``mas_for_each``) O(h) per entry
    * writing: :meth:`store` (``mas_store``: GFP_NOWAIT, no retry) O(h),
      :meth:`store_gfp` (``mas_store_gfp``) O(h), :meth:`erase` (``mas_erase``) O(h),
      :meth:`expected_entries` (``mas_expected_entries``) O(n), :meth:`destroy`
      (``mas_destroy``) O(1)
    * gap search: :meth:`empty_area` / :meth:`empty_area_rev`
      (``mas_empty_area(_rev)``) O(h) on allocation-range trees

    The advanced API returns ``XA_ZERO_ENTRY`` as itself. ``store_type`` is the
    write path the last store took.
    """

    def __init__(self, tree, first=0, last=None):
        from .tree import MapleTree
        if not isinstance(tree, MapleTree):
            raise MapleTypeError("MapleState needs a MapleTree")
        if last is None:
            last = first
        check_range(first, last)
        self.tree = tree
        self._m = MaState(tree, first, last)

    # --- position -------------------------------------------------------------
    @property
    def index(self):
        return self._m.index

    @property
    def last(self):
        return self._m.last

    @property
    def status(self):
        return self._m.status

    @property
    def store_type(self):
        return self._m.store_type

    def set_range(self, first, last):
        """mas_set_range(): aim at [first, last] and reset."""
        check_range(first, last)
        self._m.index, self._m.last = first, last
        self._m.status = MA_START
        return self

    def set(self, index):
        """mas_set()."""
        return self.set_range(index, index)

    def reset(self):
        """mas_reset()."""
        self._m.status = MA_START
        return self

    def pause(self):
        """mas_pause(): the next find restarts after ``last``."""
        self._m.status = MA_PAUSE
        return self

    # --- reading ----------------------------------------------------------------
    def _slot_at(self, index):
        """(first, last, entry) of the slot holding ``index`` (walks from the root)."""
        root = self.tree.root
        if root is None:
            return 0, ULONG_MAX, None
        if not isinstance(root, Node):
            return (0, 0, root) if index == 0 else (1, ULONG_MAX, None)
        node, lo, hi = root, 0, ULONG_MAX
        while True:
            end = node.data_end(hi)
            off = 0
            while off < end and index > node.pivots[off]:
                off += 1
            a, b = slot_bounds(node, off, lo, hi)
            if trace.TRACER is not None:
                trace.emit("walk", "mas_walk" if node.is_leaf else "mas_descend",
                           f"In the node covering [{lo}, {hi}], index {index} falls in slot "
                           f"{off} ([{a}, {b}]).", trees=(self.tree,),
                           nodes={"modified": []}, node=node, slot=off)
            if node.is_leaf:
                return a, b, node.slots[off]
            node, lo, hi = node.slots[off], a, b

    def _set(self, a, b, status=MA_ACTIVE):
        self._m.index, self._m.last, self._m.status = a, b, status

    def walk(self):
        """mas_walk(): the entry at ``index``; index/last become its slot's range
        (NULL ranges included)."""
        m = self._m
        root = self.tree.root
        if root is None:
            self._set(0, ULONG_MAX, MA_NONE)
            return None
        if not isinstance(root, Node):
            if m.index == 0:
                self._set(0, 0, MA_ROOT)
                return root
            self._set(1, ULONG_MAX, MA_NONE)
            return None
        a, b, e = self._slot_at(m.index)
        self._set(a, b)
        return e

    def _forward(self, start, max_, skip_null):
        pos = start
        while pos is not None and pos <= max_:
            a, b, e = self._slot_at(pos)
            if e is not None or not skip_null:
                self._set(a, b)
                return e
            pos = b + 1 if b < ULONG_MAX else None
        return None

    def _backward(self, start, min_, skip_null):
        pos = start
        while pos is not None:
            a, b, e = self._slot_at(pos)
            if b < min_:
                break
            if e is not None or not skip_null:
                self._set(a, b)
                return e
            if a == 0 or a <= min_:
                break
            pos = a - 1
        return None

    def _check_limit(self, value, name):
        check_index(value, name)

    def find(self, max=ULONG_MAX):
        """mas_find(): the entry at index if any, else the next one starting at or
        before ``max``; later calls continue after the last result."""
        return self._find(max, True)

    def find_range(self, max=ULONG_MAX):
        """mas_find_range(): like find, but NULL ranges are returned too."""
        return self._find(max, False)

    def _find(self, max_, skip_null):
        self._check_limit(max_, "max")
        m = self._m
        if m.status in (MA_START, MA_NONE) and not (m.status == MA_NONE and m.index):
            start = m.index
        elif m.status == MA_PAUSE or m.status in (MA_ACTIVE, MA_ROOT, MA_OVERFLOW, MA_NONE):
            if m.last == ULONG_MAX:
                return None
            start = m.last + 1 if m.status != MA_START else m.index
        else:
            start = m.index
        if start > max_:
            return None
        e = self._forward(start, max_, skip_null)
        if e is None and skip_null:
            m.status = m.status if m.status != MA_START else MA_ACTIVE
        return e

    def __iter__(self):
        """mas_for_each(): every entry from index on (zero entries included)."""
        while True:
            e = self.find(ULONG_MAX)
            if e is None:
                return
            yield e

    def next(self, max=ULONG_MAX):
        """mas_next(): the next entry strictly after the current range."""
        return self._next(max, True)

    def next_range(self, max=ULONG_MAX):
        """mas_next_range(): the next range, NULL or not."""
        return self._next(max, False)

    def _next(self, max_, skip_null):
        self._check_limit(max_, "max")
        m = self._m
        if m.status in (MA_START, MA_PAUSE):
            a, b, _ = self._slot_at(m.index)
            self._set(a, b)
        if m.last >= max_ or m.last == ULONG_MAX:
            m.status = MA_OVERFLOW
            return None
        e = self._forward(m.last + 1, max_, skip_null)
        if e is None:
            m.status = MA_OVERFLOW
        return e

    def prev(self, min=0):
        """mas_prev(): the previous entry strictly before the current range."""
        return self._prev(min, True)

    def prev_range(self, min=0):
        """mas_prev_range(): the previous range, NULL or not."""
        return self._prev(min, False)

    def _prev(self, min_, skip_null):
        self._check_limit(min_, "min")
        m = self._m
        if m.status in (MA_START, MA_PAUSE):
            a, b, _ = self._slot_at(m.index)
            self._set(a, b)
        if m.index <= min_ or m.index == 0:
            m.status = MA_UNDERFLOW
            return None
        e = self._backward(m.index - 1, min_, skip_null)
        if e is None:
            m.status = MA_UNDERFLOW
        return e

    def find_rev(self, min=0):
        """mas_find_rev(): the entry at index if any, else the previous one; later
        calls continue below the last result."""
        self._check_limit(min, "min")
        m = self._m
        if m.status in (MA_START, MA_NONE):
            start = m.index
        else:
            if m.index == 0:
                return None
            start = m.index - 1
        if start < min:
            return None
        e = self._backward(start, min, True)
        if e is None:
            m.status = MA_UNDERFLOW
        return e

    # --- writing ------------------------------------------------------------------
    def store(self, entry):
        """mas_store(): store over [index, last] with one GFP_NOWAIT attempt and no
        retry (NoMemoryError when a node is needed and cannot be had)."""
        from .store import mas_store
        m = self._m
        m.status = MA_START
        _old, err = mas_store(m, entry)
        self.tree.last_store_type = m.store_type
        if err == -EINVAL:
            raise MapleValueError("mas_store: index > last (-EINVAL)")
        if err:
            raise NoMemoryError(f"mas_store [{m.index}, {m.last}]: no memory for a "
                                f"{m.store_type} and mas_store does not retry (-ENOMEM)")
        return _old

    def store_gfp(self, entry, gfp=GFP_KERNEL):
        """mas_store_gfp(): store over [index, last], retrying allocation with ``gfp``."""
        from .store import mas_store_gfp
        m = self._m
        m.status = MA_START
        ret = mas_store_gfp(m, entry, gfp)
        self.tree.last_store_type = m.store_type
        if ret:
            raise NoMemoryError(f"mas_store_gfp [{m.index}, {m.last}]: no memory (-ENOMEM); "
                                "the tree is unchanged")
        return 0

    def erase(self):
        """mas_erase(): remove the entry at index; returns it."""
        from .store import mas_erase
        m = self._m
        m.last = m.index
        entry, err = mas_erase(m)
        self.tree.last_store_type = m.store_type
        if err:
            exc = NoMemoryError("mas_erase: no memory (-ENOMEM)")
            exc.entry = entry
            raise exc
        return entry

    def expected_entries(self, nr_entries):
        """mas_expected_entries(): bulk mode; preallocate for ``nr_entries``
        in-order stores (the 6.1-6.7 fork path)."""
        check_index(nr_entries, "nr_entries")
        m = self._m
        m.mas_flags |= MA_STATE_BULK
        nr_nodes = max(nr_entries, nr_entries * 2 + 1)
        nonleaf_cap = MAPLE_ARANGE_64 and (MT_SLOTS[MAPLE_ARANGE_64] - 2)
        if not self.tree.flags & MT_FLAGS_ALLOC_RANGE:
            nonleaf_cap = MT_SLOTS[2] - 2
        leaves = -(-nr_nodes // (MT_SLOTS[1] - 2))
        nr_nodes = leaves + -(-leaves // nonleaf_cap)
        mas_node_count_gfp(m, nr_nodes + 3, GFP_KERNEL)
        m.mas_flags |= MA_STATE_PREALLOC
        if m.status == "error":
            m.mas_flags &= ~(MA_STATE_BULK | MA_STATE_PREALLOC)
            from .mas import mas_destroy
            mas_destroy(m)
            m.status = MA_START
            raise NoMemoryError(f"mas_expected_entries({nr_entries}): could not preallocate "
                                f"{nr_nodes + 3} nodes (-ENOMEM)")
        return 0

    def destroy(self):
        """mas_destroy(): hand back unused preallocated nodes (and, after a bulk
        insert, fix an insufficient last leaf)."""
        from .mas import mas_destroy
        mas_destroy(self._m)

    # --- gap search ---------------------------------------------------------------
    def _gap_args(self, min_, max_, size):
        check_index(min_, "min")
        check_index(max_, "max")
        check_size(size)
        if min_ > max_:
            raise MapleValueError(f"min ({min_}) > max ({max_}) (-EINVAL)")
        if max_ - min_ < size - 1:
            raise MapleValueError(f"window [{min_}, {max_}] is smaller than size {size} (-EINVAL)")
        root = self.tree.root
        if isinstance(root, Node) and not root.is_leaf and not self.tree.alloc_range:
            raise MapleValueError("gap search needs an MT_FLAGS_ALLOC_RANGE tree")

    def _sparse(self, min_, max_, size, rev):
        if self.tree.root is not None and min_ == 0:
            min_ = 1
            if max_ - min_ < size - 1:
                raise NoGapError("no gap: index 0 holds the root entry (-EBUSY)")
        if rev:
            self._set(max_ - size + 1, max_)
        else:
            self._set(min_, min_ + size - 1)
        return self.index

    def empty_area(self, min, max, size):
        """mas_empty_area(): the lowest [index, index+size-1] of NULL within
        [min, max]; returns index (NoGapError (-EBUSY) when there is none)."""
        self._gap_args(min, max, size)
        if not isinstance(self.tree.root, Node):
            return self._sparse(min, max, size, False)
        found = self._gap_walk(self.tree.root, 0, ULONG_MAX, min, max, size)
        if found is None:
            raise NoGapError(f"no gap of {size} in [{min}, {max}] (-EBUSY)")
        self._set(found, found + size - 1)
        return found

    def _gap_walk(self, node, lo, hi, wmin, wmax, size, rev=False):
        """mas_awalk() / mas_rev_awalk(): scan the node's slots in index order (or
        from the right), descend into children whose recorded gap can hold
        ``size``, climb back when nothing inside the window fits. Returns the
        lowest start (or highest end, ``rev``) of a fitting hole, or None."""
        end = node.data_end(hi)
        for i in (range(end, -1, -1) if rev else range(end + 1)):
            a, b = slot_bounds(node, i, lo, hi)
            if (a > wmax) if rev else (b < wmin):
                continue                      # not yet inside the window
            if (b < wmin) if rev else (a > wmax):
                return None                   # scanned past the window
            if node.is_leaf:
                if node.slots[i] is None:
                    fit_lo, fit_hi = max(a, wmin), min(b, wmax)
                    if fit_hi - fit_lo + 1 >= size:
                        self._emit_gap(node, i, lo, hi, True)
                        return fit_hi if rev else fit_lo
                    self._emit_skip(node, i, a, b, size, leaf=True)
            elif node.gaps[i] >= size:
                self._emit_gap(node, i, lo, hi, False)
                found = self._gap_walk(node.slots[i], a, b, wmin, wmax, size, rev)
                if found is not None:
                    return found
                self._emit_climb(node, i, a, b, wmin, wmax)
            else:
                self._emit_skip(node, i, a, b, size, leaf=False)
        return None

    def _emit_skip(self, node, i, a, b, size, leaf):
        if trace.TRACER is not None:
            if leaf:
                text = (f"Slot {i} ([{a}, {b}]) is NULL but too small for {size} "
                        "inside the window: keep looking.")
            else:
                text = (f"Child {i} ([{a}, {b}]) records a largest gap of {node.gaps[i]}, "
                        f"less than {size}: skip its whole subtree.")
            trace.emit("walk", "mas_anode_descend", text, trees=(self.tree,),
                       nodes={"focus": [node]}, node=node, slot=i)

    def _emit_climb(self, node, i, a, b, wmin, wmax):
        if trace.TRACER is not None:
            trace.emit("walk", "mas_skip_node",
                       f"The gap under child {i} lies outside the window [{wmin}, {wmax}]: "
                       "climb back and try the next child.", trees=(self.tree,),
                       nodes={"focus": [node]}, node=node, slot=i)

    def _emit_gap(self, node, i, lo, hi, leaf):
        if trace.TRACER is not None:
            trace.emit("walk", "mas_awalk" if not leaf else "mas_anode_descend",
                       (f"Slot {i} is a NULL range big enough: the gap is found."
                        if leaf else f"Child {i} records a gap of {node.gaps[i]}: look inside."),
                       trees=(self.tree,), nodes={"focus": [node]}, node=node, slot=i)

    def empty_area_rev(self, min, max, size):
        """mas_empty_area_rev(): the highest [index, index+size-1] of NULL within
        [min, max]; returns index (NoGapError when there is none)."""
        self._gap_args(min, max, size)
        if not isinstance(self.tree.root, Node):
            return self._sparse(min, max, size, True)
        found = self._gap_walk(self.tree.root, 0, ULONG_MAX, min, max, size, rev=True)
        if found is None:
            raise NoGapError(f"no gap of {size} in [{min}, {max}] (-EBUSY)")
        self._set(found - size + 1, found)
        return found - size + 1

    def __repr__(self):
        return (f"<MapleState [{self.index}, {self.last}] status={self.status} "
                f"store_type={self.store_type}>")


def destroy_rebalance(mas):
    """mas_destroy() after a bulk insert: walk to mas.index and, if that leaf
    holds fewer than mt_min_slots - 1 entries, move the upper part of its left
    sibling into it (mas_destroy_rebalance, non-RCU path; bulk inserts run with
    RCU cleared)."""
    from .constants import MT_MIN_SLOTS, MT_PIVOTS
    from .gap import leaf_max_gap, mas_update_gap
    from .mas import mas_ascend, mas_prev_sibling, mas_start, mtree_range_walk
    tree = mas.tree
    if not isinstance(tree.root, Node):
        return
    mas.status = MA_START
    mas_start(mas)
    mtree_range_walk(mas)
    node = mas.node
    end = mas.end + 1
    if end >= MT_MIN_SLOTS[node.type] - 1 or node.parent is None:
        return
    l_mas = mas.copy()
    if not mas_prev_sibling(l_mas):
        return
    left = l_mas.node
    nslots = MT_SLOTS[node.type]
    npiv = MT_PIVOTS[node.type]
    split = nslots // 2
    if left.slots[split] is None:
        split += 1
    l_end = left.data_end(l_mas.max)
    moved = l_end - split
    new_slots = left.slots[split + 1:l_end + 1] + node.slots[:end]
    l_piv_full = left.pivots + [l_mas.max]
    new_pivs = l_piv_full[split + 1:l_end] + [l_mas.max] + node.pivots[:min(end, npiv)]
    total = moved + end
    node.slots = (new_slots + [None] * nslots)[:nslots]
    node.pivots = (new_pivs + [0] * npiv)[:npiv]
    if total - 1 < npiv:
        for j in range(total, npiv):
            node.pivots[j] = 0
    node.set_meta(total - 1, 0)
    new_left_max = left.pivots[split]
    parent = left.parent
    parent.pivots[left.parent_slot] = new_left_max
    for j in range(split + 1, nslots):
        left.slots[j] = None
    for j in range(split + 1, npiv):
        left.pivots[j] = 0
    left.set_meta(split, 0)
    l_mas.max = new_left_max
    mas.min = new_left_max + 1
    if tree.alloc_range and parent.gaps is not None:
        parent.gaps[node.parent_slot] = leaf_max_gap(node, mas.min, mas.max)
        parent.gaps[left.parent_slot] = leaf_max_gap(left, l_mas.min, l_mas.max)
    mas_ascend(mas)
    if tree.alloc_range and parent.gaps is not None:
        from .gap import ma_max_gap
        g, off = ma_max_gap(parent)
        parent.meta_gap = off
        mas_update_gap(mas)
