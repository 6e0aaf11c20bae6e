"""The outcome matrix of the fork notes (§6.2), reproduced row by row by the sweep.

Each row of a sweep is checked against the matrix cell for its design, failure point and
m (child VMAs installed when dup_mmap returned). Where the model knows more than the
matrix, the comment at the rule says which side is right and why.
"""

import functools

import pytest

from mapletree import mm
from mapletree.mm import sweep
from mapletree.mm.builders import ANON_RW
from mapletree.mm.constants import PAGE_SIZE, VM_ACCOUNT, VM_DONTCOPY

PARENT_SAFE = ("6.7-bulk", "v4-undo", "6.8-marker", "7.0-recovery")


def point(row):
    return row["failure_point"].split("@")[0].split("#")[0]


def expected(design, row, vma):
    """The §6.2 cell for this row, as (required codes, allowed extra codes)."""
    p, m = point(row), row["m"]
    if p in ("F0", "F1"):
        return {"CLEAN"}, set()
    if design == "6.7-bulk":
        if p == "F8":
            # theoretical: tmp stays on the file's i_mmap tree after being freed
            return ({"DANGLING_RMAP"} if vma.file is not None else {"CLEAN"}), set()
        return {"CLEAN"}, set()
    if design == "v2-marker:posted":
        if p == "F2":
            return ({"LEAK_NODES"} if m == 0 else {"CRASH_ZERO"}), set()
        if p == "F9" and row["entries_after"] == 0:
            return {"CLEAN"}, set()
        if p == "F10":
            return {"CLEAN"}, set()
        return {"PARENT_HIT", "BUG_COUNT"}, set()
    if design == "v2-marker":
        if p == "F10":
            return {"CLEAN"}, set()
        if p == "F9":
            need = {"LEAK_VMA", "DANGLING_RMAP"}
            if vma.flags & VM_ACCOUNT:
                need.add("LEAK_COMMIT")
            if vma.resident > 1:
                need.add("LEAK_RSS")
            # m counts tmp: teardown counts m - 1; with nothing before tmp the early
            # return skips the count check and leaks the nodes instead
            need.add("LEAK_NODES" if m == 1 else "BUG_COUNT")
            return need, {"LEAK_PGT", "LEAK_RSS"}
        if m == 0:
            return {"LEAK_NODES"}, set()
        return set(), {"LEAK_PGT"}
    if design == "v4-undo:sketch":
        # the sketch covers F2 only; the model extends it to every loop failure
        # (§5.6 does the same for F3): LEAK_PGT(0-3) with m >= 1, clean with m = 0
        if m == 0 or p == "F10":
            return {"CLEAN"}, set()
        return set(), {"LEAK_PGT"}
    if design == "v4-undo":
        if (p == "F9" and row["entries_after"] == 0) or p == "F10":
            # [reading] tree_end stays 0: unmap_vmas zaps nothing, free_pgtables frees
            # tables with their PTEs present -> LEAK_RSS
            return {"LEAK_RSS"}, set()
        return {"CLEAN"}, set()
    return {"CLEAN"}, set()          # 6.8-marker and 7.0-recovery: clean everywhere


def check_rows(design, result, vmas):
    fired = [r for r in result["rows"] if r["triggered"]]
    assert fired, "no fault fired"
    for r in fired:
        vma = vmas[int(r["failure_point"].split("@")[1])] if "@" in r["failure_point"] else None
        need, extra = expected(design, r, vma)
        got = set(r["outcomes"])
        if not need and got == {"CLEAN"}:
            continue
        assert need <= got <= need | extra, (design, r)
        if "LEAK_PGT" in got and point(r) != "F9":
            assert 1 <= r["leaked_pgtables"] <= 3, r
        if design in PARENT_SAFE:
            assert r["parent_changed"] is False, r
        if design == "v2-marker:posted":
            assert r["parent_changed"] == ("PARENT_HIT" in got), r
    return fired


@pytest.mark.parametrize("design", mm.MAIN_DESIGNS)
def test_reference_process_every_point(design):
    res = sweep.run(design, proc=mm.reference_process)
    vmas = mm.reference_process().vmas()
    fired = check_rows(design, res, vmas)
    # F2 cannot fire at V4 of the §5.6 layout: its clear is an exact fit (no allocation)
    f2 = [r for r in res["rows"] if point(r) == "F2"]
    if design != "6.7-bulk":
        assert [r["triggered"] for r in f2] == [False]
    assert res["success"]["outcomes"] == ["CLEAN"]
    assert len(fired) >= 40


@pytest.mark.parametrize("design", mm.MAIN_DESIGNS)
def test_dontcopy_clear_failure_m_ge_1(design):
    """F2 with m >= 1: the gap variant makes V4's NULL store allocate."""
    p = mm.reference_process(dontcopy_neighbour="gap")
    child, res = mm.fork(p, design, "F2@4")
    if design == "6.7-bulk":
        assert res.triggered is False and res.success     # D1 has no tree op for DONTCOPY
        return
    assert res.triggered and res.m == 4
    want = {"v2-marker:posted": ["CRASH_ZERO"], "v2-marker": ["LEAK_PGT"],
            "v4-undo:sketch": ["LEAK_PGT"]}.get(design, ["CLEAN"])
    assert res.outcomes == want
    if want == ["LEAK_PGT"]:
        # §5.6 row V4 (F2): L = V3, e - 1 and f share a 2 MiB block -> 3 pages
        assert res.leaked_pgtables == 3


@functools.lru_cache(maxsize=None)
def _m0_layout():
    """12 VMAs with one-page holes; V0 and V1 DONTCOPY: V1's clear allocates, m = 0."""
    ranges, a = [], 0x10_0000
    for i in range(12):
        ranges.append((a, a + 4 * PAGE_SIZE, ANON_RW | (VM_DONTCOPY if i <= 1 else 0)))
        a += 5 * PAGE_SIZE
    return ranges


@pytest.mark.parametrize("design, want", [
    ("v2-marker:posted", ["LEAK_NODES"]), ("v2-marker", ["LEAK_NODES"]),
    ("v4-undo:sketch", ["CLEAN"]), ("v4-undo", ["CLEAN"]), ("6.8-marker", ["CLEAN"]),
    ("7.0-recovery", ["CLEAN"])])
def test_dontcopy_clear_failure_m_0(design, want):
    p = mm.from_ranges(_m0_layout())
    child, res = mm.fork(p, design, "F2@1")
    assert res.triggered and res.m == 0
    assert res.outcomes == want
    if want == ["LEAK_NODES"]:
        assert res.leaked_nodes == p.tree.node_count()   # the whole cloned tree


@pytest.mark.parametrize("design", mm.MAIN_DESIGNS)
def test_random_200_vma_sweep(design):
    """A 200-VMA process for every design (loop points sampled at every 40th VMA, all
    F2 points, the first F1 allocations, F0 and F10)."""
    res = sweep.run(design, n=200, seed=0, every=40)
    vmas = mm.random_process(200, 0).vmas()
    check_rows(design, res, vmas)
    f2 = sweep.run(design, n=200, seed=0, points=("F2",), walkers=False)
    check_rows(design, f2, vmas) if design != "6.7-bulk" else None
    if design != "6.7-bulk":
        assert any(r["triggered"] for r in f2["rows"])
        assert any(not r["triggered"] for r in f2["rows"])     # exact-fit clears


def test_false_ceiling_table_matches_notes():
    """§5.6: leaked table pages per failing VMA with the false ceiling, 0 when fixed.

    V4 is F2 in the notes; in this layout its clear cannot fail (exact fit), so the
    row did not fire; the gap variant reproduces it (test_dontcopy_clear_failure_m_ge_1).
    """
    rows = sweep.false_ceiling_table()
    got = {r["fails_at"]: (r["leaked_false"], r["leaked_fixed"]) for r in rows}
    assert got == {"V0": (0, 0), "V1": (0, 0), "V2": (3, 0), "V3": (0, 0), "V4": (0, 0),
                   "V5": (3, 0), "V6": (2, 0), "V7": (1, 0), "V8": (0, 0),
                   "arch (F10)": (0, 0)}
    tables = {r["fails_at"]: r["tables"] for r in rows}
    assert tables == {"V0": 0, "V1": 0, "V2": 3, "V3": 3, "V4": 12, "V5": 6, "V6": 6,
                      "V7": 7, "V8": 9, "arch (F10)": 12}
    assert rows[0]["outcomes_false_d2b"] == ["LEAK_NODES"]
    assert [r["triggered"] for r in rows if r["fails_at"] == "V4"] == [False]


@pytest.mark.parametrize("design", ["D2b-fixed", "D3s-fixed"])
def test_fixed_switches_are_clean_like_d4(design):
    """§3.2: with every switch at its fixed value D2b behaves like D4 as merged; the
    sketch with a separate search limit (v4's fix) is clean too."""
    res = sweep.run(design, proc=mm.reference_process, walkers=False)
    assert all(r["outcomes"] == ["CLEAN"] for r in res["rows"])
    _, r = mm.fork(mm.reference_process(dontcopy_neighbour="gap"), design, "F2@4")
    assert r.triggered and r.outcomes == ["CLEAN"]


def test_single_switch_false_ceiling():
    d = mm.get_design("v2-marker", false_ceiling=False)
    _, r = mm.fork(mm.reference_process(), d, "F3@2")
    assert r.outcomes == ["CLEAN"]
    _, r = mm.fork(mm.reference_process(), "v2-marker", "F3@2")
    assert r.outcomes == ["LEAK_PGT"] and r.leaked_pgtables == 3
    assert r.tables_left == {"pud": [0], "pmd": [0], "pte": [0x60_0000]}
