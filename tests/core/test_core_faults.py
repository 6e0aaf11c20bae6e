"""Fault injection at every allocation attempt of sampled golden steps: the
operation fails cleanly (tree unchanged, nothing leaked) or succeeds exactly
as without the fault."""

import glob
import os

import pytest

from mapletree.conformance import Replayer, load_case
from mapletree.core.dump import tree_sha1

VECTORS = os.path.join(os.path.dirname(__file__), "..", "conformance", "vectors")
SAMPLE = [os.path.join(VECTORS, "hand", n) for n in (
    "leaf_split_alloc.json.xz", "spanning_store_mm.json.xz", "rebalance_after_erases_mm.json.xz",
    "clear_between_gaps_mm_rcu.json.xz", "dup_variants.json.xz", "multi_level_growth_mm.json.xz")]

STORE_OPS = {"store", "store_null", "clear", "mas_store", "erase", "insert", "dup", "mtree_dup"}


def _steps(path, limit=25):
    data = load_case(path)
    picked = [i for i, (op, st) in enumerate(zip(data["ops"], data["steps"]))
              if op["op"] in STORE_OPS and st.get("allocated", 0) > 0]
    step = max(1, len(picked) // limit)
    return data, picked[::step][:limit]


@pytest.mark.parametrize("path", SAMPLE, ids=os.path.basename)
def test_every_attempt_fails_cleanly(path):
    data, picked = _steps(path)
    assert picked
    for target in picked:
        golden = data["steps"][target]
        for n in range(1, golden["allocated"] + 2):
            rp = Replayer()
            for op in data["ops"][:target]:
                rp.run(op)
            op = dict(data["ops"][target])
            trees = {k: tree_sha1(t) for k, t in rp.trees.items()}
            live = rp.alloc.live
            op["fail"] = {"mode": "once", "n": n}
            got = rp.run(op)
            for t in rp.trees.values():
                t.validate()
            if got["ret"] in (-12,) or (op["op"] == "erase" and got["allocated"] == 0
                                        and golden["allocated"]):
                assert {k: tree_sha1(t) for k, t in rp.trees.items()} == trees
                assert rp.alloc.live == live
            else:
                assert got["tree_sha1"] == golden["tree_sha1"], (target, n)
                assert rp.alloc.live == sum(t.node_count() for t in rp.trees.values())
