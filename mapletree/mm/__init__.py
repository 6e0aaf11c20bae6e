"""The process model: VMAs, mm, page tables, fork designs D1..D5, teardown, walkers.

Mirrors kernel/fork.c (dup_mm, dup_mmap), mm/mmap.c (exit_mmap), mm/memory.c
(unmap_vmas, free_pgtables, free_pgd_range, copy_page_range) and the race-window walkers
of the fork notes. Uses only the core's public API (MapleTree, MapleState, mt_dup,
NodeAllocator).

Quick use::

    from mapletree import mm
    proc = mm.reference_process()
    child, res = mm.fork(proc, design="6.8-marker", fault="F5@6")
    res.outcomes, res.snapshot, res.walkers
    from mapletree.mm import sweep
    sweep.run(design="7.0-recovery", n=200)
"""

from .constants import (MMF_OOM_SKIP, MMF_UNSTABLE, VM_ACCOUNT, VM_DONTCOPY, VM_HUGETLB,
                        VM_WIPEONFORK)
from .vma import VMA, AnonVma, File, VmaError
from .pagetables import PageTables
from .mm import MM, Kernel, VmaOverlapError, new_child_mm
from .procmaps import ProcMapsError, parse as parse_procmaps
from .builders import (LayoutError, from_procmaps, from_ranges, random_process,
                       reference_process)
from .designs import Design, UnknownDesignError, get_design, design_names, MAIN_DESIGNS
from .faults import Fault, FaultError, enumerate_faults, parse_fault
from .exit import Oops, Run, exit_mmap
from .fork import dup_mmap, fork, fork_and_exit, tail_trim_cost
from .result import CODES, ForkResult, check_child_copy, classify_slots, snapshot
from . import walkers

__all__ = [
    "MM", "Kernel", "VMA", "AnonVma", "File", "PageTables", "VmaError", "VmaOverlapError",
    "ProcMapsError", "LayoutError", "parse_procmaps", "from_procmaps", "from_ranges",
    "random_process", "reference_process", "Design", "UnknownDesignError", "get_design",
    "design_names", "MAIN_DESIGNS", "Fault", "FaultError", "enumerate_faults", "parse_fault",
    "Oops", "Run", "exit_mmap", "dup_mmap", "fork", "fork_and_exit", "tail_trim_cost", "CODES", "ForkResult",
    "check_child_copy", "classify_slots", "snapshot", "walkers", "new_child_mm",
    "VM_ACCOUNT", "VM_DONTCOPY", "VM_HUGETLB", "VM_WIPEONFORK", "MMF_OOM_SKIP", "MMF_UNSTABLE",
]
