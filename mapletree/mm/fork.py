"""fork()'s copy of the address space: dup_mmap() for each design, and fork() itself.

Mirrors kernel/fork.c ``dup_mm`` / ``dup_mmap`` (mm/mmap.c from 6.16), ``vm_area_dup``,
``anon_vma_fork`` (mm/rmap.c) and ``copy_page_range`` (mm/memory.c), in the five designs
of the fork notes (see :mod:`mapletree.mm.designs`). All tree work goes through the core:
``mt_dup`` (``__mt_dup``), ``MapleState`` find/store/store_gfp, ``set_rcu``, ``destroy``,
``mas_expected_entries`` (D1), and node-allocation failures are injected with
``NodeAllocator.inject`` so the real allocation counts decide what fails.

Entry points: :func:`fork` (dup_mm + dup_mmap + the race window + mmput on failure),
:func:`fork_and_exit` (also exits a successful child), :func:`dup_mmap`.
"""

from contextlib import nullcontext
from dataclasses import dataclass, field

from mapletree.core import trace
from mapletree.core.alloc import GFP_KERNEL, GFP_NOWAIT
from mapletree.core.constants import ULONG_MAX
from mapletree.core.dup import mt_dup
from mapletree.core.entries import XA_ZERO_ENTRY
from mapletree.core.errors import NoMemoryError
from mapletree.core.state import MapleState

from .constants import (EINTR, ENOMEM, MMF_OOM_SKIP, MMF_UNSTABLE, PAGE_SIZE, PMD_SIZE,
                        VM_ACCOUNT, VM_DONTCOPY, VM_LOCKED_MASK, VM_WIPEONFORK, round_down)
from .designs import get_design
from .exit import (Oops, Run, mmput, recovery_70, tree_written, undo_dup_mmap,
                   undo_sketch)
from .faults import parse_fault
from .mm import new_child_mm
from .vma import VMA


def _name(v):
    return v.label if isinstance(v, VMA) and v.label else (v.range_str() if isinstance(v, VMA)
                                                           else repr(v))


class _Iter:
    """The child's vma_iterator (``for_each_vma``) with its stores.

    ``next()`` yields the entries in index order, as the kernel's advancing ``mas_find``
    does. The loop only ever writes the range it is visiting (an exact-fit replacement
    or the DONTCOPY NULL store), never an entry ahead of the cursor, so the sequence is
    read from one ``MapleTree.ranges()`` listing taken when the iterator starts; the
    stores go through ``MapleState`` (``mas_store`` / ``mas_store_gfp``).
    """

    def __init__(self, tree, mm=None):
        self.mas = MapleState(tree, 0)
        self.pos = 0
        self.mm = mm
        self.tree = tree
        self._ranges = None
        self._i = 0

    def next(self):
        if self._ranges is None:
            self._ranges = list(self.tree.ranges())
        while self._i < len(self._ranges):
            first, last, e = self._ranges[self._i]
            self._i += 1
            if self.pos is not None and last >= self.pos:
                self.mas.set_range(first, last)
                return e
        return None

    def store(self, first, last, entry):
        """mas_store(): GFP_NOWAIT, one attempt (raises NoMemoryError)."""
        self.mas.set_range(first, last)
        if self.mm is not None:
            tree_written(self.mm)
        self.mas.store(entry)
        self.pos = last + 1 if last < ULONG_MAX else None

    def store_gfp(self, first, last, entry):
        """mas_store_gfp(GFP_KERNEL): NOWAIT first, then a KERNEL retry."""
        self.mas.set_range(first, last)
        if self.mm is not None:
            tree_written(self.mm)
        self.mas.store_gfp(entry)
        self.pos = last + 1 if last < ULONG_MAX else None


# --------------------------------------------------------------------------- page copy

def copy_page_range(dst_mm, tmp, src, run, fail=None):
    """copy_page_range(tmp, mpnt): allocate the child's PUD/PMD/PTE tables block by block
    and copy the present entries (RSS grows; a swap entry puts the child on mmlist).

    ``fail``: None, or a step number / "half" at which to fail with -ENOMEM, leaving
    what was built. Returns True on success.
    """
    if not src.needs_copy:
        return True
    entries = src.mm.pgtables.entries(src.start, src.end)
    blocks = sorted({round_down(s, PMD_SIZE) for s, _, _ in entries})
    copied = 0
    for bi, b in enumerate(blocks):
        dst_mm.pgtables.ensure(b)
        in_block = [(max(s, b), min(e, b + PMD_SIZE), k) for s, e, k in entries
                    if s < b + PMD_SIZE and e > b]
        last_block = bi == len(blocks) - 1
        if fail is not None and last_block:
            pages = sum((e - s) // PAGE_SIZE for s, e, _ in in_block)
            budget = max(1, pages // 2) if pages > 1 else 0
            for s, e, k in in_block:
                n = min(budget, (e - s) // PAGE_SIZE)
                if n > 0:
                    _copy(dst_mm, s, s + n * PAGE_SIZE, k)
                    copied += n
                budget -= n
            run.event("fork", "copy_page_range",
                      f"copy_page_range for {_name(tmp)} fails with -ENOMEM after copying "
                      f"{copied} pages: the child keeps its partial tables.",
                      vma=tmp.label, copied=copied, failure=True)
            return False
        for s, e, k in in_block:
            _copy(dst_mm, s, e, k)
            copied += (e - s) // PAGE_SIZE
    return True


def _copy(dst_mm, s, e, kind):
    dst_mm.pgtables.add(s, e, kind)
    dst_mm.rss[kind] += (e - s) // PAGE_SIZE
    if kind == "swap":
        dst_mm.kernel.mmlist.add(dst_mm)


def anon_vma_fork(kernel, tmp, src):
    """anon_vma_fork(): chain ``tmp`` into every anon_vma of ``src`` and give it its own."""
    if src.anon_vma is None:
        return
    for av in list(src.anon_links):
        av.link(tmp)
    own = kernel.new_anon_vma(f"{tmp.label} (child)", parent=src.anon_vma)
    own.link(tmp)
    tmp.anon_vma = own


def unlink_anon_vmas(tmp):
    for av in tmp.anon_links:
        av.unlink(tmp)


# --------------------------------------------------------------------------- dup_mmap

@dataclass
class LoopState:
    """Where dup_mmap stopped: ``retval``, ``mpnt`` (entry at loop_out), its range,
    the parent index of the failing VMA, and whether the injected fault fired."""

    retval: int = 0
    mpnt: object = None
    mpnt_start: int = None
    failed_index: int = None
    triggered: bool = False
    cleared: list = field(default_factory=list)     # (first, last, label) of DONTCOPY clears
    marker: tuple = None                            # (first, last) of the marker, if any
    dup_vmas: list = field(default_factory=list)    # every vm_area_dup result
    build_allocs: int = 0                           # node allocations of the tree build
    entries_after: int = 0                          # tree entries above F when the loop stopped
    alloc_at_failure: int = 0                       # allocator count when the failure hit


def _fault_ctx(kernel, fault, point, index=None):
    if fault is None or fault.point != point or (index is not None and fault.vma != index):
        return nullcontext()
    if point == "F1":
        return kernel.alloc.inject("once", fault.alloc, only_nowait=fault.mode == "transient")
    return kernel.alloc.inject("from", fault.alloc, only_nowait=fault.mode == "transient")


def dup_mmap(mm, oldmm, design, fault=None, run=None):
    """dup_mmap(mm, oldmm) in ``design``; returns a LoopState (``retval`` 0 on success).

    Every step is logged in ``run`` and emitted as a trace event: one ``fork`` event per
    VMA of the loop, one ``marker`` or ``teardown`` event per cleanup action.
    """
    run = run if run is not None else Run(mm, oldmm)
    kernel = mm.kernel
    st = LoopState()
    parent_vmas = oldmm.vmas()
    index_of = {v.uid: i for i, v in enumerate(parent_vmas)}
    f = fault
    with trace.call("dup_mmap"):
        if f is not None and f.point == "F0":
            st.retval, st.triggered = -EINTR, True
            run.event("fork", "dup_mmap", "mmap_write_lock_killable(oldmm) is interrupted by a "
                      "fatal signal: -EINTR before anything was built.", failure=True)
            return st
        run.event("fork", "dup_mmap", f"Lock parent and child; the child starts with an empty "
                  f"tree and the parent's *_vm counters ({oldmm.map_count} parent VMAs).")
        if design.hooks_before_copy:
            mm.registered = True
        before = kernel.alloc.allocated
        # ---- S3: build the tree
        if design.build == "bulk":
            cmas = MapleState(mm.tree, 0)
            try:
                with _fault_ctx(kernel, f, "F1"):
                    with trace.call("vma_iter_bulk_alloc"):
                        cmas.expected_entries(oldmm.map_count)
            except NoMemoryError:
                st.retval, st.triggered = -ENOMEM, True
                run.event("fork", "mas_expected_entries", "The bulk preallocation fails: "
                          "-ENOMEM; the child tree stays empty.", failure=True)
                mm.uffd_event = design.uffd_event_on_failure
                return st
            st.build_allocs = kernel.alloc.allocated - before
            mm.tree.set_rcu(False)
            run.event("fork", "mas_expected_entries",
                      f"mas_expected_entries preallocates {st.build_allocs} nodes for "
                      f"{oldmm.map_count} VMAs; the loop walks the PARENT tree.")
            src = _Iter(oldmm.tree)
        else:
            gfp = GFP_NOWAIT if design.dup_gfp == "nowait" else GFP_KERNEL
            try:
                with _fault_ctx(kernel, f, "F1"):
                    mt_dup(oldmm.tree, mm.tree, gfp)
            except NoMemoryError:
                st.retval, st.triggered = -ENOMEM, True
                run.event("fork", "__mt_dup", "__mt_dup runs out of memory: the partial copy "
                          "is freed and the child tree stays empty; goto out.", failure=True)
                mm.uffd_event = design.uffd_event_on_failure
                return st
            st.build_allocs = kernel.alloc.allocated - before
            mm.tree.set_rcu(False)
            run.event("fork", "__mt_dup", f"__mt_dup clones the parent's tree ({st.build_allocs} nodes); "
                      "every leaf slot is a stale pointer to a parent VMA. RCU mode off.",
                      nodes=st.build_allocs)
            vmi = _Iter(mm.tree, mm)
        # ---- S5: the loop
        mpnt = (src if design.build == "bulk" else vmi).next()
        retval = 0
        while mpnt is not None:
            i = index_of.get(mpnt.uid)
            lbl = _name(mpnt)
            if mpnt.flags & VM_DONTCOPY:
                if design.build == "bulk":
                    mm.vm_stat_account(mpnt.flags, -mpnt.pages)
                    run.event("fork", "dup_mmap", f"{lbl} has VM_DONTCOPY: skipped, the child "
                              "tree simply gets no entry there.", vma=mpnt.label, index=i)
                    mpnt = src.next()
                    continue
                if design.stat_before_clear:
                    mm.vm_stat_account(mpnt.flags, -mpnt.pages)
                a0 = kernel.alloc.allocated
                try:
                    with _fault_ctx(kernel, f, "F2", i):
                        with trace.call("vma_iter_clear_gfp"):
                            if design.clear == "store":
                                vmi.store(mpnt.start, mpnt.last, None)
                            else:
                                vmi.store_gfp(mpnt.start, mpnt.last, None)
                except NoMemoryError:
                    st.triggered = f is not None and f.point == "F2"
                    retval = -ENOMEM
                    st.failed_index = i
                    run.event("fork", "vma_iter_clear_gfp",
                              f"{lbl} has VM_DONTCOPY, but the NULL store over its range needs "
                              "new nodes and the allocation fails: -ENOMEM. The slot still "
                              "holds the stale parent pointer.", vma=mpnt.label, index=i,
                              failure=True)
                    if design.error == "marker" and design.marker_scope == "dontcopy":
                        vmi.store(mpnt.start, mpnt.last, XA_ZERO_ENTRY)
                        st.marker = (mpnt.start, mpnt.last)
                        run.event("marker", "dup_mmap",
                                  f"v2: reset the state, find {lbl} again and overwrite its "
                                  "range with XA_ZERO_ENTRY (an exact fit).", vma=mpnt.label)
                        mpnt = None
                    break
                if not design.stat_before_clear:
                    mm.vm_stat_account(mpnt.flags, -mpnt.pages)
                st.cleared.append((mpnt.start, mpnt.last, mpnt.label))
                run.event("fork", "vma_iter_clear_gfp",
                          f"{lbl} has VM_DONTCOPY: NULL stored over its range "
                          f"({mm.tree.last_store_type}, {kernel.alloc.allocated - a0} nodes "
                          "allocated).", vma=mpnt.label, index=i)
                mpnt = vmi.next()
                continue
            if f is not None and f.at("F3", i):
                retval, st.triggered, st.failed_index = -EINTR, True, i
                run.event("fork", "dup_mmap", f"A fatal signal is pending at {lbl}: -EINTR.",
                          vma=mpnt.label, index=i, failure=True)
                break
            charge = 0
            if mpnt.flags & VM_ACCOUNT:
                refuse = f is not None and f.at("F4", i)
                if not kernel.vm_enough_memory(mpnt.pages, refuse=refuse):
                    retval, st.triggered, st.failed_index = -ENOMEM, True, i
                    run.event("fork", "security_vm_enough_memory_mm",
                              f"Overcommit refuses {mpnt.pages} pages for {lbl}: -ENOMEM, "
                              "nothing charged.", vma=mpnt.label, index=i, failure=True)
                    break
                charge = mpnt.pages
            def fail_nomem(func, text, tmp=None):
                """The fail_nomem* labels: free tmp, undo this VMA's charge, -ENOMEM."""
                if tmp is not None:
                    kernel.vm_area_free(tmp)
                kernel.vm_unacct_memory(charge)
                run.event("fork", func, text, vma=mpnt.label, index=i, failure=True)
                return -ENOMEM, True, i

            if f is not None and f.at("F5", i):
                retval, st.triggered, st.failed_index = fail_nomem(
                    "vm_area_dup", f"vm_area_dup fails for {lbl}: -ENOMEM; the charge is undone.")
                break
            tmp = kernel.vm_area_dup(mpnt)
            st.dup_vmas.append(tmp)
            if f is not None and f.at("F6", i):
                retval, st.triggered, st.failed_index = fail_nomem(
                    "vma_dup_policy", f"The policy copy for {lbl} fails: tmp is freed, the "
                    "charge undone, -ENOMEM.", tmp)
                break
            tmp.mm = mm
            if tmp.flags & VM_WIPEONFORK:
                tmp.anon_vma = None
            else:
                if f is not None and f.at("F7", i):
                    retval, st.triggered, st.failed_index = fail_nomem(
                        "anon_vma_fork", f"anon_vma_fork fails for {lbl}: tmp is freed, the "
                        "charge undone, -ENOMEM.", tmp)
                    break
                tmp.anon_vma = None
                anon_vma_fork(kernel, tmp, mpnt)
            tmp.flags &= ~VM_LOCKED_MASK
            if design.build == "bulk":
                if tmp.file is not None:
                    tmp.file.refs += 1
                    tmp.file.link(tmp)
                if f is not None and f.at("F8", i):
                    unlink_anon_vmas(tmp)
                    kernel.vm_area_free(tmp)
                    kernel.vm_unacct_memory(charge)
                    retval, st.triggered, st.failed_index = -ENOMEM, True, i
                    run.event("fork", "vma_iter_bulk_store",
                              f"(theoretical) the bulk store of {lbl} fails: tmp is unlinked "
                              "from its anon_vma and freed, but it stays on the file's i_mmap "
                              "tree with a file reference.", vma=mpnt.label, index=i,
                              failure=True)
                    break
                cmas.set_range(tmp.start, tmp.last)
                cmas.store(tmp)
            else:
                vmi.store(tmp.start, tmp.last, tmp)
            mm.map_count += 1
            if design.build != "bulk" and tmp.file is not None:
                tmp.file.refs += 1
                tmp.file.link(tmp)
            ok = True
            if not tmp.flags & VM_WIPEONFORK:
                fail9 = "half" if (f is not None and f.at("F9", i)) else None
                ok = copy_page_range(mm, tmp, mpnt, run, fail9)
            if not ok:
                retval, st.triggered, st.failed_index = -ENOMEM, True, i
                if design.advance_after_copy_fail:
                    mpnt = vmi.next()
                break
            how = ("appended to the new tree" if design.build == "bulk"
                   else "replaces the stale pointer in place (exact fit, no allocation)")
            extra = " (VM_WIPEONFORK: no anon_vma, no page copy)" if tmp.flags & VM_WIPEONFORK else ""
            run.event("fork", "dup_mmap", f"{lbl}: the child's copy {how}; map_count "
                      f"{mm.map_count}, {mm.pgtables.count} child table pages{extra}.",
                      vma=mpnt.label, index=i, map_count=mm.map_count)
            mpnt = src.next() if design.build == "bulk" else vmi.next()
        else:
            if f is not None and f.point == "F10":
                retval, st.triggered = -ENOMEM, True
                run.event("fork", "arch_dup_mmap", "arch_dup_mmap fails after the loop: every "
                          "VMA is installed, mpnt is NULL.", failure=True)
            mpnt = None
        # ---- loop_out
        if design.build == "bulk":
            destroy = getattr(cmas, "destroy", None)
            if destroy is not None:
                with trace.call("vma_iter_free"):
                    destroy()
        st.retval = retval
        st.mpnt = mpnt
        st.mpnt_start = mpnt.start if isinstance(mpnt, VMA) else None
        if retval == 0:
            mm.tree.set_rcu(True)
            mm.registered = True
            run.event("fork", "dup_mmap", f"The copy succeeded: {mm.map_count} child VMAs; the "
                      "tree goes back to RCU mode.")
            return st
        st.alloc_at_failure = kernel.alloc.allocated
        if st.failed_index is not None:
            fend = parent_vmas[st.failed_index].last
            st.entries_after = sum(1 for a, _, _ in mm.tree.ranges() if a > fend)
        _error_path(mm, oldmm, design, st, run)
    if design.uffd_event_on_failure:
        mm.uffd_event = True
    return st


def _error_path(mm, oldmm, design, st, run):
    mpnt = st.mpnt
    if design.error == "marker":
        if mpnt is not None and design.marker_scope == "every":
            it = _Iter(mm.tree, mm)
            with trace.call("dup_mmap"):
                it.store(mpnt.start, mpnt.last, XA_ZERO_ENTRY)
            st.marker = (mpnt.start, mpnt.last)
            run.event("marker", "dup_mmap", f"XA_ZERO_ENTRY is stored over exactly the range of "
                      f"{_name(mpnt)} [{mpnt.start:#x}, {mpnt.end:#x}) (an exact fit: no "
                      "allocation); exit_mmap will stop there.", first=mpnt.start, last=mpnt.last)
            if design.flags_on_failure:
                mm.set_flag(MMF_OOM_SKIP)
        if design.flags_on_failure:
            mm.set_flag(MMF_UNSTABLE)
        if st.marker is None:
            run.event("note", "dup_mmap", "No marker is written: the tree is left as the loop "
                      "left it.")
    elif design.error == "undo":
        undo_dup_mmap(mm, run, design, mpnt)
    elif design.error == "undo_sketch":
        undo_sketch(mm, run, design, mpnt, st.mpnt_start)
    elif design.error == "recovery":
        recovery_70(mm, run, design, mpnt, st.mpnt_start)
        mm.set_flag(MMF_UNSTABLE)
        run.event("teardown", "dup_mmap", "MMF_UNSTABLE set; dup_mmap returns with an empty tree.")
    else:
        run.event("note", "dup_mmap", "loop_out: the child tree holds exactly the VMAs "
                  "installed so far; exit_mmap will tear them down.")


# --------------------------------------------------------------------------- fork

def _recording(recorder, parent, child):
    if recorder is None:
        return nullcontext()
    return recorder.recording(parent.tree, child.tree,
                              names={parent.tree: "parent", child.tree: "child"})


def fork(parent, design="6.8-marker", fault=None, *, fail=None, recorder=None,
         walkers=True, keep_tree=True, exit_on_failure=True):
    """fork()'s dup_mm(): a child mm, dup_mmap() in ``design`` with ``fault`` injected, the
    race-window walkers and, on failure, mmput() → exit_mmap(). Returns (child, ForkResult).

    ``fault`` (or ``fail``): a Fault, a label like ``"F7@12"`` / ``"F1#3"``, or a tuple
    like ``("vma_dup", "at", "V6")`` (see :mod:`mapletree.mm.faults`). ``recorder``: a
    ``mapletree.viz.Recorder``; the parent and child trees are recorded under the names
    "parent" and "child". ``keep_tree``: keep the child tree's ``to_dict()`` at the
    failure point in the result.
    """
    from .result import ForkResult, assess, check_child_copy, snapshot
    from .walkers import run_walkers
    design = get_design(design)
    f = parse_fault(fault if fault is not None else fail)
    pvmas = parent.vmas()
    if f is not None:
        f = f.resolve(pvmas)
    kernel = parent.kernel
    before = {"live": kernel.alloc.live, "committed": kernel.committed,
              "parent": parent.fingerprint()}
    child = new_child_mm(parent)
    run = Run(child, parent)
    res = ForkResult(design=design.name, fault=f.label if f is not None else "none")
    with _recording(recorder, parent, child):
        oops = None
        try:
            st = dup_mmap(child, parent, design, f, run)
        except Oops as e:           # a BUG_ON inside the dup_mmap error path (v4 undo)
            oops = e
            st = None
        if st is None:
            res.retval, res.triggered = -ENOMEM, True
            run.hit(oops.code)
            run.stopped = oops.code
            res.stopped = oops.code
            res.outcomes = [c for c in ("CRASH_ZERO", "PARENT_HIT", "BUG_COUNT") if c in run.codes]
            res.events = [(k, fn, t) for k, fn, t, _ in run.events]
            return child, res
        res.retval, res.triggered, res.m = st.retval, st.triggered, child.map_count
        res.success = st.retval == 0
        if st.failed_index is not None:
            res.failed_at = pvmas[st.failed_index].label
        res.marker = st.marker
        res.build_allocs = st.build_allocs
        res.entries_after = st.entries_after
        res.snapshot = snapshot(child, st.cleared, {v.start: v.label for v in pvmas})
        if keep_tree:
            try:
                res.tree = child.tree.to_dict()
            except Exception:           # entries the dump format cannot express
                res.tree = None
        res.flags = child.flag_names()
        res.tables_before = child.pgtables.tables()
        res.counters = {"map_count": child.map_count, "total_vm": child.total_vm,
                        "data_vm": child.data_vm, "exec_vm": child.exec_vm,
                        "stack_vm": child.stack_vm, "rss": dict(child.rss),
                        "pgtables_bytes": child.pgtables.pgtables_bytes,
                        "committed_delta": kernel.committed - before["committed"]}
        if res.success:
            res.problems = check_child_copy(parent, child)
            res.outcomes = ["CLEAN"] if not res.problems else ["BUG_COUNT"]
            res.parent_changed = parent.fingerprint() != before["parent"]
            res.events = [(k, fn, t) for k, fn, t, _ in run.events]
            res._before = before
            res._run = run
            res._dup_vmas = st.dup_vmas
            return child, res
        in_tree = {e.uid for _, _, e in child.tree.ranges() if isinstance(e, VMA)}
        orphans = [v for v in st.dup_vmas if not v.freed and v.uid not in in_tree]
        if walkers:
            w = run_walkers(child, design)
            res.walkers = {k: s for k, (s, _) in w.items()}
            res.walker_details = {k: d for k, (s, d) in w.items()}
            run.event("note", "dup_mm", "Race window: " + "; ".join(
                f"{k} {s}" for k, s in res.walkers.items()) + ".")
        if exit_on_failure:
            with trace.call("mmput"):
                mmput(child, design, run)
        res.stopped = run.stopped
        res.cleanup_allocs = kernel.alloc.allocated - st.alloc_at_failure
        assess(res, run, child, parent, before, st.dup_vmas, orphans,
               completed=exit_on_failure and run.stopped is None)
        res.events = [(k, fn, t) for k, fn, t, _ in run.events]
    return child, res


def fork_and_exit(parent, design="6.8-marker", fault=None, *, fail=None, recorder=None,
                  walkers=True, keep_tree=True):
    """fork(), then the child's exit_mmap() when the fork succeeded; returns the
    ForkResult with outcomes checked after the child is gone."""
    from .result import assess
    design_obj = get_design(design)
    child, res = fork(parent, design_obj, fault, fail=fail, recorder=recorder,
                      walkers=walkers, keep_tree=keep_tree)
    if not res.success:
        return res
    run = res._run
    with _recording(recorder, parent, child):
        with trace.call("mmput"):
            mmput(child, design_obj, run)
    res.stopped = run.stopped
    assess(res, run, child, parent, res._before, res._dup_vmas, [],
           completed=run.stopped is None)
    res.events = [(k, fn, t) for k, fn, t, _ in run.events]
    return res


def tail_trim_cost(parent, index):
    """Thread point 7: what removing the not-yet-copied tail would cost at failure VMA
    ``index``, compared with the marker and with destroying the tree.

    On a fresh ``__mt_dup`` clone (RCU off, as in the loop) a NULL store over
    ``[f, ULONG_MAX]`` is made with ``mas_store_gfp``; returns {"store_type",
    "nodes_allocated", "marker_nodes", "destroy_nodes_freed"}.
    """
    from mapletree.core.tree import MapleTree
    from mapletree.core.constants import MM_MT_FLAGS
    v = parent.vmas()[index]
    alloc = parent.kernel.alloc
    out = {}
    for what in ("trim", "marker", "destroy"):
        t = MapleTree(MM_MT_FLAGS, allocator=alloc)
        mt_dup(parent.tree, t)
        t.set_rcu(False)
        a0, f0 = alloc.allocated, alloc.freed
        mas = MapleState(t, v.start, ULONG_MAX)
        if what == "trim":
            mas.store_gfp(None)
            out["store_type"] = mas.store_type
            out["nodes_allocated"] = alloc.allocated - a0
        elif what == "marker":
            mas.set_range(v.start, v.last)
            mas.store(XA_ZERO_ENTRY)
            out["marker_nodes"] = alloc.allocated - a0
            out["marker_store_type"] = mas.store_type
        else:
            n = t.node_count()
            t.destroy()
            out["destroy_nodes_freed"] = alloc.freed - f0
            out["tree_nodes"] = n
            continue
        t.destroy()
    return out
