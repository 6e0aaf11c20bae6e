"""fork() itself: the success path, the parent's integrity, the snapshot at the failure
point, the race-window walkers, allocation-failure injection, trace events, the CLI."""

import json

import pytest

from mapletree import mm
from mapletree.core import trace
from mapletree.mm import sweep, walkers
from mapletree.mm.constants import MMF_OOM_SKIP, MMF_UNSTABLE, VM_DONTCOPY


@pytest.mark.parametrize("design", mm.MAIN_DESIGNS)
def test_success_child_is_parent_minus_dontcopy(design):
    p = mm.random_process(120, seed=2)
    want = [(v.start, v.last) for v in p.vmas() if not v.flags & VM_DONTCOPY]
    child, res = mm.fork(p, design)
    assert res.success and res.outcomes == ["CLEAN"] and res.problems == []
    got = list(child.tree.ranges())
    assert [(a, b) for a, b, _ in got] == want
    pv = {v.start: v for v in p.vmas()}
    for a, b, e in got:
        assert e.mm is child and e is not pv[a] and e.source is pv[a]
    assert child.map_count == len(want)
    assert child.tree.in_rcu
    assert all(c == "child" for _, _, c, _ in res.snapshot if c not in ("null",
                                                                         "dontcopy_cleared"))
    child.tree.validate()
    # and its normal exit frees everything
    res2 = mm.fork_and_exit(mm.random_process(120, seed=2), design)
    assert res2.outcomes == ["CLEAN"] and res2.leaked_nodes == 0


def test_dontcopy_ranges_are_classified():
    p = mm.reference_process()
    child, res = mm.fork(p, "6.8-marker", "F3@6")
    snap = [(a, b, c, lbl) for a, b, c, lbl in res.snapshot if c != "null"]
    assert snap == [
        (0x40_0000, 0x40_7FFF, "child", "V0"), (0x60_0000, 0x60_1FFF, "child", "V1"),
        (0x60_2000, 0x62_2FFF, "child", "V2"),
        (0x7F00_0000_0000, 0x7F00_000F_FFFF, "child", "V3"),
        (0x7F00_0010_0000, 0x7F00_0011_FFFF, "dontcopy_cleared", "V4"),
        (0x7F00_0012_0000, 0x7F00_0012_FFFF, "child", "V5"),
        (0x7F00_0040_0000, 0x7F00_0040_0FFF, "marker", "XA_ZERO_ENTRY over V6"),
        (0x7F00_8000_0000, 0x7F00_8000_1FFF, "stale", "V7"),
        (0x7FFD_FFFE_0000, 0x7FFD_FFFF_FFFF, "stale", "V8")]
    assert res.snapshot[0] == (0, 0x3F_FFFF, "null", "")
    assert res.snapshot[-1][1] == (1 << 64) - 1
    assert res.m == 5 and res.failed_at == "V6"
    assert res.tables_before["pte"] == [0x60_0000, 0x7F00_0000_0000]
    assert res.tables_left == {"pud": [], "pmd": [], "pte": []}
    assert len(res.tables_freed) == 6
    assert res.tree is not None and "root" in res.tree or isinstance(res.tree, dict)


@pytest.mark.parametrize("design", ["6.7-bulk", "v4-undo", "6.8-marker", "7.0-recovery"])
def test_parent_never_changes(design):
    p = mm.reference_process()
    before = (p.tree.to_dict(), p.fingerprint(), p.pgtables.tables(), dict(p.rss))
    for f in ["F1#1", "F3@2", "F5@5", "F7@3", "F9@7", "F9@8", "F10"]:
        child, res = mm.fork(p, design, f)
        assert res.parent_changed is False
    assert (p.tree.to_dict(), p.fingerprint(), p.pgtables.tables(), dict(p.rss)) == before
    assert all(not v.freed and v.in_rmap for v in p.vmas() if v.anon_vma or v.file)


def test_posted_v2_damages_the_parent():
    p = mm.reference_process()
    child, res = mm.fork(p, "v2-marker:posted", "F3@2")
    assert res.outcomes == ["PARENT_HIT", "BUG_COUNT"] and res.parent_changed
    assert res.stopped == "BUG_COUNT"
    freed = [v.label for v in p.vmas() if v.freed]
    assert freed == ["V2", "V3", "V4", "V5", "V6", "V7", "V8"]
    assert any("PARENT's" in text for _, _, text in res.events)


def test_marker_design_window_and_flags_by_version():
    p = mm.reference_process()
    _, r68 = mm.fork(p, "6.8-marker", "F3@6")
    assert r68.marker == (0x7F00_0040_0000, 0x7F00_0040_0FFF)
    assert r68.flags == [] and r68.walkers["swapoff"] == "misread"
    assert r68.walkers["oom_reaper"] == "misread" and r68.walkers["khugepaged"] == "misread"
    assert "XA_ZERO_ENTRY" in r68.walker_details["swapoff"]
    _, r612 = mm.fork(p, "6.12", "F3@6")
    assert r612.flags == ["MMF_OOM_SKIP", "MMF_UNSTABLE"]
    assert set(r612.walkers.values()) == {"backed_off"}
    _, r612f10 = mm.fork(p, "6.12", "F10")
    assert r612f10.flags == ["MMF_UNSTABLE"] and r612f10.walkers["oom_reaper"] == "ok"


def test_d4_some_walker_misreads_d5_none_and_empty_tree():
    res4 = sweep.run("6.8-marker", n=60, seed=3, points=("F3", "F9"))
    assert any("misread" in r["walkers"].values() for r in res4["rows"])
    p = mm.random_process(60, seed=3)
    for f in mm.enumerate_faults(p.vmas(), mm.get_design("7.0-recovery"), 3):
        child, res = mm.fork(p, "7.0-recovery", f, exit_on_failure=False)
        if not res.triggered:
            continue
        assert child.tree.is_empty and list(child.tree.ranges()) == []
        assert "misread" not in res.walkers.values()
        assert all(c == "null" for _, _, c, _ in res.snapshot if c != "dontcopy_cleared")
        if f.point not in ("F0", "F1"):
            assert child.test_flag(MMF_OOM_SKIP) and child.test_flag(MMF_UNSTABLE)


def test_uprobe_misreads_marker_adjacent_to_text():
    """A library's text VMA followed directly by F: find_mergeable_anon_vma loads the
    marker at the text's vm_end (the syzbot report fixed by 8ac662f5da19)."""
    p = mm.random_process(60, seed=3)
    vmas = p.vmas()
    i = next(k for k, v in enumerate(vmas) if v.file is not None and v.is_exec and
             k + 1 < len(vmas) and vmas[k + 1].start == v.end and
             not vmas[k + 1].flags & VM_DONTCOPY)
    _, res = mm.fork(p, "6.8-marker", mm.Fault("F3", i + 1))
    assert res.walkers["uprobe"] == "misread"
    _, res = mm.fork(p, "6.8-marker@6.12.117", mm.Fault("F3", i + 1))
    assert res.walkers["uprobe"] == "backed_off"


def test_walker_table_matches_notes():
    tab = walkers.table(designs=["6.7-bulk", "v2-marker:posted", "v4-undo", "6.8-marker",
                                 "6.8-marker@6.12.0", "6.8-marker@6.12.117", "7.0-recovery"],
                         n=30)
    worst = {d: {w: min(c, key=list(walkers.STATUSES).index) for w, c in cells.items() if c}
             for d, cells in tab.items()}
    assert set(worst["6.7-bulk"].values()) == {"ok"}
    assert set(worst["v2-marker:posted"].values()) - {"ok"} == {"misread"}
    assert set(worst["v4-undo"].values()) == {"empty"}
    assert worst["6.8-marker"]["swapoff"] == "misread"
    assert worst["6.8-marker@6.12.0"]["khugepaged"] == "backed_off"
    assert worst["6.8-marker@6.12.0"]["swapoff"] == "misread"
    assert worst["6.8-marker@6.12.117"]["swapoff"] == "backed_off"
    assert "misread" not in worst["7.0-recovery"].values()
    assert "| 6.8-marker |" in walkers.format_table(tab)


def test_dontcopy_clear_injection_uses_real_allocation_counts():
    p = mm.reference_process()
    _, res = mm.fork(p, "6.8-marker", ("clear", "from", 1))
    assert res.triggered is False and res.success          # exact fit: nothing to fail
    p = mm.reference_process(dontcopy_neighbour="gap")
    _, res = mm.fork(p, "6.8-marker", ("clear", "from", 1))
    assert res.triggered and res.marker == (0x7F00_0011_0000, 0x7F00_0012_FFFF)
    # transient pressure: the one-shot GFP_NOWAIT store of v2 fails, mas_store_gfp retries
    _, a = mm.fork(p, "v2-marker:posted", mm.Fault("F2", 4, 1, "transient"))
    _, b = mm.fork(p, "6.8-marker", mm.Fault("F2", 4, 1, "transient"))
    assert (a.triggered, a.outcomes) == (True, ["CRASH_ZERO"])
    assert (b.triggered, b.success) == (False, True)
    _, a = mm.fork(p, "v2-marker:posted", mm.Fault("F1", None, 1, "transient"))
    _, b = mm.fork(p, "7.0-recovery", mm.Fault("F1", None, 1, "transient"))
    assert a.retval == -12 and b.retval == 0


def test_mt_dup_failure_at_every_allocation_leaves_an_empty_tree():
    p = mm.random_process(150, seed=1)
    n = p.tree.node_count()
    live = p.kernel.alloc.live
    for k in range(1, n + 1):
        child, res = mm.fork(p, "6.8-marker", f"F1#{k}", walkers=False)
        assert res.triggered and res.retval == -12 and child.tree.is_empty
        assert res.outcomes == ["CLEAN"] and p.kernel.alloc.live == live
    child, res = mm.fork(p, "6.8-marker", f"F1#{n + 1}")
    assert res.success


class _Tracer:
    def __init__(self):
        self.events = []

    def event(self, kind, func, text, *, chain, trees, nodes, info):
        self.events.append((kind, func, text, chain, info))


def test_trace_events_one_per_vma_and_per_cleanup_action():
    p = mm.reference_process()
    t = _Tracer()
    with trace.tracing(t):
        child, res = mm.fork(p, "6.8-marker", "F3@6")
    mine = [e for e in t.events if e[0] in ("fork", "marker", "teardown", "note")]
    loop = [e for e in mine if e[0] == "fork" and "vma" in e[4]]
    assert [e[4]["vma"] for e in loop] == ["V0", "V1", "V2", "V3", "V4", "V5", "V6"]
    assert loop[-1][4].get("failure") is True
    assert [e[1] for e in mine if e[0] == "marker"] == ["dup_mmap"]
    td = [e for e in mine if e[0] == "teardown"]
    funcs = [e[1] for e in td]
    assert funcs.count("unmap_single_vma") == 5 and funcs.count("remove_vma") == 5
    assert "free_pgd_range" in funcs and funcs[-1] == "mmdrop"
    assert all(e[2].endswith(".") for e in mine)
    assert any("exit_mmap" in e[3] for e in td)
    # the core's own events (node_copy inside __mt_dup) are interleaved
    assert any(e[0] == "node_copy" for e in t.events)


def test_sweep_cli_json(capsys):
    from mapletree.__main__ import main
    assert main(["sweep", "--design", "7.0-recovery", "--reference", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["design"] == "7.0-recovery" and len(out["rows"]) >= 40
    row = out["rows"][3]
    assert set(row) >= {"failure_point", "outcomes", "leaked_vmas", "leaked_nodes",
                        "leaked_pgtables", "committed_delta", "parent_changed", "walkers"}
    assert set(row["walkers"]) == set(walkers.WALKERS)
    assert all(r["outcomes"] == ["CLEAN"] for r in out["rows"])
    assert main(["sweep", "--design", "6.8-marker", "--vmas", "30", "--every", "10"]) == 0
    text = capsys.readouterr().out
    assert text.strip().splitlines()[-1].startswith("6.8-marker: 30 VMAs, ")
    assert main(["sweep", "--design", "nope"]) == 2
    assert "unknown design" in capsys.readouterr().err


@pytest.mark.parametrize("design", ["v2-marker", "v4-undo", "6.8-marker", "7.0-recovery"])
def test_error_paths_need_no_memory(design):
    """Invariant 9: after the first failure no step of the cleanup allocates a node."""
    p = mm.reference_process(dontcopy_neighbour="gap")
    for f in ["F2@4", "F3@0", "F3@6", "F7@3", "F9@2", "F9@8", "F10"]:
        _, res = mm.fork(p, design, f, walkers=False)
        assert res.triggered and res.cleanup_allocs == 0, (f, res)


def test_thread_point_7_tail_trim_needs_memory():
    p = mm.random_process(200, seed=0)
    got = mm.tail_trim_cost(p, 100)
    h = p.tree.height
    assert got["store_type"] == "spanning_store" and 0 < got["nodes_allocated"] <= 3 * h + 1
    assert got["marker_nodes"] == 0 and got["marker_store_type"] == "exact_fit"
    assert got["destroy_nodes_freed"] == got["tree_nodes"] == p.tree.node_count()
