"""Fork and exit figures for the process model (markdown tables on stdout).

1. A 65,530-VMA process (the default ``vm.max_map_count``) forked and exited once per
   design: wall time of dup_mmap and of exit_mmap, maple nodes allocated and freed.
2. The speed-up of the 6.8 design (``__mt_dup`` + in-place replacement, D4) over the
   6.7 design (bulk insertion, D1) at the VMA counts of the __mt_dup cover letters,
   beside the kernel's published gains (byte-unixbench spawn, fork-designs notes §7).
   Two model columns: the whole dup_mmap, and the tree work alone (D1:
   mas_expected_entries + n append stores into an empty tree; D4: __mt_dup + n
   exact-fit stores).
Times are CPU seconds of this process (``time.process_time``), the best of ``--repeat``
runs; "nodes allocated" counts every node the allocator handed out, including the
worst-case preallocations a store hands back unused.

Usage: python bench/bench_fork.py [--vmas 65530] [--designs all|6.7-bulk,6.8-marker]
       [--max-gain-vmas 51221] [--repeat 1]
"""

import argparse
import gc
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from mapletree import mm  # noqa: E402
from mapletree.core.constants import MM_MT_FLAGS  # noqa: E402
from mapletree.core.dup import mt_dup  # noqa: E402
from mapletree.core.state import MapleState  # noqa: E402
from mapletree.core.tree import MapleTree  # noqa: E402
from mapletree.mm.exit import Run, mmput  # noqa: E402
from mapletree.mm.fork import dup_mmap  # noqa: E402
from mapletree.mm.mm import new_child_mm  # noqa: E402

def _clock():
    """CPU time of this process: stable on a machine shared with other jobs."""
    return time.process_time()


COVER_VMAS = (21, 121, 221, 421, 821, 1621, 3221, 6421, 12821, 25621, 51221)
COVER_BEFORE = (112100, 76261, 54227, 34035, 20195, 11112, 6017, 3161, 1606, 802, 393)
COVER_AFTER = (114558, 83067, 65008, 45824, 28751, 16072, 8922, 4747, 2436, 1233, 599)
COVER_GAIN = ("2.19%", "8.92%", "19.88%", "34.64%", "42.37%", "44.64%", "48.28%", "50.17%",
              "51.68%", "53.74%", "52.42%")


def fork_exit(parent, design):
    """One successful dup_mmap + exit_mmap; returns (t_fork, t_exit, allocated, freed)."""
    d = mm.get_design(design)
    alloc = parent.kernel.alloc
    a0, f0 = alloc.allocated, alloc.freed
    gc.collect()
    gc.disable()
    try:
        child = new_child_mm(parent)
        run = Run(child, parent)
        t0 = _clock()
        st = dup_mmap(child, parent, d, None, run)
        t1 = _clock()
        assert st.retval == 0, design
        mmput(child, d, run)
        t2 = _clock()
    finally:
        gc.enable()
    assert child.tree.is_empty and child.pgtables.count == 0
    return t1 - t0, t2 - t1, alloc.allocated - a0, alloc.freed - f0


def tree_only(parent, design):
    """The tree work of the copy alone: (seconds, nodes allocated)."""
    src = parent.tree
    entries = list(src.ranges())
    alloc = src.allocator if hasattr(src, "allocator") else parent.kernel.alloc
    a0 = alloc.allocated
    gc.collect()
    gc.disable()
    try:
        t0 = _clock()
        dst = MapleTree(MM_MT_FLAGS, allocator=alloc)
        if design == "6.7-bulk":
            mas = MapleState(dst, 0)
            mas.expected_entries(len(entries))
            dst.set_rcu(False)
            for first, last, e in entries:
                mas.set_range(first, last)
                mas.store(e)
            mas.destroy()
        else:
            mt_dup(src, dst)
            dst.set_rcu(False)
            mas = MapleState(dst, 0)
            for first, last, e in entries:
                mas.set_range(first, last)
                mas.store(e)
        dst.set_rcu(True)
        t1 = _clock()
    finally:
        gc.enable()
    n = alloc.allocated - a0
    dst.destroy()
    return t1 - t0, n


def table_designs(nvmas, designs, seed=0):
    t0 = _clock()
    parent = mm.random_process(nvmas, seed)
    build = _clock() - t0
    print(f"### Fork and exit of a {parent.map_count:,}-VMA process "
          f"(tree height {parent.tree.height}, {parent.tree.node_count():,} nodes; "
          f"built in {build:.1f} s)\n")
    print("| design | dup_mmap (s) | exit_mmap (s) | nodes allocated | nodes freed | "
          "µs per VMA (fork) |")
    print("|---|---:|---:|---:|---:|---:|")
    for d in designs:
        tf, te, a, f = fork_exit(parent, d)
        print(f"| {d} | {tf:.2f} | {te:.2f} | {a:,} | {f:,} | {tf / nvmas * 1e6:.0f} |")
        sys.stdout.flush()
    print()


def table_gain(max_vmas, repeat=1, seed=0):
    print("### Speed-up of 6.8-marker (D4, __mt_dup) over 6.7-bulk (D1) by VMA count\n")
    print("| VMAs | model dup_mmap D1 (ms) | D4 (ms) | model gain | tree only D1 (ms) | "
          "D4 (ms) | tree gain | nodes D1 | nodes D4 | kernel forks/10 s before → after |"
          " kernel gain |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for n, b, a, g in zip(COVER_VMAS, COVER_BEFORE, COVER_AFTER, COVER_GAIN):
        if n > max_vmas:
            break
        parent = mm.random_process(n, seed)
        best = {}
        for d in ("6.7-bulk", "6.8-marker"):
            tf = min(fork_exit(parent, d)[0] for _ in range(repeat))
            tt, nodes = min(tree_only(parent, d) for _ in range(repeat))
            best[d] = (tf, tt, nodes)
        (f1, t1, n1), (f4, t4, n4) = best["6.7-bulk"], best["6.8-marker"]
        # gain as the cover letters state it: (forks/s after) / (forks/s before) - 1
        print(f"| {n:,} | {f1 * 1e3:.1f} | {f4 * 1e3:.1f} | {(f1 / f4 - 1) * 100:+.1f}% | "
              f"{t1 * 1e3:.1f} | {t4 * 1e3:.1f} | {(t1 / t4 - 1) * 100:+.1f}% | {n1:,} | {n4:,} | "
              f"{b:,} → {a:,} | {g} |")
        sys.stdout.flush()
    print()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vmas", type=int, default=65530)
    p.add_argument("--designs", default="all")
    p.add_argument("--max-gain-vmas", type=int, default=51221)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--skip-designs", action="store_true")
    p.add_argument("--skip-gain", action="store_true")
    a = p.parse_args(argv)
    designs = list(mm.MAIN_DESIGNS) if a.designs == "all" else a.designs.split(",")
    if not a.skip_designs:
        table_designs(a.vmas, designs)
    if not a.skip_gain:
        table_gain(a.max_gain_vmas, a.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
