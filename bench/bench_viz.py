"""Benchmark of the visual layer: DOT build and Graphviz render per frame, step latency.

    python bench/bench_viz.py [--quick]

Prints two Markdown tables:

1. for trees of about 3, 30, 300 and 3000 nodes (MM_MT_FLAGS trees of page-aligned
   VMAs with holes): snapshot time, DOT build time and ``dot -Tsvg`` time, drawn whole
   and collapsed (the default: at most 48 nodes, subtrees off the path become stubs);
2. Stepper step latency in-process (slider value change → widget HTML updated), for
   frames already rendered (cached) and for first visits (one Graphviz run each).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from mapletree import scenarios
from mapletree.core.alloc import NodeAllocator
from mapletree.core.constants import MM_MT_FLAGS
from mapletree.core.tree import MapleTree
from mapletree.viz.graph import Layout, render_dot
from mapletree.viz.record import Frame, Interner, snapshot_tree
from mapletree.viz.widgets import Stepper

# VMA counts giving about 3, 30, 300 and 3000 nodes
SIZES = ((14, "~3"), (200, "~30"), (2300, "~300"), (23000, "~3000"))


def build(n):
    t = MapleTree(flags=MM_MT_FLAGS, allocator=NodeAllocator())
    for v in scenarios.spaced_vmas(n):
        t.store_range(v.start, v.end - 1, v.name)
    return t


def timed(fn, repeat=3):
    best = None
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best, out


def bench_trees(sizes, full_limit):
    rows = []
    for n, label in sizes:
        tree = build(n)
        nodes = tree.node_count()
        t_snap, snap = timed(lambda: snapshot_tree(tree, "tree", Interner()))
        frame = Frame(0, "note", "", (), "", (snap,))
        for mode, max_nodes in (("collapsed", 48), ("whole", 10 ** 9)):
            if mode == "whole" and nodes > full_limit:
                rows.append((label, nodes, mode, t_snap, None, None, None, None))
                continue
            t_dot, src = timed(lambda: Layout([frame], max_nodes=max_nodes).dot(0))
            rep = 1 if nodes > 500 else 3
            t_svg, svg = timed(lambda: render_dot(src), repeat=rep)
            drawn = src.count("[label=<")
            rows.append((label, nodes, mode, t_snap, t_dot, t_svg, drawn, len(svg)))
        print(f"  measured {label} nodes", file=sys.stderr)
    return rows


def bench_steps():
    out = []
    for name in ("split", "mt-dup", "fork-fail-6.8-marker"):
        rec = scenarios.record(name)
        st = Stepper(rec, static=False)
        n = st.n
        first = []
        for k in range(1, n):
            t0 = time.perf_counter()
            st.slider.value = k
            first.append(time.perf_counter() - t0)
        cached = []
        for _ in range(3):
            for k in list(range(n - 2, -1, -1)) + list(range(1, n)):
                t0 = time.perf_counter()
                st.slider.value = k
                cached.append(time.perf_counter() - t0)
        out.append((name, n, statistics.median(first), max(first),
                    statistics.median(cached), max(cached)))
    return out


def ms(x):
    return "—" if x is None else f"{1000 * x:.1f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the ~3000-node tree")
    ap.add_argument("--full-limit", type=int, default=400,
                    help="largest tree also drawn whole (default 400 nodes)")
    args = ap.parse_args(argv)
    sizes = SIZES[:3] if args.quick else SIZES
    rows = bench_trees(sizes, args.full_limit)
    print("| tree | nodes | drawn as | snapshot ms | DOT build ms | dot -Tsvg ms | "
          "items drawn | SVG KB |")
    print("|---|---|---|---|---|---|---|---|")
    for label, nodes, mode, t_snap, t_dot, t_svg, drawn, size in rows:
        kb = "—" if size is None else f"{size / 1024:.0f}"
        print(f"| {label} | {nodes} | {mode} | {ms(t_snap)} | {ms(t_dot)} | {ms(t_svg)} | "
              f"{'—' if drawn is None else drawn} | {kb} |")
    print()
    print("| recording | frames | first visit median ms | first visit max ms | "
          "cached step median ms | cached step max ms |")
    print("|---|---|---|---|---|---|")
    for name, n, fmed, fmax, cmed, cmax in bench_steps():
        print(f"| {name} | {n} | {ms(fmed)} | {ms(fmax)} | {ms(cmed)} | {ms(cmax)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
