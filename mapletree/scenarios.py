"""Named scenarios shared by the notebooks, the static export and the tests.

A scenario records one story as frames: building a small tree, a leaf split,
``__mt_dup`` of a small process, a DONTCOPY removal that allocates, and each of
the five fork designs failing part-way. ``available()`` lists them, ``get(name)``
returns one, ``Scenario.record()`` runs it under a
:class:`~mapletree.viz.record.Recorder`.

Helpers used by the notebooks: ``reference_vmas()`` (the suite's reference
process, fork-designs §5.6), ``small_program_tree()`` (44 VMAs of a small
program), ``build_both_ways(parent)`` (insert build vs ``__mt_dup``),
``dup_cost_table(ns)`` and ``tree_from_proc_maps(path)``.
"""

from __future__ import annotations

import json
import os
from collections import namedtuple
from dataclasses import dataclass, field

from mapletree.core.constants import MM_MT_FLAGS

PAGE = 4096


class ScenarioError(LookupError):
    """Unknown scenario name."""


class ScenarioUnavailable(RuntimeError):
    """The scenario needs a layer (core tree, process model) that is not importable."""


# --------------------------------------------------------------------------- data

RefVMA = namedtuple("RefVMA", "name start end kind")

#: fork-designs §5.6: the reference process of the suite (V0..V8).
REFERENCE_VMAS = (
    RefVMA("V0", 0x40_0000, 0x40_8000, "file text r-x"),
    RefVMA("V1", 0x60_0000, 0x60_2000, "file data rw"),
    RefVMA("V2", 0x60_2000, 0x62_3000, "heap"),
    RefVMA("V3", 0x7F00_0000_0000, 0x7F00_0010_0000, "anon"),
    RefVMA("V4", 0x7F00_0010_0000, 0x7F00_0012_0000, "anon DONTCOPY"),
    RefVMA("V5", 0x7F00_0012_0000, 0x7F00_0013_0000, "anon WIPEONFORK"),
    RefVMA("V6", 0x7F00_0040_0000, 0x7F00_0040_1000, "anon"),
    RefVMA("V7", 0x7F00_8000_0000, 0x7F00_8000_2000, "anon"),
    RefVMA("V8", 0x7FFD_FFFE_0000, 0x7FFE_0000_0000, "stack"),
)

# A small program's address space (44 VMAs, like /proc/self/maps of a tiny C program
# with a few shared libraries): (start, end, label).
_SMALL = [
    (0x555555554000, 0x555555555000), (0x555555555000, 0x55555555a000),
    (0x55555555a000, 0x55555555c000), (0x55555555c000, 0x55555555d000),
    (0x55555555d000, 0x55555555e000), (0x555555565000, 0x555555586000),
    (0x7ffff7d80000, 0x7ffff7da8000), (0x7ffff7da8000, 0x7ffff7f1a000),
    (0x7ffff7f1a000, 0x7ffff7f6a000), (0x7ffff7f6a000, 0x7ffff7f6e000),
    (0x7ffff7f6e000, 0x7ffff7f70000), (0x7ffff7f70000, 0x7ffff7f7a000),
    (0x7ffff7f7c000, 0x7ffff7f7f000), (0x7ffff7f7f000, 0x7ffff7f8b000),
    (0x7ffff7f8b000, 0x7ffff7f8f000), (0x7ffff7f8f000, 0x7ffff7f90000),
    (0x7ffff7f90000, 0x7ffff7f91000), (0x7ffff7f93000, 0x7ffff7f95000),
    (0x7ffff7f95000, 0x7ffff7fa9000), (0x7ffff7fa9000, 0x7ffff7fb1000),
    (0x7ffff7fb1000, 0x7ffff7fb3000), (0x7ffff7fb3000, 0x7ffff7fb4000),
    (0x7ffff7fb6000, 0x7ffff7fb7000), (0x7ffff7fb7000, 0x7ffff7fbd000),
    (0x7ffff7fbd000, 0x7ffff7fbf000), (0x7ffff7fbf000, 0x7ffff7fc0000),
    (0x7ffff7fc0000, 0x7ffff7fc1000), (0x7ffff7fc1000, 0x7ffff7fc5000),
    (0x7ffff7fc5000, 0x7ffff7fc7000), (0x7ffff7fc7000, 0x7ffff7fc8000),
    (0x7ffff7fc8000, 0x7ffff7fed000), (0x7ffff7fed000, 0x7ffff7ff8000),
    (0x7ffff7ff8000, 0x7ffff7ffa000), (0x7ffff7ffa000, 0x7ffff7ffc000),
    (0x7ffff8015000, 0x7ffff802a000), (0x7ffff802a000, 0x7ffff802b000),
    (0x7ffff802b000, 0x7ffff802d000), (0x7ffff802f000, 0x7ffff8030000),
    (0x7ffff8030000, 0x7ffff8032000), (0x7ffff8032000, 0x7ffff8033000),
    (0x7ffff8033000, 0x7ffff8034000), (0x7ffff8034000, 0x7ffff8035000),
    (0x7ffff8037000, 0x7ffff8039000), (0x7ffffffde000, 0x7ffffffff000),
]
_SMALL_NAMES = (["prog"] * 5 + ["heap"] + ["libc"] * 6 + ["libm"] * 5 + ["libz"] * 5
                + ["libdl"] * 5 + ["libpt"] * 5 + ["ld.so"] * 4 + ["ld"] * 5
                + ["vdso", "vvar", "stack"])


def reference_vmas():
    """The suite's reference process (fork-designs §5.6): RefVMA(name, start, end, kind)."""
    return list(REFERENCE_VMAS)


def small_program_vmas():
    """44 ``RefVMA`` of a small program (prog, heap, five libraries, ld.so, stack)."""
    out = []
    for i, ((s, e), nm) in enumerate(zip(_SMALL, _SMALL_NAMES)):
        out.append(RefVMA(f"{nm}.{i}", s, e, nm))
    return out


def _core():
    try:
        from mapletree.core.tree import MapleTree
    except ImportError as exc:       # the core lands in stages
        raise ScenarioUnavailable(f"the maple tree core is not available yet: {exc}") from None
    return MapleTree


def _dup():
    try:
        from mapletree.core.dup import mt_dup
    except ImportError as exc:
        raise ScenarioUnavailable(f"__mt_dup is not available yet: {exc}") from None
    return mt_dup


def _alloc():
    from mapletree.core.alloc import NodeAllocator
    return NodeAllocator


def tree_of(vmas, flags=MM_MT_FLAGS, allocator=None):
    """A MapleTree holding ``[start, end - 1] -> name`` for each VMA, stored in order."""
    MapleTree = _core()
    t = MapleTree(flags=flags, allocator=allocator) if allocator is not None else \
        MapleTree(flags=flags)
    for v in vmas:
        t.store_range(v.start, v.end - 1, v.name)
    return t


def small_program_tree(allocator=None):
    """The 44-VMA small program in an ``MM_MT_FLAGS`` tree (height 2)."""
    return tree_of(small_program_vmas(), allocator=allocator)


def spaced_vmas(n, pages=4, hole_every=1):
    """``n`` VMAs of ``pages`` pages with a one-page hole after most of them
    (as in the spawn benchmark of the __mt_dup series)."""
    out = []
    addr = 0x10_0000_0000
    for i in range(n):
        out.append(RefVMA(f"v{i}", addr, addr + pages * PAGE, "anon"))
        addr += pages * PAGE
        if hole_every and i % (hole_every + 1) != hole_every:
            addr += PAGE
    return out


def tree_from_proc_maps(path="/proc/self/maps", flags=MM_MT_FLAGS):
    """Read a ``/proc/PID/maps`` file and build the tree the kernel would hold."""
    vmas = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.split()
            if not parts or "-" not in parts[0]:
                continue
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if hi > (1 << 47):        # [vsyscall] lives outside the mm tree's range of use
                continue
            name = os.path.basename(parts[5]) if len(parts) > 5 else "anon"
            vmas.append(RefVMA(name[:12] or "anon", lo, hi, parts[1]))
    return tree_of(vmas, flags=flags)


# --------------------------------------------------------------------------- comparisons

def build_both_ways(parent):
    """Record two ways of building a copy of ``parent``: one store per VMA into an
    empty tree (≤ 6.7 style) and ``__mt_dup`` (6.8+). Returns ``(left, right)``
    Recorders."""
    from mapletree.viz.record import Recorder
    MapleTree = _core()
    mt_dup = _dup()
    ranges = parent.ranges()
    flags = parent.flags & ~0x7C
    left_tree = MapleTree(flags=flags & ~0x02)
    left = Recorder(left_tree, names={left_tree: "child (insert build)"},
                    kinds={"split", "push", "rebalance", "new_root", "spanning", "end", "alloc"})
    with left:
        for first, last, entry in ranges:
            left_tree.store_range(first, last, entry)
    right_tree = MapleTree(flags=flags, allocator=getattr(parent, "allocator", None)) \
        if getattr(parent, "allocator", None) is not None else MapleTree(flags=flags)
    right = Recorder(parent, right_tree, names={parent: "parent", right_tree: "child (__mt_dup)"})
    with right:
        mt_dup(parent, right_tree)
    return left, right


def dup_cost_table(ns):
    """For each VMA count n: nodes allocated by an insert build vs ``__mt_dup``.

    Rows: ``{"vmas", "insert_allocated", "insert_stores", "dup_allocated", "nodes"}``.
    """
    MapleTree = _core()
    mt_dup = _dup()
    NodeAllocator = _alloc()
    rows = []
    for n in ns:
        vmas = spaced_vmas(int(n))
        a_ins = NodeAllocator()
        before = a_ins.allocated
        t_ins = MapleTree(flags=MM_MT_FLAGS & ~0x02, allocator=a_ins)
        for v in vmas:
            t_ins.store_range(v.start, v.end - 1, v.name)
        ins = a_ins.allocated - before
        a = NodeAllocator()
        src = tree_of(vmas, allocator=a)
        dst = MapleTree(flags=MM_MT_FLAGS, allocator=a)
        before = a.allocated
        mt_dup(src, dst)
        rows.append({"vmas": int(n), "insert_allocated": ins, "insert_stores": len(vmas),
                     "dup_allocated": a.allocated - before, "nodes": src.node_count()})
    return rows


# --------------------------------------------------------------------------- scenarios

@dataclass
class Scenario:
    """A named story: ``record()`` → Recorder (or frames), ``frames()`` → list of Frame."""

    name: str
    title: str
    description: str
    build: object
    needs: str = "core"
    options: dict = field(default_factory=dict)

    def record(self, **opts):
        """Run the scenario; returns a Recorder (or a list of frames for golden ones)."""
        kw = dict(self.options)
        kw.update(opts)
        return self.build(**kw)

    def frames(self, **opts):
        got = self.record(**opts)
        return list(getattr(got, "frames", got))


def _rec(*trees, names=None, **kw):
    from mapletree.viz.record import Recorder
    return Recorder(*trees, names=names, **kw)


def _sc_small_tree():
    MapleTree = _core()
    t = MapleTree()
    rec = _rec(t, names={t: "tree"})
    with rec:
        for k, name in enumerate(("A", "B", "C", "D", "E")):
            t.store_range(10 * (k + 1), 10 * (k + 1) + 5, name)
    return rec


def _sc_split():
    MapleTree = _core()
    t = MapleTree()
    k = 1
    while True:
        rec = _rec(t, names={t: "tree"})
        with rec:
            t.store_range(10 * k, 10 * k + 5, f"v{k}")
        if t.height > 1:
            return rec
        k += 1
        if k > 64:
            raise RuntimeError("no split after 64 stores")


def _sc_dup_small(n=12):
    MapleTree = _core()
    mt_dup = _dup()
    alloc = _alloc()()
    parent = tree_of(spaced_vmas(n, hole_every=1), allocator=alloc)
    child = MapleTree(flags=MM_MT_FLAGS, allocator=alloc)
    rec = _rec(parent, child, names={parent: "parent", child: "child"})
    with rec:
        mt_dup(parent, child)
    return rec


def _find_allocating_clear(vmas):
    """The first VMA whose NULL store in a dup'ed, non-RCU copy allocates nodes."""
    MapleTree = _core()
    mt_dup = _dup()
    NodeAllocator = _alloc()
    for v in vmas:
        a = NodeAllocator()
        src = tree_of(vmas, allocator=a)
        dst = MapleTree(flags=MM_MT_FLAGS, allocator=a)
        mt_dup(src, dst)
        dst.set_rcu(False)
        before = a.allocated
        dst.store_range(v.start, v.end - 1, None)
        if a.allocated > before:
            return v
    return None


def _sc_dontcopy_alloc():
    """The 6.12 fork of the reference process with a hole before V4: the NULL store
    over the DONTCOPY VMA merges with the hole across leaves and allocates. Falls back
    to a core-only replay when the process model is missing."""
    try:
        from mapletree import mm
        proc = mm.reference_process(dontcopy_neighbour="gap")
    except (ImportError, AttributeError, TypeError):
        return _sc_dontcopy_alloc_core()
    rec = _rec()
    mm.fork(proc, design="6.12", recorder=rec)
    frames = rec.frames
    clear = next((i for i, f in enumerate(frames)
                  if f.kind == "fork" and f.func == "vma_iter_clear_gfp"), None)
    if clear is None:
        return rec
    start = max((i for i in range(clear) if frames[i].kind == "fork"
                 and frames[i].func != "vma_iter_clear_gfp"), default=0)
    return frames[start:clear + 1]


def _sc_dontcopy_alloc_core():
    """__mt_dup, RCU off, then the NULL store over a DONTCOPY VMA needs new nodes."""
    MapleTree = _core()
    mt_dup = _dup()
    NodeAllocator = _alloc()
    vmas = small_program_vmas()
    victim = _find_allocating_clear(vmas)
    if victim is None:
        raise RuntimeError("no VMA of the small program allocates when cleared")
    a = NodeAllocator()
    parent = tree_of(vmas, allocator=a)
    child = MapleTree(flags=MM_MT_FLAGS, allocator=a)
    mt_dup(parent, child)
    child.set_rcu(False)
    rec = _rec(child, names={child: "child"})
    with rec:
        rec.note(f"{victim.name} [{victim.start:#x}, {victim.end:#x}) is VM_DONTCOPY: "
                 "dup_mmap() clears its slot with a NULL store (vma_iter_clear_gfp).",
                 kind="note", func="dup_mmap")
        child.store_range(victim.start, victim.end - 1, None)
    return rec


FORK_DESIGNS = ("6.7-bulk", "v2-marker", "v4-undo", "6.8-marker", "7.0-recovery")


def _sc_fork_fail(design, fail=("vma_dup", "at", "V6")):
    try:
        from mapletree import mm
        proc = mm.reference_process()
        run = mm.fork_and_exit
    except (ImportError, AttributeError) as exc:
        raise ScenarioUnavailable(f"the process model is not available yet: {exc}") from None
    rec = _rec()
    run(proc, design=design, fail=fail, recorder=rec)
    return rec


def _golden_path(case):
    here = os.environ.get("MAPLETREE_CONFORMANCE", "/work/shared/conformance")
    return os.path.join(here, "hand", case + ".json")


def _golden(case):
    path = _golden_path(case)
    here = os.path.dirname(os.path.dirname(path))
    if not os.path.exists(path):
        raise ScenarioUnavailable(f"golden case {case} not found under {here}")

    def build():
        from mapletree.viz.record import frames_from_case
        with open(path, encoding="utf-8") as fh:
            return frames_from_case(json.load(fh))
    return build


_SCENARIOS = {}


def register(sc):
    _SCENARIOS[sc.name] = sc
    return sc


register(Scenario("small-tree", "Building a small tree",
                  "Five stores into an empty plain tree: the first makes a leaf, the "
                  "others append or rewrite it.", _sc_small_tree))
register(Scenario("split", "A leaf splits",
                  "The store that overflows a 16-slot leaf: mas_split builds two leaves and a "
                  "new root.", _sc_split))
register(Scenario("mt-dup", "__mt_dup of a small process",
                  "fork copies the parent's VMA tree node by node in pre-order: one copy per "
                  "node, no rebalancing.", _sc_dup_small))
register(Scenario("dontcopy-alloc", "Removing a DONTCOPY VMA allocates",
                  "In the copied tree, clearing a VM_DONTCOPY VMA merges NULL ranges and can "
                  "need new nodes — so it can fail.", _sc_dontcopy_alloc))
for _d in FORK_DESIGNS:
    register(Scenario(f"fork-fail-{_d}", f"fork fails mid-way: {_d}",
                      f"The reference process forks under design {_d}; vm_area_dup fails at "
                      "V6, then the child is torn down.",
                      (lambda d=_d: lambda **kw: _sc_fork_fail(d, **kw))(), needs="mm"))
for _case in ("leaf_split_plain", "fork_walk_failure_marker", "spanning_store_mm"):
    if not os.path.exists(_golden_path(_case)):      # the kernel-recorded data is optional
        continue
    register(Scenario(f"golden-{_case.replace('_', '-')}", f"Kernel-recorded: {_case}",
                      "Steps recorded from the real Linux 6.12 maple tree (conformance data).",
                      lambda c=_case, **kw: _golden(c)(), needs="golden"))


def available():
    """Every registered scenario, in registration order."""
    return list(_SCENARIOS.values())


def names():
    return list(_SCENARIOS)


def get(name):
    """The scenario called ``name``; raises ScenarioError (a LookupError) if unknown."""
    if not isinstance(name, str):
        raise TypeError("scenario name must be a str")
    try:
        return _SCENARIOS[name]
    except KeyError:
        raise ScenarioError(f"unknown scenario {name!r}; known: {', '.join(_SCENARIOS)}") \
            from None


def record(name, **opts):
    """Shortcut: ``get(name).record(**opts)``."""
    return get(name).record(**opts)
