"""Tearing an mm down: exit_mmap() of each era and the pieces it is built from.

Mirrors mm/mmap.c ``exit_mmap`` (6.7 form, 6.8-6.19 form with the ``xa_is_zero``
checks, 7.0 form with ``tear_down_vmas``), mm/memory.c ``unmap_vmas`` /
``unmap_single_vma`` / ``free_pgtables``, mm/vma.c ``remove_vma``, the v4
``undo_dup_mmap`` of the Oct 2023 series, Liam Howlett's undo sketch of Sep 2023 and the
7.0 ``dup_mmap`` recovery (``unmap_region`` with a ``struct unmap_desc``).

Every step is logged in a :class:`Run` and reported as a trace event (kind
``teardown``) so a recorder can draw it frame by frame. Acting on a parent VMA through
a stale pointer records ``PARENT_HIT``; dereferencing the marker raises :class:`Oops`
(``CRASH_ZERO``), as does a ``BUG_ON`` count mismatch (``BUG_COUNT``); a 7.0 ``WARN``
only records ``BUG_COUNT``.
"""

from bisect import bisect_left

from mapletree.core import trace
from mapletree.core.constants import ULONG_MAX
from mapletree.core.entries import XA_ZERO_ENTRY, xa_is_zero

from .constants import (FIRST_USER_ADDRESS, MMF_OOM_SKIP, PMD_SIZE, USER_PGTABLES_CEILING,
                        VM_ACCOUNT)
from .vma import VMA


class Oops(Exception):
    """The modelled kernel crashed (``code`` CRASH_ZERO or BUG_COUNT); the run stops."""

    def __init__(self, code, text):
        self.code = code
        super().__init__(f"{code}: {text}")


class Run:
    """The log of one fork + teardown: events, outcome codes, and where it stopped.

    Methods: ``event(kind, func, text, **info)`` – log and emit a trace event (O(1));
    ``hit(code)`` – record an outcome code once (O(1)). Fields: ``events`` (list of
    (kind, func, text, info)), ``codes`` (ordered), ``stopped`` (code or None),
    ``tables_freed`` ((level, base) list), ``pgtables_done`` (free_pgtables finished),
    ``removed`` (VMAs teardown removed), ``zero_checks`` (xa_is_zero tests made).
    """

    def __init__(self, child=None, parent=None):
        self.child = child
        self.parent = parent
        self.events = []
        self.codes = []
        self.stopped = None
        self.tables_freed = []
        self.pgtables_done = False
        self.removed = 0
        self.zero_checks = 0

    def trees(self):
        return tuple(t for t in (self.child.tree if self.child else None,
                                 self.parent.tree if self.parent else None) if t is not None)

    def event(self, kind, func, text, emit=True, **info):
        self.events.append((kind, func, text, info))
        if emit and trace.TRACER is not None:
            trace.emit(kind, func, text, trees=self.trees(), **info)

    def hit(self, code):
        if code not in self.codes:
            self.codes.append(code)

    def is_zero(self, entry):
        self.zero_checks += 1
        return xa_is_zero(entry)


def _name(v):
    if isinstance(v, VMA):
        return v.label or v.range_str()
    return repr(v)


def _stale(mm, vma):
    return isinstance(vma, VMA) and vma.mm is not mm


def _deref(run, entry, func, what):
    """Any use of an entry as a VMA: the marker crashes the kernel."""
    if entry is XA_ZERO_ENTRY:
        run.event("teardown", func, f"{func} treats XA_ZERO_ENTRY as a VMA while {what}: "
                  "the kernel faults near address 0x406 + a field offset.", crash=True)
        raise Oops("CRASH_ZERO", f"{func} dereferenced XA_ZERO_ENTRY ({what})")
    return entry


class _Cursor:
    """A vma_iterator over ``mm``'s tree: ``find(limit)`` returns (entry, first, last) of
    the next non-NULL entry starting at or below ``limit``, like ``mas_find``.

    Teardown never writes to the tree before ``__mt_destroy``, so the cursor reads one
    ``MapleTree.ranges()`` listing (kept on the mm in ``_listing`` until the next write,
    see :func:`tree_written`) instead of walking from the root for every step; the
    sequence is the one ``mas_find`` yields.
    """

    def __init__(self, mm, index=0):
        got = mm.__dict__.get("_listing")
        if got is None:
            ranges = list(mm.tree.ranges())
            got = (ranges, [r[1] for r in ranges])
            mm._listing = got
        self.ranges, self.lasts = got
        self.pos = bisect_left(self.lasts, index)

    def set(self, index):
        self.pos = bisect_left(self.lasts, index)

    def find(self, limit):
        if self.pos >= len(self.ranges):
            return None, None, None
        first, last, e = self.ranges[self.pos]
        if first > limit:
            return None, None, None
        self.pos += 1
        return e, first, last


def tree_written(mm):
    """Forget the cached listing of ``mm``'s tree (call after every write to it)."""
    mm._listing = None


# --------------------------------------------------------------------------- unmapping

def unmap_single_vma(mm, run, vma, start, end):
    """unmap_single_vma() + zap_pte_range(): clear the PTEs of ``vma`` in [start, end).

    The page tables walked are ``vma->vm_mm``'s; the RSS is credited to ``mm`` (the mm
    being torn down), as ``add_mm_rss_vec(tlb->mm, ...)`` does.
    """
    s, e = max(vma.start, start), min(vma.end, end)
    if s >= e:
        run.event("teardown", "unmap_single_vma",
                  f"unmap_single_vma clips {_name(vma)} to an empty range and zaps nothing.",
                  vma=vma.label)
        return {}
    zapped = vma.mm.pgtables.zap(s, e)
    for k, n in zapped.items():
        mm.rss[k] -= n
    n = sum(zapped.values())
    if _stale(mm, vma):
        run.hit("PARENT_HIT")
        run.event("teardown", "unmap_single_vma",
                  f"unmap_single_vma zaps {n} pages of the PARENT's {_name(vma)} through a "
                  "stale pointer and credits them to the child.", vma=vma.label, parent_hit=True)
    else:
        run.event("teardown", "unmap_single_vma",
                  f"unmap_single_vma zaps {n} pages of {_name(vma)}.", vma=vma.label, pages=n)
    return zapped


def unmap_vmas(mm, run, first, start, end, tree_end, stop_at_zero):
    """unmap_vmas(): zap each VMA from ``first``; next = mas_find(tree_end - 1).

    ``stop_at_zero`` is the 6.8 loop condition ``vma && !xa_is_zero(vma)``; without it
    a marker is dereferenced (CRASH_ZERO).
    """
    with trace.call("unmap_vmas"):
        cur = _Cursor(mm, first.end)
        vma = first
        while True:
            unmap_single_vma(mm, run, _deref(run, vma, "unmap_vmas", "zapping"), start, end)
            vma, _, _ = cur.find((tree_end - 1) & ULONG_MAX)
            if vma is None:
                break
            if stop_at_zero and run.is_zero(vma):
                run.event("teardown", "unmap_vmas",
                          "unmap_vmas meets XA_ZERO_ENTRY and stops: nothing after it is "
                          "the child's.", marker=True)
                break


# --------------------------------------------------------------------------- page tables

def unlink_vma_rmap(mm, run, vma, func="free_pgtables"):
    """unlink_anon_vmas() + unlink_file_vma(): hide ``vma`` from the reverse maps."""
    for av in vma.anon_links:
        av.unlink(vma)
    if vma.file is not None:
        vma.file.unlink(vma)
    if _stale(mm, vma):
        run.hit("PARENT_HIT")
        run.event("teardown", func, f"{func} unlinks the PARENT's {_name(vma)} from its "
                  "anon_vma and i_mmap trees.", vma=vma.label, parent_hit=True)


def free_pgtables(mm, run, first, floor, ceiling, search_limit, zero="null",
                  false_ceiling=False):
    """free_pgtables(): unlink each VMA from rmap, gather neighbours closer than
    PMD_SIZE, and free_pgd_range() each batch.

    ``search_limit`` is the VMA search limit (6.12: the ceiling itself; v4/7.0: a
    separate tree limit). ``zero``: ``"null"`` (6.8: a zero next becomes NULL) or
    ``"deref"`` (6.7: the marker is used as a VMA: CRASH_ZERO). ``false_ceiling``: a zero
    next ends the walk but its start becomes the last batch's ceiling (the "last false
    VMA" bug). Returns the tables freed.
    """
    freed = []
    with trace.call("free_pgtables"):
        cur = _Cursor(mm, first.end)
        limit = (search_limit - 1) & ULONG_MAX

        def next_entry():
            e, f, _ = cur.find(limit)
            if e is None:
                return None, None
            if zero == "null" and run.is_zero(e):
                if false_ceiling:
                    return None, f
                return None, None
            return _deref(run, e, "free_pgtables", "reading the next VMA's vm_start"), None

        vma = first
        while vma is not None:
            addr = vma.start
            nxt, false_start = next_entry()
            unlink_vma_rmap(mm, run, vma)
            batch = [vma]
            if not vma.is_hugetlb:
                while nxt is not None and nxt.start <= vma.end + PMD_SIZE and not nxt.is_hugetlb:
                    vma = nxt
                    nxt, false_start = next_entry()
                    unlink_vma_rmap(mm, run, vma)
                    batch.append(vma)
            if nxt is not None:
                ceil, why = nxt.start, f"the next VMA {_name(nxt)}"
            elif false_start is not None:
                ceil, why = false_start, "the marker's start (the last false VMA)"
            else:
                ceil, why = ceiling, "the caller's ceiling"
            got = mm.pgtables.free_pgd_range(addr, vma.end, floor, ceil)
            freed.extend(got)
            run.tables_freed.extend(got)
            names = ", ".join(_name(v) for v in batch)
            run.event("teardown", "free_pgd_range",
                      f"free_pgd_range({addr:#x}, {vma.end:#x}) for [{names}] with ceiling "
                      f"{ceil:#x} ({why}) frees {len(got)} table pages.",
                      start=addr, end=vma.end, ceiling=ceil, freed=len(got))
            vma = nxt
    run.pgtables_done = True
    return freed


# --------------------------------------------------------------------------- VMAs

def remove_vma(mm, run, vma, func="remove_vma"):
    """remove_vma(): vm_ops->close, fput, mpol_put, vm_area_free."""
    if vma.file is not None:
        vma.file.refs -= 1
    mm.kernel.vm_area_free(vma)
    if _stale(mm, vma):
        run.hit("PARENT_HIT")
        run.event("teardown", func, f"{func} closes and frees the PARENT's {_name(vma)}; "
                  "the parent tree now points at freed memory.", vma=vma.label, parent_hit=True)
    else:
        run.event("teardown", func, f"{func} frees {_name(vma)}.", vma=vma.label)


def destroy_tree(mm, run, func="__mt_destroy"):
    """__mt_destroy(): free every node; the tree ends empty (entries are not touched)."""
    n = mm.tree.node_count()
    with trace.call(func):
        mm.tree.destroy()
    tree_written(mm)
    # the core reports the destroy itself; keep it in the run log only
    run.event("teardown", func, f"{func} frees the child tree's {n} nodes; the tree is empty.",
              emit=False, nodes=n)


def unacct(mm, run, pages, func="vm_unacct_memory"):
    mm.kernel.vm_unacct_memory(pages)
    run.event("teardown", func, f"{func} returns {pages} committed pages.", pages=pages)


def _count_check(mm, run, design, count, func):
    if count == mm.map_count:
        return
    run.hit("BUG_COUNT")
    if design.count_check == "WARN":
        run.event("teardown", func, f"WARN_ON: {func} removed {count} VMAs but map_count is "
                  f"{mm.map_count}.", count=count, map_count=mm.map_count)
        return
    run.event("teardown", func, f"BUG_ON: {func} removed {count} VMAs but map_count is "
              f"{mm.map_count}; the exiting task dies here.", count=count, map_count=mm.map_count)
    raise Oops("BUG_COUNT", f"removed {count} VMAs, map_count {mm.map_count}")


# --------------------------------------------------------------------------- exit_mmap

def exit_mmap(mm, design, run=None):
    """exit_mmap() in the form of ``design.exit_era`` (6.7, 6.8 with its switches, 7.0).

    Raises Oops on CRASH_ZERO / BUG_COUNT (the run stops, as a real oops would).
    Returns the Run.
    """
    run = run if run is not None else Run(mm)
    stop0 = design.walkers_stop_at_zero
    with trace.call("exit_mmap"):
        cur = _Cursor(mm, 0)
        vma, _, _ = cur.find(ULONG_MAX)
        first_zero = design.first_zero != "none" and vma is not None and run.is_zero(vma)
        if vma is None or first_zero:
            if vma is None and design.exit_era == "6.7":
                run.event("teardown", "exit_mmap", "exit_mmap finds no VMA and returns "
                          "(the 6.7 form never destroys a tree without VMAs).")
                return run
            if first_zero and design.first_zero == "return":
                run.event("teardown", "exit_mmap",
                          "exit_mmap finds XA_ZERO_ENTRY first and returns without destroying "
                          "the tree: every cloned node leaks.", marker=True)
                return run
            run.event("teardown", "exit_mmap",
                      "exit_mmap finds " + ("XA_ZERO_ENTRY" if first_zero else "no VMA")
                      + " first: take the write lock and destroy the tree.")
            destroy_tree(mm, run)
            return run
        run.event("teardown", "exit_mmap", f"exit_mmap starts at {_name(vma)}: unmap every VMA.")
        unmap_vmas(mm, run, vma, 0, ULONG_MAX, ULONG_MAX, stop_at_zero=stop0)
        mm.set_flag(MMF_OOM_SKIP)
        mm.tree.set_rcu(False)
        free_pgtables(mm, run, vma, FIRST_USER_ADDRESS, USER_PGTABLES_CEILING,
                      USER_PGTABLES_CEILING, zero="null" if stop0 else "deref",
                      false_ceiling=design.false_ceiling)
        count = 0
        nr_accounted = 0
        cur = _Cursor(mm, vma.end)
        with trace.call("remove_vma"):
            while True:
                v = _deref(run, vma, "exit_mmap", "removing VMAs")
                if v.flags & VM_ACCOUNT:
                    nr_accounted += v.pages
                remove_vma(mm, run, v)
                count += 1
                vma, _, _ = cur.find(ULONG_MAX)
                if vma is None:
                    break
                if design.removal_stops_at_zero and run.is_zero(vma):
                    break
        run.removed += count
        _count_check(mm, run, design, count, "exit_mmap")
        destroy_tree(mm, run)
        unacct(mm, run, nr_accounted)
    return run


def mmput(mm, design, run):
    """mmput() → __mmput(): exit_mmap, leave the swapoff mmlist, mmdrop (the mm is dead).

    An Oops inside exit_mmap stops the run: the mm is never dropped.
    """
    try:
        exit_mmap(mm, design, run)
    except Oops as e:
        run.hit(e.code)
        run.stopped = e.code
        return run
    mm.kernel.mmlist.discard(mm)
    mm.dead = True
    run.event("teardown", "mmdrop", f"mmdrop frees the mm ({mm.pgtables.count} table pages "
              f"still accounted, rss {mm.rss_total}).")
    return run


# --------------------------------------------------------------------------- undo in dup_mmap

def _first_entry(mm, limit):
    e, _, _ = _Cursor(mm, 0).find(limit)
    return e


def undo_dup_mmap(mm, run, design, vma_end):
    """The v4 ``undo_dup_mmap(mm, vma_end)`` (Oct 2023): unmap and free the copied prefix
    with a separate tree limit, then destroy the tree. Raises Oops on BUG_COUNT."""
    with trace.call("undo_dup_mmap"):
        tree_end = USER_PGTABLES_CEILING
        if vma_end is not None:
            tree_end = vma_end.start
        if vma_end is None or tree_end != 0:
            first = _first_entry(mm, (tree_end - 1) & ULONG_MAX)
            if first is not None:
                run.event("teardown", "undo_dup_mmap",
                          f"undo_dup_mmap: tree_end {tree_end:#x}; unmap_region from "
                          f"{_name(first)} to the tree end.", tree_end=tree_end)
                with trace.call("unmap_region"):
                    unmap_vmas(mm, run, first, 0, tree_end, tree_end, stop_at_zero=False)
                    free_pgtables(mm, run, first, FIRST_USER_ADDRESS, USER_PGTABLES_CEILING,
                                  tree_end, zero="deref")
                cur = _Cursor(mm, first.end)
                vma, count, unacc = first, 0, 0
                while vma is not None and (tree_end == 0 or vma.start < tree_end):
                    if vma.flags & VM_ACCOUNT:
                        unacc += vma.pages
                    remove_vma(mm, run, vma, "undo_dup_mmap")
                    count += 1
                    vma, _, _ = cur.find(ULONG_MAX)
                    if vma is not None:
                        _deref(run, vma, "undo_dup_mmap", "removing VMAs")
                run.removed += count
                _count_check(mm, run, design, count, "undo_dup_mmap")
                unacct(mm, run, unacc)
        destroy_tree(mm, run)


def undo_sketch(mm, run, design, mpnt, mpnt_start):
    """Liam Howlett's untested sketch (7 Sep 2023): max = f; unmap_region(first, prev=NULL,
    next=F, 0, max, max); remove VMAs below max; __mt_destroy.

    With ``next = F`` the page-table ceiling is f (``false_ceiling``, the seed-mail bug);
    the fixed variant keeps the search limit f but passes ceiling 0. With no F (F9 on
    the last VMA, F10) the sketch is extended with max = ULONG_MAX and next = NULL.
    """
    with trace.call("undo_dup_mmap"):
        tree_max = mpnt_start if mpnt is not None else ULONG_MAX
        first = _first_entry(mm, (tree_max - 1) & ULONG_MAX) if tree_max else None
        if first is not None:
            ceiling = tree_max if (mpnt is not None and design.false_ceiling) else 0
            run.event("teardown", "undo_dup_mmap",
                      f"undo sketch: max {tree_max:#x}; unmap_region with next = "
                      f"{_name(mpnt) if mpnt is not None else 'NULL'}, page-table ceiling "
                      f"{ceiling:#x}.", tree_end=tree_max, ceiling=ceiling)
            with trace.call("unmap_region"):
                unmap_vmas(mm, run, first, 0, tree_max, tree_max, stop_at_zero=False)
                _free_pgtables_limited(mm, run, first, ceiling, tree_max)
            cur = _Cursor(mm, first.end)
            vma, unacc = first, 0
            while vma is not None and vma.start < tree_max:
                if vma.flags & VM_ACCOUNT:
                    unacc += vma.pages
                remove_vma(mm, run, _deref(run, vma, "undo_dup_mmap", "removing"), "undo_dup_mmap")
                run.removed += 1
                vma, _, _ = cur.find((tree_max - 1) & ULONG_MAX)
            unacct(mm, run, unacc)
        destroy_tree(mm, run)


def _free_pgtables_limited(mm, run, first, ceiling, tree_max):
    """free_pgtables whose search stops below ``tree_max``; with no next VMA the last
    batch's ceiling is ``ceiling`` (f in the sketch, 0 when fixed)."""
    return free_pgtables(mm, run, first, FIRST_USER_ADDRESS, ceiling, tree_max, zero="deref")


def recovery_70(mm, run, design, mpnt, mpnt_start):
    """The 7.0 error branch of dup_mmap (43873af772f8): unmap_region with explicit limits,
    tear_down_vmas, vm_unacct_memory, __mt_destroy; OOM_SKIP and UNSTABLE are set."""
    with trace.call("dup_mmap"):
        if mm.map_count == 0:
            end = 0
        elif mpnt is not None:
            end = mpnt_start
        else:
            end = ULONG_MAX
        mm.set_flag(MMF_OOM_SKIP)
        run.event("teardown", "dup_mmap", f"7.0 recovery: MMF_OOM_SKIP set; tree and "
                  f"page-table limits: VMAs below {end:#x}, ceiling 0.", end=end)
        if end:
            first = _first_entry(mm, (end - 1) & ULONG_MAX)
            with trace.call("unmap_region"):
                unmap_vmas(mm, run, first, 0, end, end, stop_at_zero=False)
                free_pgtables(mm, run, first, FIRST_USER_ADDRESS, USER_PGTABLES_CEILING, end,
                              zero="deref")
            charge, count = 0, 0
            cur = _Cursor(mm, first.end)
            vma = first
            with trace.call("tear_down_vmas"):
                while vma is not None and vma.end <= end:
                    if vma.flags & VM_ACCOUNT:
                        charge += vma.pages
                    remove_vma(mm, run, _deref(run, vma, "tear_down_vmas", "removing"),
                               "tear_down_vmas")
                    count += 1
                    vma, _, _ = cur.find((end - 1) & ULONG_MAX)
            run.removed += count
            _count_check(mm, run, design, count, "tear_down_vmas")
            unacct(mm, run, charge)
        destroy_tree(mm, run)
