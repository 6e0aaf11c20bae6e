"""What one fork leaves behind: the child tree at the failure point, the tables freed or
left, the outcome codes of the fork notes (§0, §6.1-6.3) and the walkers' reports.

The checks mirror what ``check_mm()`` (kernel/fork.c) and the rmap code would notice
after ``mmput()``: nodes, page tables, RSS, VMA structs, committed memory, rmap links,
plus the parent's integrity. After an oops (CRASH_ZERO, BUG_COUNT) the run stops as a
real oops would; only what the failed fork had already lost before teardown (child VMAs
no longer reachable from the tree, with their charge, PTEs and rmap links) and the tables
left after a completed free_pgtables pass are reported on top of the oops.
"""

from dataclasses import dataclass, field

from mapletree.core.constants import ULONG_MAX
from mapletree.core.entries import XA_ZERO_ENTRY

from .constants import VM_ACCOUNT
from .vma import VMA

CODES = ("CLEAN", "LEAK_NODES", "LEAK_PGT", "LEAK_RSS", "LEAK_VMA", "LEAK_COMMIT",
         "DANGLING_RMAP", "CRASH_ZERO", "PARENT_HIT", "BUG_COUNT")
CLASSES = ("child", "stale", "marker", "dontcopy_cleared", "null")


def snapshot(mm, cleared=(), names=None):
    """The child tree slot by slot: [(first, last, classification, label)] covering
    0..ULONG_MAX, classification in child/stale/marker/dontcopy_cleared/null.
    ``names`` maps a start address to the parent VMA label a marker covers."""
    out = []
    pos = 0
    cl = sorted(cleared)

    def gap(a, b):
        p = a
        for s, l, lbl in cl:
            if l < p or s > b:
                continue
            if s > p:
                out.append((p, s - 1, "null", ""))
            out.append((max(s, p), min(l, b), "dontcopy_cleared", lbl))
            p = min(l, b) + 1
            if p > b:
                return
        if p <= b:
            out.append((p, b, "null", ""))

    for first, last, e in mm.tree.ranges():
        if first > pos:
            gap(pos, first - 1)
        if e is XA_ZERO_ENTRY:
            over = (names or {}).get(first)
            out.append((first, last, "marker",
                         f"XA_ZERO_ENTRY over {over}" if over else "XA_ZERO_ENTRY"))
        elif isinstance(e, VMA):
            out.append((first, last, "child" if e.mm is mm else "stale", e.label))
        else:
            out.append((first, last, "stale", repr(e)))
        pos = last + 1 if last < ULONG_MAX else None
        if pos is None:
            break
    if pos is not None:
        gap(pos, ULONG_MAX)
    return out


def classify_slots(obj, cleared=()):
    """Text table of a slot classification, one line per range.

    ``obj`` is an MM (its tree now) or a ForkResult (the child tree at the moment
    dup_mmap returned, i.e. at the failure point, before any teardown).
    """
    snap = obj.snapshot if hasattr(obj, "snapshot") and isinstance(obj.snapshot, list) \
        else snapshot(obj, cleared)
    return "\n".join(f"{a:#018x}-{b:#018x} {c:<16} {lbl}" for a, b, c, lbl in snap)


@dataclass
class ForkResult:
    """One fork: the design, the fault, what dup_mmap left, what teardown left.

    Fields: ``design``, ``fault`` (label), ``triggered`` (the fault fired), ``retval``,
    ``success``, ``m`` (map_count when dup_mmap returned), ``failed_at`` (label of F),
    ``snapshot`` (child tree at return, see :func:`snapshot`), ``tree`` (its to_dict()),
    ``flags`` (MMF names), ``tables_before`` / ``tables_freed`` / ``tables_left``,
    ``outcomes`` (codes), ``leaked_vmas``, ``leaked_nodes``, ``leaked_pgtables``,
    ``committed_delta``, ``parent_changed``, ``walkers`` ({name: status}),
    ``walker_details``, ``events`` ((kind, func, text) of the run), ``stopped``.
    Methods: ``row()`` – the sweep's JSON row (O(1)); ``text()`` – a short report.
    """

    design: str
    fault: str
    triggered: bool = True
    retval: int = 0
    success: bool = False
    m: int = 0
    failed_at: str = ""
    snapshot: list = field(default_factory=list)
    tree: dict = None
    flags: list = field(default_factory=list)
    marker: tuple = None
    tables_before: dict = None
    tables_freed: list = field(default_factory=list)
    tables_left: dict = None
    outcomes: list = field(default_factory=list)
    leaked_vmas: int = 0
    leaked_nodes: int = 0
    leaked_pgtables: int = 0
    committed_delta: int = 0
    parent_changed: bool = False
    walkers: dict = field(default_factory=dict)
    walker_details: dict = field(default_factory=dict)
    events: list = field(default_factory=list)
    stopped: str = None
    counters: dict = field(default_factory=dict)
    file_refs_leaked: int = 0
    zero_checks: int = 0
    problems: list = field(default_factory=list)
    build_allocs: int = 0
    entries_after: int = 0
    cleanup_allocs: int = 0

    def row(self):
        return {"failure_point": self.fault, "outcomes": list(self.outcomes),
                "leaked_vmas": self.leaked_vmas, "leaked_nodes": self.leaked_nodes,
                "leaked_pgtables": self.leaked_pgtables,
                "committed_delta": self.committed_delta,
                "parent_changed": self.parent_changed, "walkers": dict(self.walkers),
                "m": self.m, "failed_at": self.failed_at, "triggered": self.triggered,
                "entries_after": self.entries_after,
                "retval": self.retval}

    @property
    def clean(self):
        return self.outcomes == ["CLEAN"]

    def text(self):
        lines = [f"{self.design} {self.fault}: {', '.join(self.outcomes)}"
                 f" (retval {self.retval}, m={self.m}, flags {self.flags})"]
        for a, b, c, lbl in self.snapshot:
            if c != "null":
                lines.append(f"  {a:#x}-{b:#x} {c} {lbl}")
        if self.walkers:
            lines.append("  walkers: " + ", ".join(f"{k}={v}" for k, v in self.walkers.items()))
        return "\n".join(lines)

    def __repr__(self):
        return (f"<ForkResult {self.design} {self.fault}: {', '.join(self.outcomes)}; "
                f"m={self.m}, leaked vmas={self.leaked_vmas} nodes={self.leaked_nodes} "
                f"pgt={self.leaked_pgtables} commit={self.committed_delta}>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Jupyter display: an HTML table plus the plain repr."""
        return {"text/plain": repr(self), "text/html": self._repr_html_()}

    def _repr_html_(self):
        rows = "".join(f"<tr><td><code>{a:#x}</code></td><td><code>{b:#x}</code></td>"
                       f"<td>{c}</td><td>{lbl}</td></tr>" for a, b, c, lbl in self.snapshot
                       if c != "null")
        return (f"<b>{self.design}</b> {self.fault}: <b>{', '.join(self.outcomes)}</b> "
                f"(m={self.m}, flags {self.flags})<table>{rows}</table>")


def assess(res, run, child, parent, before, dup_vmas, orphans, completed):
    """Fill the outcome fields of ``res`` (see the module docstring for the rules)."""
    kernel = child.kernel
    codes = set(run.codes)
    if completed:
        res.leaked_nodes = kernel.alloc.live - before["live"]
        if res.leaked_nodes > 0 or not child.tree.is_empty:
            codes.add("LEAK_NODES")
        res.leaked_pgtables = child.pgtables.count
        if res.leaked_pgtables:
            codes.add("LEAK_PGT")
        if any(child.rss.values()) or child.pgtables.present_pages() or \
                child.pgtables.leaked_entries:
            codes.add("LEAK_RSS")
        leaked = [v for v in dup_vmas if not v.freed]
        res.leaked_vmas = len(leaked)
        if leaked:
            codes.add("LEAK_VMA")
        res.committed_delta = kernel.committed - before["committed"]
        if res.committed_delta:
            codes.add("LEAK_COMMIT")
        if any(v.in_rmap for v in dup_vmas if v.freed or child.dead):
            codes.add("DANGLING_RMAP")
    else:
        res.leaked_vmas = len(orphans)
        if orphans:
            codes.add("LEAK_VMA")
        res.committed_delta = sum(v.pages for v in orphans if v.flags & VM_ACCOUNT)
        if res.committed_delta:
            codes.add("LEAK_COMMIT")
        if any(v.in_rmap for v in orphans) or any(v.in_rmap for v in dup_vmas if v.freed):
            codes.add("DANGLING_RMAP")
        if any(child.pgtables.entries(v.start, v.end) for v in orphans):
            codes.add("LEAK_RSS")
        if run.pgtables_done:
            res.leaked_pgtables = child.pgtables.count
            if res.leaked_pgtables:
                codes.add("LEAK_PGT")
    res.file_refs_leaked = sum(1 for v in dup_vmas if v.freed and v.file is not None
                               and v in v.file.i_mmap)
    res.parent_changed = parent.fingerprint() != before["parent"]
    res.outcomes = [c for c in CODES if c in codes] or ["CLEAN"]
    res.tables_left = child.pgtables.tables()
    res.tables_freed = list(run.tables_freed)
    res.zero_checks = run.zero_checks
    return res


def check_child_copy(parent, child):
    """After a successful fork: the child tree has the parent's shape minus the DONTCOPY
    ranges and every entry is the child's own copy. Returns a list of problems."""
    from .constants import VM_DONTCOPY
    problems = []
    want = [(v.start, v.last, v) for v in parent.vmas() if not v.flags & VM_DONTCOPY]
    got = list(child.tree.ranges())
    if [(a, b) for a, b, _ in got] != [(a, b) for a, b, _ in want]:
        problems.append("child ranges differ from the parent's minus DONTCOPY")
    for (a, b, e), (_, _, src) in zip(got, want):
        if not isinstance(e, VMA) or e.mm is not child or e is src or e.source is not src:
            problems.append(f"[{a:#x}, {b:#x}] is not the child's own copy of {src.label}")
    if child.map_count != len(want):
        problems.append(f"map_count {child.map_count} != {len(want)}")
    return problems
