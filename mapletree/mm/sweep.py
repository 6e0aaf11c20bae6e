"""Fail a fork design at every failure point, one row each (the ``sweep`` command).

For each fault of :func:`mapletree.mm.faults.enumerate_faults` the parent is forked with
that fault injected; the walkers of the race window look at the failed child; then
``mmput()`` → ``exit_mmap()`` tears it down and the leftovers are checked (see
:mod:`mapletree.mm.result`). The parent is reused from row to row and rebuilt only
when a row damaged it (D2a's PARENT_HIT).

Where the model and the outcome matrix (fork notes §6.2, §5.6) differ, and which is right
(each point is pinned by a test in tests/mm/test_mm_matrix.py):

* **F2 needs an allocating clear.** The DONTCOPY NULL store is injected through the
  allocator, so it fails only when the store really allocates (a rebalance or a spanning
  store; §2.3's own rule). In the §5.6 layout V4 sits between V3 and V5: the clear is an
  exact fit and F2 cannot fire there, so the "V4 (F2)" row of §5.6 is unreachable as
  drawn (the model is right by the notes' own §2.3). ``reference_process(
  dontcopy_neighbour="gap")`` opens a hole before V4; then F2 fires and leaks exactly the
  3 pages §5.6 gives. In a random 200-VMA layout only a few DONTCOPY clears allocate; the
  others are listed as "did not fire".
* **D2b F9, LEAK_RSS**: present only when copy_page_range had copied a PTE before failing
  (the model fails half-way through the last block, so a one-page VMA fails before any
  PTE is copied). The matrix lists it unconditionally; the model is more precise.
* **D1 F8 (theoretical)**: DANGLING_RMAP (+ a file reference) only for a file-backed VMA;
  an anonymous tmp is unlinked and freed cleanly, so the row is CLEAN.
* **D3 v4 F9-last / F10 [reading]**: LEAK_RSS confirmed, whenever some PTE was copied.
* **D3-sketch** is extended from F2 to every loop failure, as §5.6 already does for F3:
  LEAK_PGT(0-3) with m >= 1, CLEAN with m = 0.
* After an oops (CRASH_ZERO, BUG_COUNT) the run stops, as §6.3 asks; the leaks reported
  with it are those the failed fork caused before teardown (D2b F9: tmp lost from the
  tree with its charge, PTEs and rmap links) and the tables left by a finished
  free_pgtables pass.

Command line::

    python -m mapletree sweep --design 6.8-marker [--vmas 200] [--seed 0] [--json]
        [--points F2,F9] [--every K] [--reference] [--procmaps FILE] [--list]
"""

import argparse
import json
import sys

from .builders import from_procmaps, random_process, reference_process
from .designs import MAIN_DESIGNS, get_design, design_names, UnknownDesignError
from .faults import Fault, enumerate_faults, LOOP_POINTS
from .fork import fork, fork_and_exit
from .result import CODES
from .walkers import WALKERS


def _builder(proc, n, seed):
    if proc is None:
        return lambda: random_process(n, seed)
    if callable(proc):
        return proc
    raise TypeError("proc must be a callable returning a fresh parent MM")


def run(design=None, n=200, seed=0, proc=None, points=None, every=1, keep_tree=False,
        walkers=True):
    """Sweep one design (or every design of MAIN_DESIGNS when ``design`` is None).

    ``proc``: a callable building the parent (default: ``random_process(n, seed)``).
    ``points``: limit the point kinds (e.g. ``("F2", "F9")``); ``every``: keep every
    k-th VMA index for the loop points. Returns {"design", "vmas", "rows", "success"}
    (or a list of those when ``design`` is None). Cost: one fork + teardown per row.
    """
    if design is None:
        return [run(d, n, seed, proc, points, every, keep_tree, walkers) for d in MAIN_DESIGNS]
    d = get_design(design)
    build = _builder(proc, n, seed)
    parent = build()
    base = fork_and_exit(parent, d, None, walkers=False, keep_tree=False)
    success = {"outcomes": base.outcomes, "problems": base.problems, "m": base.m}
    pvmas = parent.vmas()
    faults = enumerate_faults(pvmas, d, base.build_allocs, points)
    if every > 1:
        faults = [f for f in faults if f.vma is None or f.vma % every == 0]
    rows = []
    for f in faults:
        if f.point in LOOP_POINTS and pvmas[f.vma].flags is None:
            continue
        child, res = fork(parent, d, f, walkers=walkers, keep_tree=keep_tree)
        row = res.row()
        rows.append(row)
        if res.parent_changed:
            parent = build()
            pvmas = parent.vmas()
    return {"design": d.name, "vmas": len(pvmas), "rows": rows, "success": success}


def _summary_counts(result):
    counts = {c: 0 for c in CODES}
    for r in result["rows"]:
        if not r.get("triggered", True):
            continue
        for c in r["outcomes"]:
            counts[c] += 1
    return counts


def summary_line(result):
    """One line: rows, CLEAN count, counts of every other code, parent, walkers."""
    rows = [r for r in result["rows"] if r.get("triggered", True)]
    untriggered = len(result["rows"]) - len(rows)
    counts = _summary_counts(result)
    bad = ", ".join(f"{c} {counts[c]}" for c in CODES[1:] if counts[c])
    parent = sum(1 for r in rows if r["parent_changed"])
    mis = sum(1 for r in rows if "misread" in r["walkers"].values())
    text = (f"{result['design']}: {result['vmas']} VMAs, {len(rows)} failure points: "
            f"CLEAN {counts['CLEAN']}" + (f", {bad}" if bad else "")
            + f"; parent changed {parent}; a walker misreads at {mis}")
    if untriggered:
        text += f"; {untriggered} faults did not fire (no allocation needed)"
    return text + "."


def format_summary(table):
    """Summary lines for one sweep result or a list of them."""
    if isinstance(table, dict):
        return summary_line(table)
    return "\n".join(summary_line(t) for t in table)


def format_outcome_table(table):
    """Markdown: one row per design, one column per outcome code (counts)."""
    tables = [table] if isinstance(table, dict) else table
    lines = ["| design | points | " + " | ".join(CODES) + " |",
             "|---|---|" + "---|" * len(CODES)]
    for t in tables:
        c = _summary_counts(t)
        n = sum(1 for r in t["rows"] if r.get("triggered", True))
        lines.append(f"| {t['design']} | {n} | " + " | ".join(str(c[k]) for k in CODES) + " |")
    return "\n".join(lines)


_W = {"misread": "M", "backed_off": "b", "empty": "e", "ok": "."}


def format_rows(result):
    """The per-row table (text)."""
    head = (f"{'point':<10} {'F':<22} {'m':>4}  {'outcomes':<44} {'vma':>3} {'node':>4} "
            f"{'pgt':>3} {'commit':>6} {'par':>3}  walkers({','.join(w[:4] for w in WALKERS)})")
    lines = [head, "-" * len(head)]
    for r in result["rows"]:
        out = ",".join(r["outcomes"]) if r.get("triggered", True) else "(did not fire)"
        w = "".join(_W.get(r["walkers"].get(k, ""), "-") for k in WALKERS) if r["walkers"] else "-"
        lines.append(f"{r['failure_point']:<10} {r['failed_at'][:22]:<22} {r['m']:>4}  "
                     f"{out[:44]:<44} {r['leaked_vmas']:>3} {r['leaked_nodes']:>4} "
                     f"{r['leaked_pgtables']:>3} {r['committed_delta']:>6} "
                     f"{'yes' if r['parent_changed'] else 'no':>3}  {w}")
    lines.append("walkers: M misread, b backed off, e empty, . ok")
    return "\n".join(lines)


def false_ceiling_table(proc=reference_process, designs=("v4-undo:sketch", "D3s-fixed"),
                        d2b=("v2-marker", "D2b-fixed")):
    """The §5.6 table: fail at each VMA (F2 for a DONTCOPY VMA, F3 elsewhere, then F10) and
    count the table pages left with the false ceiling and with the fix."""
    parent = proc()
    pvmas = parent.vmas()
    faults = []
    for i, v in enumerate(pvmas):
        faults.append(Fault("F2" if v.flags & 0x00020000 else "F3", i))
    faults.append(Fault("F10"))
    rows = []
    for f in faults:
        r = {"fails_at": pvmas[f.vma].label if f.vma is not None else "arch (F10)"}
        out = {}
        for key, dname in (("false", designs[0]), ("fixed", designs[1]),
                           ("false_d2b", d2b[0]), ("fixed_d2b", d2b[1])):
            _, res = fork(proc(), dname, f, walkers=False, keep_tree=False)
            out[key] = res
        sk = out["false"]
        d2 = out["false_d2b"]
        r["last"] = ""
        for a, b, c, lbl in d2.snapshot:
            if c == "child":
                r["last"] = lbl
        r["tables"] = sum(len(v) for v in d2.tables_before.values()) if d2.tables_before else 0
        r["triggered"] = sk.triggered
        r["leaked_false"] = out["false"].leaked_pgtables
        r["leaked_fixed"] = out["fixed"].leaked_pgtables
        r["leaked_false_d2b"] = out["false_d2b"].leaked_pgtables
        r["outcomes_false_d2b"] = out["false_d2b"].outcomes
        rows.append(r)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mapletree sweep",
                                description="Fail a fork design at every failure point.")
    p.add_argument("--design", default=None,
                   help="design name (e.g. 6.8-marker, 7.0-recovery, v2-marker, D1..D5); "
                        "default: every design")
    p.add_argument("--vmas", type=int, default=200, help="VMAs of the random process (200)")
    p.add_argument("--seed", type=int, default=0, help="layout seed (0)")
    p.add_argument("--json", action="store_true", help="print one JSON object per design")
    p.add_argument("--points", default=None, help="comma-separated points, e.g. F2,F9")
    p.add_argument("--every", type=int, default=1, help="every k-th VMA for loop points")
    p.add_argument("--reference", action="store_true", help="use the reference process (§5.6)")
    p.add_argument("--procmaps", default=None, help="build the parent from a maps file")
    p.add_argument("--rows", action="store_true", help="print the per-row table too")
    p.add_argument("--list", action="store_true", help="list the design names and exit")
    p.add_argument("--switch", action="append", default=[], metavar="NAME=VALUE",
                   help="override a design switch, e.g. false_ceiling=off (repeatable)")
    try:
        a = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    if a.list:
        print("\n".join(design_names()))
        return 0
    if a.vmas < 1:
        print("sweep: --vmas must be >= 1", file=sys.stderr)
        return 2
    proc = None
    if a.reference:
        proc = reference_process
    elif a.procmaps:
        try:
            with open(a.procmaps) as fh:
                text = fh.read()
            from_procmaps(text)
        except (OSError, ValueError) as e:
            print(f"sweep: {e}", file=sys.stderr)
            return 2
        proc = lambda: from_procmaps(text)      # noqa: E731
    points = tuple(x.strip() for x in a.points.split(",")) if a.points else None
    designs = [a.design] if a.design else list(MAIN_DESIGNS)
    switches = {}
    for item in a.switch:
        name, _, value = item.partition("=")
        v = value.strip().lower()
        switches[name.strip()] = (True if v in ("on", "true", "1", "yes") else
                                  False if v in ("off", "false", "0", "no") else value.strip())
    try:
        designs = [get_design(dn, **switches) for dn in designs]
    except UnknownDesignError as e:
        print(f"sweep: {e}", file=sys.stderr)
        return 2
    for dn in designs:
        res = run(dn, a.vmas, a.seed, proc, points, a.every)
        if a.json:
            print(json.dumps({"design": res["design"], "rows": res["rows"]}))
            continue
        if a.rows or a.design:
            print(format_rows(res))
        print(summary_line(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
