"""Core benchmark: ops/s of the model beside the kernel C figures.

Workloads (those of ../shared/conformance/costs.json, measured on the real
6.12.117 lib/maple_tree.c built in userspace): a source tree of N page-aligned,
address-space-like ranges (MM_MT_FLAGS, built in order with mas_store_gfp);
mtree_load at random addresses; exact-fit overwrite (mas_store_gfp over an
existing range, RCU copy); clear + reinsert pairs; __mt_dup; the pre-6.8
insert-each-range copy (RCU cleared); the 6.1-6.7 bulk copy
(mas_expected_entries). N follows the fork series' benchmark points.

The kernel was measured at N = 10 ... 100,000; figures at the fork series' N
are interpolated log-log between the two nearest measured points. "ratio" is
how many times faster the C code is than this model. Times are CPU time of
the process (the machine is shared).

    python bench/bench_core.py [--quick] [--json FILE]
"""

import argparse
import json
import math
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from mapletree import MM_MT_FLAGS, MapleTree, NodeAllocator, mt_dup  # noqa: E402
from mapletree.core.mas import MaState  # noqa: E402
from mapletree.core.store import mas_store, mas_store_gfp  # noqa: E402

POINTS = [21, 221, 1621, 6421, 25621, 51221]
COSTS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "conformance", "costs.json")
COSTS_COPY = os.path.join(os.path.dirname(__file__), "kernel_costs_6.12.json")


def layout(n, seed=42):
    """Page-aligned ranges of 1-16 pages, a 1-16 page gap before 3/4 of them."""
    r = random.Random(seed)
    out, a = [], 0x400000
    for _ in range(n):
        if r.random() < 0.75:
            a += r.randint(1, 16) * 4096
        size = r.randint(1, 16) * 4096
        out.append((a, a + size - 1))
        a += size
    return out


def build(ranges, alloc=None):
    t = MapleTree(MM_MT_FLAGS, alloc)
    for i, (a, b) in enumerate(ranges):
        mas_store_gfp(MaState(t, a, b), i + 1)
    return t


def timed(fn, min_time=0.2):
    """(seconds per call, result of the last call)."""
    n, t0 = 0, time.process_time()
    while True:
        res = fn()
        n += 1
        el = time.process_time() - t0
        if el >= min_time:
            return el / n, res


def run_point(n, quick=False):
    ranges = layout(n)
    src_alloc = NodeAllocator()
    t0 = time.process_time()
    src = build(ranges, src_alloc)
    build_s = time.process_time() - t0
    row = {"n": n, "src_nodes": src.node_count(), "src_height": src.height,
           "build_s": build_s, "build_nodes_allocated": src_alloc.allocated}
    lookups = 2000 if quick else 20000
    r = random.Random(1)
    end = ranges[-1][1]
    addrs = [r.randrange(0, end) for _ in range(lookups)]
    t0 = time.process_time()
    for x in addrs:
        src.load(x)
    row["load_ops_per_s"] = lookups / (time.process_time() - t0)

    def dup_once():
        alloc = NodeAllocator()
        dst = MapleTree(MM_MT_FLAGS, alloc)
        mt_dup(src, dst)
        return alloc.allocated
    row["dup_s"], row["dup_nodes_allocated"] = timed(dup_once, 0.05 if quick else 0.3)

    def insert_once():
        alloc = NodeAllocator()
        dst = MapleTree(MM_MT_FLAGS, alloc)
        dst.set_rcu(False)
        for a, b, e in src.ranges():
            mas_store_gfp(MaState(dst, a, b), e)
        return alloc.allocated, alloc.freed, dst.node_count()
    row["insert_s"], (ia, ifr, ifin) = timed(insert_once, 0.05 if quick else 0.3)
    row.update(insert_nodes_allocated=ia, insert_nodes_freed=ifr, insert_nodes_final=ifin)

    def bulk_once():
        alloc = NodeAllocator()
        dst = MapleTree(MM_MT_FLAGS, alloc)
        dst.set_rcu(False)
        mas = dst.state(0, 0)
        mas.expected_entries(n)
        m = mas._m
        for a, b, e in src.ranges():
            m.index, m.last, m.status = a, b, "start"
            mas_store(m, e)
        mas.destroy()
        return alloc.allocated, alloc.freed, dst.node_count()
    row["bulk_insert_s"], (ba, bfr, bfin) = timed(bulk_once, 0.05 if quick else 0.3)
    row.update(bulk_nodes_allocated=ba, bulk_nodes_freed=bfr, bulk_nodes_final=bfin)

    copy = MapleTree(MM_MT_FLAGS, NodeAllocator())
    mt_dup(src, copy)
    ops = 2000 if quick else 20000
    picks = [ranges[r.randrange(n)] for _ in range(ops)]
    before = copy.allocator.allocated
    t0 = time.process_time()
    for i, (a, b) in enumerate(picks):
        mas_store_gfp(MaState(copy, a, b), n + i)
    row["overwrite_store_ops_per_s"] = ops / (time.process_time() - t0)
    row["overwrite_nodes_allocated"] = copy.allocator.allocated - before
    pairs = ops // 2
    before = copy.allocator.allocated
    t0 = time.process_time()
    for i, (a, b) in enumerate(picks[:pairs]):
        mas_store_gfp(MaState(copy, a, b), None)
        mas_store_gfp(MaState(copy, a, b), i + 1)
    row["clear_reinsert_store_ops_per_s"] = 2 * pairs / (time.process_time() - t0)
    row["clear_reinsert_nodes_per_store"] = (copy.allocator.allocated - before) / (2 * pairs)
    copy.validate()
    return row


def kernel_costs():
    for path in (COSTS, COSTS_COPY):
        if os.path.exists(path):
            with open(path) as f:
                return {r["n"]: r for r in json.load(f)["results"]}
    return {}


def interp(kc, n, key):
    """Log-log interpolation of a kernel figure at n."""
    ns = sorted(kc)
    if not ns:
        return None
    if n <= ns[0]:
        lo = hi = ns[0]
    elif n >= ns[-1]:
        lo = hi = ns[-1]
    else:
        lo = max(x for x in ns if x <= n)
        hi = min(x for x in ns if x >= n)
    if lo == hi:
        return kc[lo][key]
    f = (math.log(n) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return math.exp(math.log(kc[lo][key]) * (1 - f) + math.log(kc[hi][key]) * f)


def fmt_rate(x):
    return f"{x / 1e6:.2f} M/s" if x >= 1e6 else f"{x / 1e3:.1f} k/s" if x >= 1e3 else f"{x:.0f}/s"


def fmt_time(s):
    return f"{s * 1e3:.2f} ms" if s >= 1e-3 else f"{s * 1e6:.1f} µs"


def table(rows, kc):
    lines = ["| N | nodes (h) | load | exact-fit store | clear+reinsert | `__mt_dup` (nodes) | "
             "in-order insert copy (alloc/final) | bulk copy 6.1–6.7 (alloc/final) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        n = r["n"]

        def ratio_rate(key):
            k = interp(kc, n, key)
            return f"{fmt_rate(r[key])} (C ×{k / r[key]:.0f})" if k else fmt_rate(r[key])

        def ratio_time(key):
            k = interp(kc, n, key)
            return f"{fmt_time(r[key])} (C ×{r[key] / k:.0f})" if k else fmt_time(r[key])
        lines.append(
            f"| {n:,} | {r['src_nodes']:,} ({r['src_height']}) | {ratio_rate('load_ops_per_s')} | "
            f"{ratio_rate('overwrite_store_ops_per_s')} | {ratio_rate('clear_reinsert_store_ops_per_s')} | "
            f"{ratio_time('dup_s')} ({r['dup_nodes_allocated']:,}) | "
            f"{ratio_time('insert_s')} ({r['insert_nodes_allocated']:,}/{r['insert_nodes_final']:,}) | "
            f"{ratio_time('bulk_insert_s')} ({r['bulk_nodes_allocated']:,}/{r['bulk_nodes_final']:,}) |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller N and shorter runs")
    ap.add_argument("--points", type=int, nargs="*", help="override the N values")
    ap.add_argument("--json", help="write the raw rows here")
    args = ap.parse_args(argv)
    points = args.points or (POINTS[:3] if args.quick else POINTS)
    kc = kernel_costs()
    rows = []
    for n in points:
        rows.append(run_point(n, args.quick))
        print(f"  measured N={n}", file=sys.stderr)
    print(table(rows, kc))
    if kc:
        print("\n(C ×k: the kernel's C code is k times faster; kernel figures interpolated "
              "log-log from costs.json at N = 10 … 100,000.)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
