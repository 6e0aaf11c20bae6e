"""Recorder, snapshots and frames."""

import glob
import json
import os

import pytest

from mapletree.viz.record import (EntrySnap, Interner, Recorder, describe_entry,
                                  frames_from_case, snapshot_from_dict, snapshot_tree)
from mapletree.core.entries import XA_ZERO_ENTRY

CONF = os.environ.get("MAPLETREE_CONFORMANCE", "/work/shared/conformance")


def test_describe_entry_roles():
    assert describe_entry(None).role == "null"
    z = describe_entry(XA_ZERO_ENTRY)
    assert (z.label, z.role) == ("XA_ZERO", "marker")
    assert describe_entry(7) == EntrySnap("7", "value", 7)
    assert describe_entry("zero").role == "marker"


def test_snapshot_from_dict_round_trips_every_hand_dump():
    files = sorted(glob.glob(os.path.join(CONF, "hand", "*.json")))
    if not files:
        pytest.skip("no golden cases")
    seen = 0
    for path in files:
        with open(path) as fh:
            case = json.load(fh)
        for step in case["steps"]:
            if "tree" in step:
                snap = snapshot_from_dict(step["tree"])
                assert snap.to_dict() == step["tree"], (path, step)
                seen += 1
    assert seen > 100


def test_snapshot_from_dict_rejects_garbage():
    with pytest.raises(TypeError):
        snapshot_from_dict([1, 2])
    with pytest.raises(ValueError):
        snapshot_from_dict({"flags": 0, "root": {"type": "leaf_64"}})


def test_interning_shares_unchanged_nodes(golden):
    frames = frames_from_case(golden("leaf_split_plain"))
    # after the split (step 9) the left leaf r.0 is no longer touched by appends on the right
    a, b = frames[14].trees[0].root, frames[15].trees[0].root
    assert a.slots[0] is b.slots[0]
    assert a.slots[1] is not b.slots[1]
    assert "r.1" in frames[15].modified and "r.0" not in frames[15].modified


def test_golden_split_frame_marks_new_nodes(golden):
    frames = frames_from_case(golden("leaf_split_plain"))
    split = [f for f in frames if f.kind == "split"]
    assert [f.info["step"] for f in split] == [9, 13, 16]
    f = split[0]
    assert f.trees[0].height == 2
    assert {"r.0", "r.1"} <= f.new


def _tree():
    from mapletree.core.tree import MapleTree
    return MapleTree()


def test_live_split_events_in_order():
    t = _tree()
    for k in range(1, 8):
        t.store_range(10 * k, 10 * k + 5, f"v{k}")
    old = t.root_node.nid
    with Recorder(t) as rec:
        t.store_range(80, 85, "v8")
    kinds = [f.kind for f in rec.frames]
    # begin → store type chosen → nodes preallocated → split → ... → end
    order = [kinds.index(k) for k in ("begin", "store_type", "alloc", "split")]
    assert order == sorted(order) and order[0] == 0 and kinds[-1] == "end"
    assert rec.frames[1].func == "mas_wr_store_type"
    assert rec.frames[1].info["store_type"] == "split_store"
    swap = next(f for f in rec.frames if old in f.freed)      # the new nodes go in
    assert swap.index > kinds.index("split")
    assert len(swap.new) == 3
    assert [g.node.nid for g in swap.ghosts] == [old]
    root = swap.trees[0].root
    assert root.type_name == "range_64" and len(root.slots) == 2
    assert [c.slots[1].label for c in root.slots] == ["v1", "v6"]
    # before the split, the walked leaf is the focus but unchanged
    split = kinds.index("split")
    assert rec.frames[split].focus == {old} and not rec.frames[split].modified
    assert rec.first("split") == split


def test_live_frames_share_snapshots():
    t = _tree()
    with Recorder(t) as rec:
        for k in range(1, 4):
            t.store_range(10 * k, 10 * k + 5, k)
    roots = [f.trees[0].root for f in rec.frames]
    # begin/store_type of one store and end of the previous show the same tree object
    ends = [i for i, f in enumerate(rec.frames) if f.kind == "end"]
    assert roots[ends[0]] is roots[ends[0] + 1]
    assert len({id(r) for r in roots}) <= len(ends) + 1


def test_recording_context_and_find():
    t = _tree()
    rec = Recorder()
    with rec.recording(t, names={t: "mine"}):
        t.store_range(5, 9, "x")
    assert rec.frames and all(f.trees[0].name == "mine" for f in rec.frames)
    assert rec.first("end") == len(rec.frames) - 1
    assert rec.first("no such thing") == 0


def test_snapshot_tree_matches_to_dict():
    t = _tree()
    for k in range(1, 30):
        t.store_range(10 * k, 10 * k + 5, k)
    snap = snapshot_tree(t, "t", Interner())
    assert snap.to_dict() == t.to_dict()


def _roles(tree):
    out = {}
    for node, _, _, _ in tree.nodes():
        if node.is_leaf:
            for s in node.slots:
                if not s.is_null:
                    out[s.label] = s.role
    return out


def test_dup_frames_copy_in_preorder():
    from mapletree import scenarios
    rec = scenarios.record("mt-dup")
    kinds = [f.kind for f in rec.frames]
    assert kinds == ["begin", "node_copy", "alloc", "node_copy", "node_copy", "end"]
    parent, child = (t.name for t in rec.frames[0].trees)
    assert (parent, child) == ("parent", "child")
    # while copying, the child's nodes are drawn before its root pointer is set
    mid = rec.frames[3]
    assert mid.trees[1].building and mid.trees[1].node_count() == 3
    assert len(mid.copied) == 1
    copied = [next(iter(f.copied)) for f in rec.frames if f.kind == "node_copy"]
    final = rec.frames[-1].trees[1]
    assert not final.building
    assert [n.nid for n, _, _, _ in final.nodes()] == copied          # pre-order
    assert final.to_dict() == rec.frames[-1].trees[0].to_dict()       # same shape and content
    # the parent never changes: one shared snapshot in every frame
    assert len({id(f.trees[0].root) for f in rec.frames}) == 1


def test_fork_failure_frames_marker_design():
    from mapletree import scenarios
    rec = scenarios.record("fork-fail-6.8-marker")
    kinds = [f.kind for f in rec.frames]
    fail = next(i for i, f in enumerate(rec.frames) if "fails" in f.text)
    marker = kinds.index("marker")
    first_teardown = kinds.index("teardown")
    assert kinds.index("node_copy") < fail < marker < first_teardown
    assert rec.frames[fail].func == "vm_area_dup"
    child = rec.frames[marker].trees[1]
    assert child.name == "child"
    roles = _roles(child)
    assert roles["XA_ZERO"] == "marker"
    assert [roles[v] for v in ("V0", "V1", "V2", "V3", "V5")] == ["child"] * 5
    assert roles["V7"] == roles["V8"] == "stale"
    assert "V4" not in roles and "V6" not in roles
    # right after __mt_dup every slot is a stale parent pointer, V4 is the DONTCOPY one
    after_dup = _roles(rec.frames[kinds.index("end")].trees[1])
    assert after_dup["V4"] == "dontcopy"
    assert {r for k, r in after_dup.items() if k != "V4"} == {"stale"}
    # teardown frees child VMAs (drawn torn down) but never writes the tree until destroy
    torn = _roles(rec.frames[first_teardown + 12].trees[1])
    assert torn["V0"] == "torn"
    assert kinds[-1] == "teardown"
    assert rec.frames[-1].trees[1].root is None


def test_fork_failure_frames_recovery_design():
    from mapletree import scenarios
    rec = scenarios.record("fork-fail-7.0-recovery")
    kinds = [f.kind for f in rec.frames]
    assert "marker" not in kinds
    fail = next(i for i, f in enumerate(rec.frames) if "fails" in f.text)
    assert all(k == "teardown" or k == "note" for k in kinds[fail + 1:])
    assert rec.frames[-1].trees[1].root is None
    assert any("dup_mmap" in f.chain for f in rec.frames[fail + 1:] if f.kind == "teardown")
