"""Recording: frozen tree snapshots and the frames of a recorded operation.

Data flows one way: a core or process-model operation runs under a
:class:`Recorder`, which installs itself as the tracer of
:mod:`mapletree.core.trace`; every event the kernel-mirroring code reports
becomes one :class:`Frame`. A frame holds immutable snapshots of the trees
(:class:`TreeSnap` of :class:`NodeSnap`), what changed, the kernel function at
work with its caller chain, an event kind and one sentence of narration.

Snapshots are *interned*: a node snapshot is keyed by ``(nid, content)`` and an
unchanged node (with an unchanged subtree) is the very same object in every
frame, so a long recording of a large tree stays small.

Snapshots can also be built from the golden dump format (``tree.to_dict()``,
see the conformance README), so diagrams can be drawn from golden cases.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType

from mapletree.core import trace
from mapletree.core.constants import ULONG_MAX
from mapletree.core.entries import InternalEntry, XA_ZERO_ENTRY

VM_DONTCOPY = 0x00020000      # include/linux/mm.h

#: Event kinds recorded by default (``walk`` events are skipped: too many).
DEFAULT_KINDS = frozenset(k for k in trace.EVENT_KINDS if k != "walk")

#: Event kinds a lecturer usually wants to jump between.
INTEREST_KINDS = frozenset({
    "split", "push", "rebalance", "spanning", "new_root", "node_copy", "failure",
    "marker", "teardown", "fork", "alloc", "free", "node_store",
})

CHANGE_KINDS = ("new", "copied", "modified", "freed")


# --------------------------------------------------------------------------- entries

@dataclass(frozen=True)
class EntrySnap:
    """What a leaf slot holds, as drawn: a short label and a role.

    Roles: ``null``, ``value``, ``marker`` (XA_ZERO_ENTRY), ``internal``,
    ``vma`` (a VMA of the process being built), ``child`` (a child VMA),
    ``stale`` (a parent VMA pointer copied into the child tree), ``dontcopy``,
    ``torn`` (torn down) or anything a describer returns.
    """

    label: str
    role: str
    value: object = None       # int / None / "zero" for golden-comparable entries
    ident: object = None       # identity of the stored object (VMAs), not drawn

    @property
    def is_null(self):
        return self.role == "null"

    @property
    def key(self):
        """What the tree stores, ignoring the role: a role change (a VMA torn down)
        is not a write."""
        return (self.label, self.value, self.ident)


NULL_SNAP = EntrySnap("NULL", "null", None)
ZERO_SNAP = EntrySnap("XA_ZERO", "marker", "zero")


def describe_entry(entry):
    """Default entry describer: ``entry -> EntrySnap``.

    NULL, XA_ZERO_ENTRY and other internal entries, ints, objects offering a
    ``viz_entry()`` method (returning an EntrySnap or a ``(label, role)``
    pair), objects with ``vm_start``/``vm_end`` (VMAs), otherwise ``str``.
    """
    if entry is None:
        return NULL_SNAP
    if entry is XA_ZERO_ENTRY or entry == "zero":
        return ZERO_SNAP
    if isinstance(entry, InternalEntry):
        return EntrySnap(repr(entry), "internal", f"reserved:{entry.value}")
    if isinstance(entry, bool):
        return EntrySnap(str(entry), "value", None)
    if isinstance(entry, int):
        return EntrySnap(str(entry), "value", entry)
    hook = getattr(entry, "viz_entry", None)
    if callable(hook):
        got = hook()
        if isinstance(got, EntrySnap):
            return got
        label, role = got
        return EntrySnap(str(label), str(role), None, id(entry))
    if hasattr(entry, "vm_start") and hasattr(entry, "vm_end"):
        name = getattr(entry, "name", None) or getattr(entry, "label", None)
        label = str(name) if name else f"{entry.vm_start:#x}"
        return EntrySnap(label, "vma", None, id(entry))
    text = str(entry)
    if len(text) > 14:
        text = text[:13] + "…"
    return EntrySnap(text, "value", None)


# --------------------------------------------------------------------------- snapshots

_uids = itertools.count(1)


@dataclass(frozen=True, eq=False)
class NodeSnap:
    """Immutable snapshot of one maple node (``struct maple_node`` + its limits).

    ``slots`` hold child NodeSnaps (internal nodes) or EntrySnaps (leaves);
    only slots ``0..end`` are kept; ``pivots`` are the ``end`` explicit pivots
    (slot ``end`` ends at ``max``). Compare snapshots with ``is``: interning
    makes equal content the same object.
    """

    nid: object
    type_name: str
    min: int
    max: int
    pivots: tuple
    slots: tuple
    gaps: tuple | None = None
    meta_gap: int | None = None
    dead: bool = False
    uid: int = field(default_factory=lambda: next(_uids))

    @property
    def is_leaf(self):
        return self.type_name in ("leaf_64", "dense")

    @property
    def end(self):
        return len(self.slots) - 1

    def slot_range(self, i):
        """Inclusive ``(first, last)`` of slot ``i`` (ma_get_pivots rule)."""
        lo = self.min if i == 0 else self.pivots[i - 1] + 1
        hi = self.pivots[i] if i < len(self.pivots) and i < self.end else self.max
        return lo, hi

    def children(self):
        return () if self.is_leaf else tuple(c for c in self.slots if isinstance(c, NodeSnap))

    def walk(self, depth=0, parent=None, slot=None):
        """Pre-order ``(node, depth, parent, slot)`` over the subtree."""
        yield self, depth, parent, slot
        if not self.is_leaf:
            for i, child in enumerate(self.slots):
                if isinstance(child, NodeSnap):
                    yield from child.walk(depth + 1, self, i)

    def subtree_size(self):
        """``(nodes, non-NULL entries)`` under this node (cached)."""
        got = _SIZE_CACHE.get(self.uid)
        if got is None:
            if self.is_leaf:
                got = (1, sum(1 for s in self.slots if not s.is_null))
            else:
                n = e = 0
                for c in self.children():
                    cn, ce = c.subtree_size()
                    n += cn
                    e += ce
                got = (n + 1, e)
            _SIZE_CACHE[self.uid] = got
        return got

    def to_dict(self):
        """The golden dump form of this node (conformance README)."""
        d = {"type": self.type_name, "min": self.min, "max": self.max,
             "end": self.end, "pivots": list(self.pivots)}
        if self.is_leaf:
            d["slots"] = [s.value if s.role in ("null", "value", "marker", "internal")
                          else s.label for s in self.slots]
        else:
            d["slots"] = [c.to_dict() for c in self.slots]
        if self.gaps is not None:
            d["gaps"] = list(self.gaps)
            d["meta_gap"] = self.meta_gap
        return d


_SIZE_CACHE = {}


@dataclass(frozen=True, eq=False)
class TreeSnap:
    """Immutable snapshot of a whole tree: name, flags, height and root.

    ``root`` is None (empty), an EntrySnap (single entry in ``ma_root``) or a
    NodeSnap. ``building`` marks nodes shown while an operation (``__mt_dup``)
    builds them before the tree's root points at them.
    """

    name: str
    flags: int
    height: int
    root: object
    in_rcu: bool = False
    building: bool = False

    @property
    def root_node(self):
        return self.root if isinstance(self.root, NodeSnap) else None

    def nodes(self):
        """Pre-order ``(node, depth, parent, slot)``."""
        if self.root_node is None:
            return iter(())
        return self.root_node.walk()

    def node_count(self):
        return self.root_node.subtree_size()[0] if self.root_node else 0

    def index(self):
        """``{nid: (node, depth, parent_nid, slot)}`` (cached)."""
        got = _INDEX_CACHE.get(id(self))
        if got is None or got[0] is not self:
            idx = {n.nid: (n, d, p.nid if p is not None else None, s)
                   for n, d, p, s in self.nodes()}
            got = (self, idx)
            _INDEX_CACHE[id(self)] = got
        return got[1]

    def to_dict(self):
        if self.root is None:
            root = None
        elif isinstance(self.root, EntrySnap):
            root = {"entry": self.root.value}
        else:
            root = self.root.to_dict()
        return {"flags": self.flags, "height": self.height, "root": root}

    def _repr_mimebundle_(self, include=None, exclude=None):
        from .graph import tree_mimebundle
        return tree_mimebundle(self)


_INDEX_CACHE = {}


class Interner:
    """Keeps one NodeSnap per ``(nid, content)`` so unchanged nodes are shared."""

    def __init__(self):
        self._nodes = {}

    def __len__(self):
        return len(self._nodes)

    def node(self, nid, type_name, lo, hi, pivots, slots, gaps=None, meta_gap=None, dead=False):
        key = (nid, type_name, lo, hi, tuple(pivots),
               tuple(s.uid if isinstance(s, NodeSnap) else s for s in slots),
               None if gaps is None else tuple(gaps), meta_gap, dead)
        got = self._nodes.get(key)
        if got is None:
            got = NodeSnap(nid, type_name, lo, hi, tuple(pivots), tuple(slots),
                           None if gaps is None else tuple(gaps), meta_gap, dead)
            self._nodes[key] = got
        return got


def _flags_height(flags):
    return (flags & 0x7C) >> 2


# ----- from the golden dict form

def snapshot_from_dict(d, name="tree", interner=None, path="r"):
    """Build a TreeSnap from a golden tree dump ``{"flags", "height", "root"}``.

    Nodes have no identity in a dump, so their nid is their path from the root
    (``"r"``, ``"r.0"``, ``"r.0.3"``...). Raises TypeError/ValueError on a
    malformed dump.
    """
    if not isinstance(d, dict) or "root" not in d:
        raise TypeError("snapshot_from_dict expects a dict with a 'root' key")
    interner = Interner() if interner is None else interner
    flags = int(d.get("flags", 0))
    root = d["root"]
    if root is None:
        snap_root = None
    elif isinstance(root, dict) and "entry" in root and "type" not in root:
        snap_root = describe_entry(root["entry"])
    else:
        snap_root = _node_from_dict(root, interner, path)
    height = int(d.get("height", _flags_height(flags)))
    return TreeSnap(name, flags, height, snap_root, bool(flags & 0x02))


def _node_from_dict(nd, interner, path):
    try:
        t = nd["type"]
        lo, hi = nd["min"], nd["max"]
        pivots, slots = nd["pivots"], nd["slots"]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed node dump at {path}: {exc!r}") from None
    if t in ("leaf_64", "dense"):
        kids = [describe_entry(s) for s in slots]
    else:
        kids = [_node_from_dict(c, interner, f"{path}.{i}") for i, c in enumerate(slots)]
    return interner.node(path, t, lo, hi, pivots, kids, nd.get("gaps"), nd.get("meta_gap"))


# ----- from a live core tree

def snapshot_tree(tree, name="tree", interner=None, describe=describe_entry, pending=None,
                  cache=None, gen=0):
    """Build a TreeSnap from a live :class:`mapletree.core.tree.MapleTree`.

    Walks ``tree.root_node`` by node attributes (``nid`` is the identity).
    ``pending``: a node being built for this empty tree (drawn as its root).
    """
    interner = Interner() if interner is None else interner
    flags = int(getattr(tree, "flags", 0))
    height = int(getattr(tree, "height", _flags_height(flags)))
    in_rcu = bool(getattr(tree, "in_rcu", flags & 0x02))
    root = getattr(tree, "root_node", None)
    if root is None and pending is not None:
        snap_root = _node_from_live(pending, 0, ULONG_MAX, interner, describe, cache, gen)
        return TreeSnap(name, flags, height, snap_root, in_rcu, building=True)
    if root is None:
        if getattr(tree, "is_empty", True):
            snap_root = None
        else:
            snap_root = describe(_root_entry(tree))
    else:
        snap_root = _node_from_live(root, 0, ULONG_MAX, interner, describe, cache, gen)
    return TreeSnap(name, flags, height, snap_root, in_rcu)


def _root_entry(tree):
    for attr in ("root_entry", "_root_entry"):
        if hasattr(tree, attr):
            return getattr(tree, attr)
    ranges = tree.ranges()
    return ranges[0][2] if ranges else None


def _node_end(node, node_max):
    """ma_data_end(): the last used slot of a live node."""
    de = getattr(node, "data_end", None)
    if callable(de):
        return int(de(node_max))
    end = getattr(node, "end", None)
    if end is None:
        end = getattr(node, "meta_end", None)
    if end is None:
        end = len([s for s in node.slots if s is not None]) - 1
    return int(end)


def _node_from_live(node, lo, hi, interner, describe, cache=None, gen=0):
    """Snapshot one live node and its subtree.

    ``cache`` (``{id(node): (signature, NodeSnap)}``) skips describing the slots of
    a node whose pivots, slot objects, gaps and children's snapshots are unchanged
    since the last call with the same ``gen`` (bump ``gen`` when entries may have
    changed state without being rewritten, e.g. a VMA torn down).
    """
    end = _node_end(node, hi)
    pivots = tuple(node.pivots[:end])
    raw = node.slots[:end + 1]
    gaps = getattr(node, "gaps", None)
    if gaps is not None:
        gaps = tuple(gaps[:end + 1])
    meta_gap = getattr(node, "meta_gap", None) if gaps is not None else None
    dead = bool(getattr(node, "dead", False))
    if node.is_leaf:
        sig = (node.type, lo, hi, pivots, tuple(map(id, raw)), gaps, meta_gap, dead, gen)
        if cache is not None:
            got = cache.get(id(node))
            if got is not None and got[0] == sig and got[1].nid == node.nid:
                return got[1]
        kids = [describe(s) for s in raw]
    else:
        kids = []
        for i, child in enumerate(raw):
            clo = lo if i == 0 else pivots[i - 1] + 1
            chi = pivots[i] if i < end else hi
            if child is None or not hasattr(child, "slots"):   # not filled in yet
                kids.append(EntrySnap("(none)", "null", None))
                continue
            kids.append(_node_from_live(child, clo, chi, interner, describe, cache, gen))
        sig = (node.type, lo, hi, pivots,
               tuple(k.uid if isinstance(k, NodeSnap) else k for k in kids),
               gaps, meta_gap, dead, gen)
        if cache is not None:
            got = cache.get(id(node))
            if got is not None and got[0] == sig and got[1].nid == node.nid:
                return got[1]
    snap = interner.node(node.nid, node.type_name, lo, hi, pivots, kids, gaps, meta_gap, dead)
    if cache is not None:
        cache[id(node)] = (sig, snap)
    return snap


# --------------------------------------------------------------------------- frames

_EMPTY = MappingProxyType({})


@dataclass(frozen=True, eq=False)
class Ghost:
    """A node freed in this frame, drawn where it last was."""

    tree: int
    depth: int
    parent: object
    slot: object
    node: NodeSnap


@dataclass(frozen=True, eq=False)
class Frame:
    """One step of a recording.

    ``trees``: TreeSnaps (primary first); ``new``/``copied``/``modified``/
    ``freed``: frozensets of nids; ``written``: ``{nid: (slot, ...)}``;
    ``ghosts``: freed nodes with their last position; ``focus``: nodes the
    step works on without changing them; ``kind``, ``func``,
    ``chain``, ``text``: the event; ``op``: the public operation under way;
    ``info``: extra event data; ``roles``: ``{label: role}`` overrides.
    """

    index: int
    kind: str
    func: str
    chain: tuple
    text: str
    trees: tuple
    new: frozenset = frozenset()
    copied: frozenset = frozenset()
    modified: frozenset = frozenset()
    freed: frozenset = frozenset()
    written: MappingProxyType = field(default_factory=lambda: _EMPTY)
    ghosts: tuple = ()
    op: str = ""
    info: MappingProxyType = field(default_factory=lambda: _EMPTY)
    focus: frozenset = frozenset()

    @property
    def chain_text(self):
        return " → ".join(self.chain) if self.chain else self.func

    @property
    def interesting(self):
        return self.kind in INTEREST_KINDS

    def change_of(self, nid):
        """The change class drawn for node ``nid`` (or None)."""
        if nid in self.freed:
            return "freed"
        if nid in self.copied:
            return "copied"
        if nid in self.new:
            return "new"
        if nid in self.modified:
            return "modified"
        if nid in self.focus:
            return "focus"
        return None

    def tree(self, name):
        for t in self.trees:
            if t.name == name:
                return t
        raise KeyError(name)

    def summary(self):
        """One line: ``kind func: text``."""
        return f"{self.kind:<10} {self.func}: {self.text}"

    def _repr_mimebundle_(self, include=None, exclude=None):
        from .graph import frame_mimebundle
        return frame_mimebundle(self)


def _same_tree(a, b):
    return (a.root is b.root and a.name == b.name and a.flags == b.flags
            and a.height == b.height and a.in_rcu == b.in_rcu and a.building == b.building)


def diff_changes(prev_trees, trees):
    """Changes between two lists of TreeSnaps, by nid.

    Returns ``(new, modified, freed)`` sets. A node is *modified* when its
    own content changed (pivots, slots, gaps; a child replaced counts).
    """
    before = {}
    for t in prev_trees:
        for n, _, _, _ in t.nodes():
            before[n.nid] = n
    after = {}
    for t in trees:
        for n, _, _, _ in t.nodes():
            after[n.nid] = n
    new = {nid for nid in after if nid not in before}
    freed = {nid for nid in before if nid not in after}
    modified = {nid for nid, n in after.items()
                if nid in before and before[nid] is not n
                and _own_content(before[nid]) != _own_content(n)}
    return new, modified, freed


def _own_content(n):
    return (n.type_name, n.min, n.max, n.pivots,
            tuple(c.nid if isinstance(c, NodeSnap) else c.key for c in n.slots),
            n.gaps, n.meta_gap, n.dead)


def _written_slots(before, after):
    """Slots whose content differs between two snapshots of one node."""
    out = []
    for i, s in enumerate(after.slots):
        if i >= len(before.slots):
            out.append(i)
            continue
        b = before.slots[i]
        if isinstance(s, NodeSnap):
            if not isinstance(b, NodeSnap) or b.nid != s.nid:
                out.append(i)
        elif (isinstance(b, NodeSnap) or s.key != b.key
              or before.slot_range(i) != after.slot_range(i)):
            out.append(i)
    return tuple(out)


def _nids(nodes):
    out = set()
    for n in nodes or ():
        out.add(getattr(n, "nid", n))
    return out


class Recorder:
    """Record operations frame by frame (a tracer for :mod:`mapletree.core.trace`).

    Usage::

        with Recorder(tree, names={tree: "vma tree"}) as rec:
            tree.store_range(10, 19, "A")
        rec.frames      # list of Frame

    Methods by purpose (cost per call; n = nodes of the watched trees):

    * recording: ``__enter__``/``__exit__`` install/remove the tracer (O(1));
      ``recording(*trees, names=)`` the same as a re-entrant context manager;
      ``event(...)`` (called by the core) appends a frame (O(n) walk of the
      watched trees; unchanged nodes are reused, not re-described, and shared
      between frames; ~4 ms per frame for two 30-node trees);
      ``note(text)`` adds a frame by hand (O(n)).
    * trees: ``watch(tree, name)`` always snapshot ``tree`` (O(1));
      ``watch_mm(mm)`` an mm's tree under its name; ``name_of(tree)`` (O(1)).
      A VMA stored in a tree that is not its mm's tree is drawn as a stale
      pointer (``dontcopy`` if it has VM_DONTCOPY).
    * results: ``frames`` (list), ``first(what)`` / ``find(what)`` frame
      indices by kind or text (O(frames)), ``interesting()`` frames of events of
      interest (O(frames)), ``summary()`` text table (O(frames)),
      ``stepper()`` a Stepper widget; a Recorder displays as one.
    """

    def __init__(self, *trees, names=None, kinds=DEFAULT_KINDS, describe=None,
                 max_frames=20000, initial=False):
        self.frames = []
        self.kinds = frozenset(kinds)
        self.describe = describe or describe_entry
        self.max_frames = int(max_frames)
        self.interner = Interner()
        self._trees = []          # live trees, in drawing order
        self._names = {}
        self._initial = initial
        self._ctx = None
        self._op = ""
        self._pending = {}       # id(tree) -> top node being built for that empty tree
        self._auto = set()       # ids of trees named "treeN" for want of a better name
        self._desc_cache = {}    # id(tree) -> {entry key: (entry, EntrySnap)}
        self._node_cache = {}    # id(tree) -> {id(node): (signature, NodeSnap)}
        self._gen = 0            # bumped by process-level events (entries may change state)
        names = names or {}
        for i, t in enumerate(trees):
            self.watch(t, names.get(t) if isinstance(names, dict) else None)
        if isinstance(names, dict):
            for t, nm in names.items():
                self.watch(t, nm)

    # --- trees
    def watch(self, tree, name=None):
        """Snapshot ``tree`` in every later frame, under ``name``."""
        for t in self._trees:
            if t is tree:
                if name:
                    self._names[id(tree)] = name
                    self._auto.discard(id(tree))
                return
        self._trees.append(tree)
        given = name or getattr(tree, "name", None)
        k = len(self._trees) - 1
        self._names[id(tree)] = given or ("tree" if k == 0 else f"tree{k}")
        if not given:
            self._auto.add(id(tree))

    def watch_mm(self, mm, name=None):
        """Watch a process model mm's tree under the mm's name."""
        self.watch(mm.tree, name or getattr(mm, "name", None))

    def name_of(self, tree):
        return self._names.get(id(tree))

    # --- tracer protocol
    def __enter__(self):
        self._ctx = trace.tracing(self)
        self._ctx.__enter__()
        if self._initial and self._trees:
            self.note("Before the operation.", kind="begin", func="(start)")
        return self

    def __exit__(self, *exc):
        ctx, self._ctx = self._ctx, None
        ctx.__exit__(*exc)
        return False

    def event(self, kind, func, text, *, chain=(), trees=(), nodes=None, info=None):
        """Tracer entry point (see mapletree.core.trace): one event → one frame."""
        for t in trees:
            if t is not None:
                self.watch(t)
        info = dict(info or {})
        if nodes is not None and not isinstance(nodes, dict):     # a count, not node lists
            info["nodes"] = nodes
            nodes = None
        if kind == "begin":
            self._op = info.get("op") or text
        if kind not in self.kinds:
            return
        if len(self.frames) >= self.max_frames:
            return
        self._track_pending(trees, nodes or {})
        if kind in ("fork", "marker", "teardown", "note", "failure"):
            self._gen += 1
        self._add(kind, func, text, tuple(chain) or (func,), nodes or {}, info)
        if kind == "end":
            self._op = ""

    def note(self, text, kind="note", func="", nodes=None, **info):
        """Add a frame by hand (e.g. before and after an operation)."""
        self._add(kind, func or kind, text, (func,) if func else (), nodes or {}, info)
        return self.frames[-1]

    # --- internals
    def _track_pending(self, trees, nodes):
        """Nodes named by an event but not reachable from any watched tree belong to
        a tree under construction (``__mt_dup`` links the copy's root last)."""
        roots = {id(getattr(t, "root_node", None)) for t in self._trees}
        for group in ("new", "copied", "modified", "focus"):
            for n in nodes.get(group) or ():
                if not hasattr(n, "slots") or getattr(n, "dead", False):
                    continue
                top = n
                while getattr(top, "parent", None) is not None:
                    top = top.parent
                if id(top) in roots:
                    continue
                for t in trees:
                    if t is not None and getattr(t, "root_node", None) is None:
                        self._pending[id(t)] = top
                        break

    def _pending_for(self, tree):
        top = self._pending.get(id(tree))
        if top is None:
            return None
        if getattr(tree, "root_node", None) is not None or getattr(top, "dead", False):
            del self._pending[id(tree)]
            return None
        return top

    def _describer(self, tree):
        """Entry describer for ``tree``: a VMA owned by another mm is a stale pointer.

        Results are cached per (tree, entry object, its ``freed`` flag and owner), so
        an entry is described once, not once per frame."""
        base = self.describe
        cache = self._desc_cache.setdefault(id(tree), {})

        def desc(entry):
            if entry is None:
                return NULL_SNAP
            if type(entry) is int:
                key = ("i", entry)
            elif type(entry) is str:
                key = ("s", entry)
            else:
                key = (id(entry), getattr(entry, "freed", None),
                       id(getattr(entry, "mm", None)))
            got = cache.get(key)
            if got is not None and (type(entry) in (int, str) or got[0] is entry):
                return got[1]
            snap = _desc(entry)
            cache[key] = (entry, snap)
            return snap

        def _desc(entry):
            snap = base(entry)
            if snap.role == "vma":
                owner = getattr(getattr(entry, "mm", None), "tree", None)
                if owner is not None and owner is not tree:
                    flags = getattr(entry, "flags", 0) or 0
                    role = "dontcopy" if flags & VM_DONTCOPY else "stale"
                    return EntrySnap(snap.label, role, snap.value, snap.ident)
            return snap
        return desc

    def _auto_name(self, tree):
        """Name an auto-named tree after the mm owning its VMAs, when one shows up."""
        key = id(tree)
        if key not in self._auto:
            return
        try:
            ranges = tree.ranges()
        except Exception:
            return
        for _, _, e in ranges[:8]:
            mm = getattr(e, "mm", None)
            if mm is not None and getattr(mm, "tree", None) is tree and getattr(mm, "name", None):
                self._names[key] = str(mm.name)
                self._auto.discard(key)
                return

    def _snap_all(self, prev=()):
        out = []
        for i, t in enumerate(self._trees):
            self._auto_name(t)
            snap = snapshot_tree(t, self._names[id(t)], self.interner, self._describer(t),
                                 self._pending_for(t), self._node_cache.setdefault(id(t), {}),
                                 self._gen)
            if i < len(prev) and _same_tree(prev[i], snap):
                snap = prev[i]                  # share the whole snapshot (and its index)
            out.append(snap)
        return tuple(out)

    def _add(self, kind, func, text, chain, nodes, info):
        prev = self.frames[-1].trees if self.frames else ()
        trees = self._snap_all(prev)
        # trees are matched by position: the watch list only grows
        new, modified, freed = set(), set(), set()
        written = {}
        for ti, t in enumerate(trees):
            if ti >= len(prev):
                if prev:
                    new |= set(t.index())
                continue
            p = prev[ti]
            if p is t:                          # unchanged tree: nothing to compare
                continue
            before, after = p.index(), t.index()
            for nid, (n, _, _, _) in after.items():
                b = before.get(nid)
                if b is None:
                    new.add(nid)
                elif b[0] is not n:
                    if _own_content(b[0]) != _own_content(n):
                        modified.add(nid)
                    ws = _written_slots(b[0], n)
                    if ws:
                        written[nid] = ws
            freed |= {nid for nid in before if nid not in after}
        declared = {k: _nids(nodes.get(k)) for k in CHANGE_KINDS}
        copied = declared["copied"]
        new = (new | declared["new"]) - copied
        # the core names the node it works on as "modified"; when its content did
        # not change it is drawn as the focus of the step instead
        focus = declared["modified"] | _nids(nodes.get("focus"))
        src = info.get("source")              # __mt_dup: the node being copied
        if hasattr(src, "nid"):
            focus.add(src.nid)
        focus = focus - modified - new - copied
        modified = modified - new - copied
        freed = freed | declared["freed"]
        for nid, slots in (info.pop("written", None) or {}).items():
            written[getattr(nid, "nid", nid)] = tuple(slots)
        # ghosts: freed nodes drawn where they last were
        ghosts = []
        present = set()
        for t in trees:
            present.update(t.index())
        for ti, t in enumerate(prev):
            idx = t.index()
            tpos = ti
            for nid in sorted(freed, key=str):
                if nid in idx and nid not in present:
                    node, depth, parent, slot = idx[nid]
                    ghosts.append(Ghost(tpos, depth, parent, slot, node))
        info_ro = MappingProxyType({k: v for k, v in info.items() if _plain(v)})
        frame = Frame(len(self.frames), kind, func, tuple(chain), text, trees,
                      frozenset(new), frozenset(copied), frozenset(modified), frozenset(freed),
                      MappingProxyType(written), tuple(ghosts), self._op, info_ro,
                      frozenset(focus))
        self.frames.append(frame)

    @contextmanager
    def recording(self, *trees, names=None):
        """``with rec.recording(tree, ...):`` watch ``trees`` and record the block.

        Re-entrant: inside an active recording it only adds the trees.
        """
        names = names or {}
        for t in trees:
            self.watch(t, names.get(t) if isinstance(names, dict) else None)
        if self._ctx is not None:
            yield self
            return
        with self:
            yield self

    # --- results
    def first(self, what, start=0):
        """Index of the first frame (from ``start``) whose kind is ``what``, or whose
        function, chain or narration mentions it (case-insensitive); 0 if none."""
        got = self.find(what, start)
        return got[0] if got else 0

    def find(self, what, start=0):
        """Indices of frames whose kind is ``what`` or whose text/chain mentions it."""
        w = str(what).lower()
        exact = [f.index for f in self.frames[start:] if f.kind == what]
        if exact:
            return exact
        return [f.index for f in self.frames[start:]
                if w in f.text.lower() or w in f.chain_text.lower()
                or w in str(f.info.get("event", "")).lower()]

    def interesting(self):
        return [f.index for f in self.frames if f.interesting]

    def summary(self):
        return "\n".join(f"{f.index:4d} {f.summary()}" for f in self.frames)

    def __len__(self):
        return len(self.frames)

    def __iter__(self):
        return iter(self.frames)

    def stepper(self, **kw):
        """A :class:`~mapletree.viz.widgets.Stepper` over the frames."""
        from .widgets import Stepper
        return Stepper(self, **kw)

    def _repr_mimebundle_(self, include=None, exclude=None):
        if not self.frames:
            return {"text/plain": "<Recorder: no frames>"}
        bundle = self.stepper()._repr_mimebundle_(include=include, exclude=exclude)
        bundle["text/plain"] = f"<Recorder: {len(self.frames)} frames>"
        return bundle

    def __getitem__(self, i):
        return self.frames[i]


def _plain(v):
    return isinstance(v, (int, str, float, bool, type(None), tuple, list))


# --------------------------------------------------------------------------- golden

def frames_from_case(case, tree=0, only_dumped=True, name=None):
    """Frames from a golden case dict (conformance format): one per dumped step.

    Each frame shows tree ``tree`` after the op; changes are computed by diff
    (nids are paths, so they mark *positions* that changed).
    """
    interner = Interner()
    frames = []
    ops = case.get("ops", [])
    steps = case.get("steps", [])
    prev = ()
    for i, (op, step) in enumerate(zip(ops, steps)):
        if "tree" not in step:
            if only_dumped:
                continue
        dump = step.get("tree")
        if dump is None:
            continue
        snap = snapshot_from_dict(dump, name or f"tree {tree}", interner)
        trees = (snap,)
        new, modified, freed = diff_changes(prev, trees) if prev else (set(), set(), set())
        ghosts = []
        if prev:
            idx = prev[0].index()
            present = snap.index()
            for nid in sorted(freed, key=str):
                if nid not in present:
                    node, depth, parent, slot = idx[nid]
                    ghosts.append(Ghost(0, depth, parent, slot, node))
        st = step.get("store_type", "")
        text = _golden_text(op, step)
        kind = {"split_store": "split", "rebalance": "rebalance", "spanning_store": "spanning",
                "new_root": "new_root"}.get(st, "note")
        if op.get("op") in ("dup", "mtree_dup"):
            kind = "node_copy"
        if isinstance(step.get("ret"), int) and step.get("ret", 0) < 0:
            kind = "failure"
        frames.append(Frame(len(frames), kind, _golden_func(op), (_golden_func(op),), text,
                            trees, frozenset(new), frozenset(), frozenset(modified),
                            frozenset(freed), MappingProxyType({}), tuple(ghosts),
                            op.get("op", ""), MappingProxyType({"step": i})))
        prev = trees
    return frames


_GOLDEN_FUNCS = {"store": "mtree_store_range", "store_null": "mtree_store_range",
                 "insert": "mtree_insert_range", "erase": "mtree_erase", "load": "mtree_load",
                 "clear": "mas_store_gfp", "mas_store": "mas_store_gfp", "zero": "mas_store",
                 "dup": "__mt_dup", "mtree_dup": "mtree_dup", "destroy": "__mt_destroy",
                 "rcu_on": "mt_set_in_rcu", "rcu_off": "mt_clear_in_rcu", "init": "mt_init_flags",
                 "fork_walk": "dup_mmap", "dump": "mt_dump"}


def _golden_func(op):
    return _GOLDEN_FUNCS.get(op.get("op"), op.get("op", "?"))


def _golden_text(op, step):
    name = op.get("op")
    args = ""
    if "first" in op:
        args = f"[{op['first']}, {op['last']}]"
        if "value" in op:
            args += f" = {op['value']}"
    elif "index" in op:
        args = f"index {op['index']}"
    st = step.get("store_type")
    extra = f", store type {st}" if st and st != "invalid" else ""
    return (f"{name} {args}{extra}: allocated {step.get('allocated', 0)}, "
            f"freed {step.get('freed', 0)}, height {step.get('height', 0)}.").replace("  ", " ")
