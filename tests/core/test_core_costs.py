"""Node counts of the kernel cost workloads (bench/kernel_costs_6.12.json) at small N:
the source tree, the one-store-per-range copy and the 6.1-6.7 bulk copy."""

import json
import os
import sys

import pytest

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))

from bench_core import run_point  # noqa: E402

with open(os.path.join(HERE, "..", "..", "bench", "kernel_costs_6.12.json")) as f:
    KERNEL = {r["n"]: r for r in json.load(f)["results"]}

FIELDS = ("src_nodes", "src_height", "dup_nodes_allocated", "insert_nodes_allocated",
          "insert_nodes_freed", "insert_nodes_final", "bulk_nodes_allocated",
          "bulk_nodes_freed", "bulk_nodes_final")


@pytest.mark.parametrize("n", [10, 100])
def test_node_counts_match_the_kernel(n):
    got = run_point(n, quick=True)
    want = KERNEL[n]
    assert {k: got[k] for k in FIELDS if k in got} == {k: want[k] for k in FIELDS if k in got}
