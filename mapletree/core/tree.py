"""MapleTree: the normal (mtree_*) API of a maple tree."""

from . import trace
from .alloc import GFP_KERNEL, NodeAllocator
from .checks import check_index, check_range
from .constants import (EEXIST, ENOMEM, MT_FLAGS_ALLOC_RANGE, MT_FLAGS_HEIGHT_MASK,
                        MT_FLAGS_HEIGHT_OFFSET, MT_FLAGS_USE_RCU, MT_FLAGS_VALID, ULONG_MAX)
from .entries import xa_is_advanced, xa_is_zero
from .errors import (EntryExistsError, MapleTypeError, MapleValueError, NoMemoryError,
                     ReservedEntryError)
from .mas import MaState
from .node import Node, slot_bounds


class MapleTree:
    """A maple tree (``struct maple_tree``): a B-tree of non-overlapping ranges.

    Methods by purpose (n = number of ranges, h = height = O(log n)):

    * write: :meth:`store_range` / :meth:`store` (``mtree_store_range``) O(h),
      :meth:`insert_range` / :meth:`insert` (``mtree_insert_range``) O(h),
      :meth:`erase` (``mtree_erase``) O(h)
    * read: :meth:`load` (``mtree_load``) O(h), :meth:`ranges` O(n),
      iteration (``mt_for_each``) O(n), :meth:`state` (a :class:`MapleState`)
    * whole tree: :meth:`dup_into` (``__mt_dup``) O(nodes), :meth:`destroy`
      (``__mt_destroy``) O(nodes), :meth:`set_rcu` (``mt_set_in_rcu`` /
      ``mt_clear_in_rcu``) O(1)
    * inspection: :meth:`validate` (``mt_validate``) O(nodes), :meth:`dump`
      (``mt_dump``) O(nodes), :meth:`to_dict` / :meth:`from_dict` O(nodes),
      :meth:`nodes` O(nodes), :attr:`height` O(1), :meth:`node_count` O(nodes)

    Entries are any Python objects; ``None`` is NULL. Every write that needs
    memory draws nodes from ``allocator`` (a :class:`NodeAllocator`) and raises
    :class:`NoMemoryError` (errno ENOMEM) when it fails, leaving the tree
    exactly as it was.
    """

    def __init__(self, flags=0, allocator=None):
        if isinstance(flags, bool) or not isinstance(flags, int):
            raise MapleTypeError(f"flags must be an int, not {type(flags).__name__}")
        if flags & ~MT_FLAGS_VALID:
            raise MapleValueError(f"flags {flags:#x} has bits the model does not know "
                                  f"(valid: {MT_FLAGS_VALID:#x}; height bits are not settable)")
        if allocator is not None and not isinstance(allocator, NodeAllocator):
            raise MapleTypeError("allocator must be a NodeAllocator")
        self.flags = flags
        self.root = None
        self.allocator = allocator if allocator is not None else NodeAllocator()
        self.last_store_type = "invalid"

    # --- attributes ------------------------------------------------------------
    @property
    def height(self):
        """mt_height(): levels of nodes (0 when empty or a direct root entry)."""
        return (self.flags & MT_FLAGS_HEIGHT_MASK) >> MT_FLAGS_HEIGHT_OFFSET

    def set_height(self, h):
        self.flags = (self.flags & ~MT_FLAGS_HEIGHT_MASK) | (h << MT_FLAGS_HEIGHT_OFFSET)

    @property
    def attr(self):
        """mt_attr(): the flags without the height."""
        return self.flags & ~MT_FLAGS_HEIGHT_MASK

    @property
    def in_rcu(self):
        """mt_in_rcu()."""
        return bool(self.flags & MT_FLAGS_USE_RCU)

    @property
    def alloc_range(self):
        """mt_is_alloc(): internal nodes are arange_64 and track gaps."""
        return bool(self.flags & MT_FLAGS_ALLOC_RANGE)

    @property
    def is_empty(self):
        """mtree_empty(): the root pointer is NULL."""
        return self.root is None

    @property
    def root_node(self):
        """The root node, or None for an empty tree or a direct root entry."""
        return self.root if isinstance(self.root, Node) else None

    def set_rcu(self, on=True):
        """mt_set_in_rcu() / mt_clear_in_rcu()."""
        if on:
            self.flags |= MT_FLAGS_USE_RCU
        else:
            self.flags &= ~MT_FLAGS_USE_RCU

    # --- writes ----------------------------------------------------------------
    def _check_entry(self, entry):
        if xa_is_advanced(entry):
            raise ReservedEntryError(
                f"{entry!r} is a reserved internal entry; mtree_store_range refuses it "
                "(XA_ZERO_ENTRY is allowed)")

    def _mtree_write(self, func, text, first, last, entry, run):
        """The shared frame of mtree_store_range / mtree_insert_range: check the
        arguments, run ``run(mas)`` on a fresh state, record the store type."""
        check_range(first, last)
        self._check_entry(entry)
        mas = MaState(self, first, last)
        with trace.call(func):
            _begin(self, func, f"{text} [{first}, {last}] = {_label(entry)}")
            ret = run(mas)
        self.last_store_type = mas.store_type
        _end(self, func, ret)
        return mas, ret

    def store_range(self, first, last, entry, gfp=GFP_KERNEL):
        """mtree_store_range(): store ``entry`` over [first, last]. Cost: O(h)."""
        from .store import mas_store_gfp
        mas, ret = self._mtree_write("mtree_store_range", "store", first, last, entry,
                                     lambda m: mas_store_gfp(m, entry, gfp))
        if ret:
            raise NoMemoryError(f"mtree_store_range({first}, {last}): no memory for "
                                f"a {mas.store_type} (-ENOMEM); the tree is unchanged")
        return 0

    def store(self, index, entry, gfp=GFP_KERNEL):
        """mtree_store(): store at one index. Cost: O(h)."""
        return self.store_range(index, index, entry, gfp)

    def insert_range(self, first, last, entry, gfp=GFP_KERNEL):
        """mtree_insert_range(): store only if [first, last] holds nothing;
        raises :class:`EntryExistsError` otherwise. Cost: O(h)."""
        from .store import mtree_insert_range
        _mas, ret = self._mtree_write("mtree_insert_range", "insert", first, last, entry,
                                      lambda m: mtree_insert_range(m, entry, gfp))
        if ret == -EEXIST:
            raise EntryExistsError(f"mtree_insert_range({first}, {last}): the range is "
                                   "occupied (-EEXIST)")
        if ret:
            raise NoMemoryError(f"mtree_insert_range({first}, {last}): no memory (-ENOMEM)")
        return 0

    def insert(self, index, entry, gfp=GFP_KERNEL):
        """mtree_insert()."""
        return self.insert_range(index, index, entry, gfp)

    def erase(self, index, gfp=GFP_KERNEL):
        """mtree_erase(): remove the entry covering ``index``; returns it (None if
        nothing was there). On -ENOMEM raises :class:`NoMemoryError` whose
        ``entry`` attribute is what the kernel would have returned. Cost: O(h)."""
        check_index(index)
        from .store import mas_erase
        mas = MaState(self, index, index)
        mas.store_type = "invalid"
        with trace.call("mtree_erase"):
            _begin(self, "mtree_erase", f"erase the entry at {index}")
            entry, err = mas_erase(mas, gfp)
        self.last_store_type = mas.store_type
        _end(self, "mtree_erase", err)
        if err:
            exc = NoMemoryError(f"mtree_erase({index}): no memory (-ENOMEM); "
                                "the entry was not removed")
            exc.entry = entry
            raise exc
        return entry

    # --- reads ------------------------------------------------------------------
    def load(self, index):
        """mtree_load(): the entry at ``index``; XA_ZERO_ENTRY reads as None. Cost: O(h)."""
        check_index(index)
        root = self.root
        if not isinstance(root, Node):
            return root if index == 0 else None
        node = root
        while True:
            pivots = node.pivots
            end = len(pivots)
            offset = 0
            while offset < end and pivots[offset] < index:
                offset += 1
            nxt = node.slots[offset]
            if node.is_leaf:
                break
            node = nxt
        if xa_is_zero(nxt):
            return None
        return nxt

    def __getitem__(self, index):
        return self.load(index)

    def __contains__(self, index):
        return self.load(index) is not None

    def state(self, first=0, last=None):
        """A :class:`MapleState` on this tree (``MA_STATE``)."""
        from .state import MapleState
        return MapleState(self, first, last)

    def ranges(self, include_null=False):
        """Every (first, last, entry) in index order; NULL ranges only when asked.
        A direct root entry counts as (0, 0, entry). Cost: O(n)."""
        root = self.root
        out = []
        if root is None:
            if include_null:
                out.append((0, ULONG_MAX, None))
            return out
        if not isinstance(root, Node):
            out.append((0, 0, root))
            if include_null:
                out.append((1, ULONG_MAX, None))
            return out
        for node, lo, hi, _depth in self.nodes():
            if not node.is_leaf:
                continue
            end = node.data_end(hi)
            for i in range(end + 1):
                a, b = slot_bounds(node, i, lo, hi)
                e = node.slots[i]
                if e is not None or include_null:
                    out.append((a, b, e))
        return out

    def __iter__(self):
        """mt_for_each(): (first, last, entry) of every entry; zero entries skipped."""
        for a, b, e in self.ranges():
            if not xa_is_zero(e):
                yield a, b, e

    def __len__(self):
        return sum(1 for _ in self)

    def nodes(self):
        """Every node as (node, min, max, depth), depth-first pre-order. Cost: O(nodes)."""
        root = self.root
        if not isinstance(root, Node):
            return
        stack = [(root, 0, ULONG_MAX, 0)]
        while stack:
            node, lo, hi, depth = stack.pop()
            yield node, lo, hi, depth
            if node.is_leaf:
                continue
            end = node.data_end(hi)
            kids = []
            for i in range(end + 1):
                a, b = slot_bounds(node, i, lo, hi)
                kids.append((node.slots[i], a, b, depth + 1))
            stack.extend(reversed(kids))

    def node_count(self):
        """Number of nodes reachable from the root."""
        return sum(1 for _ in self.nodes())

    # --- whole tree --------------------------------------------------------------
    def destroy(self):
        """__mt_destroy(): free every node; the tree becomes empty (flags kept,
        height cleared). Cost: O(nodes)."""
        from .dup import mt_destroy
        mt_destroy(self)

    def dup_into(self, dst):
        """__mt_dup(self, dst): copy this tree node by node into the empty ``dst``."""
        from .dup import mt_dup
        mt_dup(self, dst)
        return dst

    def validate(self):
        """mt_validate(): check every invariant; raises :class:`ValidationError`."""
        from .validate import mt_validate
        mt_validate(self)

    def dump(self, fmt="dec"):
        """mt_dump(): the kernel's dump text (stand-in addresses)."""
        from .dump import mt_dump
        return mt_dump(self, fmt)

    def to_dict(self):
        """The tree in the golden JSON dump format (conformance/README.md)."""
        from .dump import tree_to_dict
        return tree_to_dict(self)

    @classmethod
    def from_dict(cls, data, allocator=None):
        """Build a tree from a dump made by :meth:`to_dict` (raises
        :class:`DumpFormatError` on malformed data)."""
        from .dump import tree_from_dict
        return tree_from_dict(data, allocator)

    def __repr__(self):
        kind = "empty" if self.root is None else (
            "root entry" if not isinstance(self.root, Node) else f"height {self.height}")
        return f"<MapleTree flags={self.flags:#x} {kind}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        try:
            from ..viz import display as _display
        except Exception:
            return {"text/plain": repr(self)}
        return _display.tree_mimebundle(self, include, exclude)


def _label(entry):
    return "NULL" if entry is None else repr(entry)


def _begin(tree, func, text):
    if trace.TRACER is not None:
        trace.emit("begin", func, text[0].upper() + text[1:] + ".", trees=(tree,))


def _end(tree, func, ret):
    if trace.TRACER is not None:
        if ret and ret == -ENOMEM:
            trace.emit("failure", func, "The operation failed with -ENOMEM; the tree is unchanged.",
                       trees=(tree,), ret=ret)
        trace.emit("end", func, "Done." if not ret else f"Returned {ret}.", trees=(tree,), ret=ret)
