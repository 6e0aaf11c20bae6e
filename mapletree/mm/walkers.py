"""The race window: who else can look at a failed child mm before exit_mmap() runs.

Mirrors the walkers of the fork notes §4.3, each reduced to what it does with the child's
tree: swapoff ``unuse_mm`` (mm/swapfile.c), uprobe ``register_for_each_vma`` →
``find_mergeable_anon_vma`` (kernel/events/uprobes.c, mm/rmap.c), the OOM reaper
``oom_reap_task_mm`` / ``process_mrelease`` (mm/oom_kill.c), the khugepaged / ksmd
scanners (mm/khugepaged.c, mm/ksm.c) and a userfaultfd monitor (fs/userfaultfd.c).

Each walker runs between dup_mmap()'s return and exit_mmap() and reports one of

* ``misread``   – it treats the marker as a VMA (CRASH_ZERO) or acts on a parent VMA
                  through a stale pointer (PARENT_HIT);
* ``backed_off`` – a flag (MMF_UNSTABLE, MMF_OOM_SKIP), the uprobe ``dup_mmap_sem`` or
                  "not registered / no event" kept it away;
* ``empty``     – it reached the mm and found no VMA;
* ``ok``        – it saw a consistent child-only tree (or could not reach the mm).

The harness assumes each walker found the mm (the parent uses KSM/THP and userfaultfd,
swap entries were copied, the OOM killer picked it) unless a structural reason rules it
out; walkers only read, they change nothing.
"""

from mapletree.core.entries import XA_ZERO_ENTRY
from mapletree.core.state import MapleState

from .constants import MMF_OOM_SKIP, MMF_UNSTABLE, VM_EXEC
from .vma import VMA

WALKERS = ("swapoff", "uprobe", "oom_reaper", "khugepaged", "uffd")
STATUSES = ("misread", "backed_off", "empty", "ok")


_LISTING = {}


def _entries(mm):
    """for_each_vma (advanced API): every non-NULL entry with its range, marker included.

    Read with ``MapleTree.ranges()``, which yields exactly what repeated ``mas_find``
    calls yield (the walkers only read the tree).
    """
    got = _LISTING.get(id(mm))
    if got is not None and got[0] is mm:
        return got[1]
    return list(mm.tree.ranges())


def _walk_advanced(mm, who, touches=lambda v: True):
    seen = 0
    for first, last, e in _entries(mm):
        if e is XA_ZERO_ENTRY:
            return "misread", (f"{who}: for_each_vma returns XA_ZERO_ENTRY at [{first:#x}, "
                               f"{last:#x}] and dereferences it (CRASH_ZERO)")
        if isinstance(e, VMA) and e.mm is not mm:
            if touches(e):
                return "misread", (f"{who}: reaches the parent's {e.label or e.range_str()} "
                                   "through a stale pointer (PARENT_HIT)")
            continue
        seen += 1
    if seen == 0:
        return "empty", f"{who}: the tree holds no VMA"
    return "ok", f"{who}: {seen} child VMAs, all the child's own"


def swapoff(mm, design):
    """try_to_unuse → unuse_mm: for_each_vma, unuse_vma on VMAs with an anon_vma."""
    if design.swapoff_checks_unstable and mm.test_flag(MMF_UNSTABLE):
        return "backed_off", "swapoff: MMF_UNSTABLE, unuse_mm skips the mm (1367da7eb875)"
    return _walk_advanced(mm, "swapoff", lambda v: v.anon_vma is not None)


def uprobe(mm, design):
    """register_for_each_vma → install_breakpoint → anon_vma_prepare →
    find_mergeable_anon_vma: vma_iter_load at vm_end and vma_prev (advanced API)."""
    if design.dup_mmap_sem_across:
        return "backed_off", ("uprobe: dup_mmap_sem is held until the failed mm is torn "
                              "down (8ac662f5da19)")
    if design.uprobe_checks_unstable and mm.test_flag(MMF_UNSTABLE):
        return "backed_off", "uprobe: MMF_UNSTABLE, register skips the mm (64c37e134b12)"
    ents = _entries(mm)
    targets = [e for _, _, e in ents if isinstance(e, VMA) and e.mm is mm and e.file is not None
               and e in e.file.i_mmap and e.flags & VM_EXEC]
    if not targets:
        if not any(isinstance(e, VMA) for _, _, e in ents):
            return "empty", "uprobe: no child VMA is reachable through i_mmap"
        return "ok", "uprobe: no executable file VMA of the child to probe"
    for v in targets:
        if v.anon_vma is not None:
            continue
        mas = MapleState(mm.tree, v.end)
        nxt = mas.walk()
        if nxt is XA_ZERO_ENTRY:
            return "misread", (f"uprobe: find_mergeable_anon_vma loads the entry at the end of "
                               f"{v.label} and gets XA_ZERO_ENTRY (CRASH_ZERO)")
        if isinstance(nxt, VMA) and nxt.mm is not mm:
            return "misread", (f"uprobe: find_mergeable_anon_vma reads the parent's "
                               f"{nxt.label} as {v.label}'s neighbour (stale pointer)")
    return "ok", f"uprobe: {len(targets)} breakpoints installed in a consistent tree"


def oom_reaper(mm, design):
    """oom_reap_task_mm / process_mrelease: MMF_OOM_SKIP test, then for_each_vma."""
    if mm.test_flag(MMF_OOM_SKIP):
        return "backed_off", "OOM reaper: MMF_OOM_SKIP"
    return _walk_advanced(mm, "OOM reaper", lambda v: v.anon_vma is not None or v.is_anon)


def khugepaged(mm, design):
    """khugepaged / ksmd scan: only if the fork registered the mm before the copy."""
    if not mm.registered:
        return "backed_off", "khugepaged/ksmd: not registered (hooks run only on success)"
    return _walk_advanced(mm, "khugepaged")


def uffd(mm, design):
    """A userfaultfd monitor handed the child by dup_userfaultfd_complete(): range walks
    (advanced API) and vma_lookup (normal API, skips the marker)."""
    if not mm.uffd_event:
        return "backed_off", "uffd: no fork event for a failed fork (f64e67e5d3a4)"
    status, text = _walk_advanced(mm, "uffd monitor")
    if status == "empty":
        return "empty", "uffd monitor: an empty mm is exposed"
    return status, text


FUNCS = {"swapoff": swapoff, "uprobe": uprobe, "oom_reaper": oom_reaper,
         "khugepaged": khugepaged, "uffd": uffd}


def run_walkers(mm, design):
    """Every walker on ``mm``: {name: (status, detail)} (the tree is read once)."""
    _LISTING.clear()
    _LISTING[id(mm)] = (mm, list(mm.tree.ranges()))
    try:
        return {name: FUNCS[name](mm, design) for name in WALKERS}
    finally:
        _LISTING.clear()


def table(designs=None, proc=None, n=60, seed=3):
    """Walker × design: for each design, fail at every loop point (m >= 1) of a process and
    count each walker's statuses. Returns {design: {walker: {status: count}}}."""
    from .designs import MAIN_DESIGNS, D4_6120, D4_612
    from .sweep import run as sweep_run
    designs = designs or (list(MAIN_DESIGNS) + [D4_6120.name, D4_612.name])
    out = {}
    for d in designs:
        res = sweep_run(design=d, n=n, seed=seed, proc=proc, points=("F2", "F3", "F9", "F10"))
        cell = {w: {} for w in WALKERS}
        for row in res["rows"]:
            if row.get("m", 0) < 1 or not row.get("triggered", True):
                continue
            for w, s in row["walkers"].items():
                cell[w][s] = cell[w].get(s, 0) + 1
        out[res["design"]] = cell
    return out


def format_table(tab):
    """Markdown table of :func:`table`: the worst status per cell, with counts."""
    order = {s: i for i, s in enumerate(STATUSES)}
    lines = ["| design | " + " | ".join(WALKERS) + " |",
             "|---|" + "---|" * len(WALKERS)]
    for d, cells in tab.items():
        row = []
        for w in WALKERS:
            c = cells.get(w, {})
            if not c:
                row.append("—")
                continue
            worst = min(c, key=lambda s: order[s])
            total = sum(c.values())
            row.append(f"{worst} ({c[worst]}/{total})" if len(c) > 1 else worst)
        lines.append(f"| {d} | " + " | ".join(row) + " |")
    return "\n".join(lines)
