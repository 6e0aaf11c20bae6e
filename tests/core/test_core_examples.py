"""The worked examples of the 6.12 behaviour (exact layouts, types, counts)."""

import pytest

from mapletree import (MM_MT_FLAGS, MT_FLAGS_ALLOC_RANGE, MT_FLAGS_USE_RCU, ULONG_MAX,
                       XA_ZERO_ENTRY, EntryExistsError, MapleTree, NodeAllocator, mt_dup)
from mapletree.core.dump import entry_to_json

MAX = ULONG_MAX


def seq(t, n, start=1):
    for k in range(start, n + 1):
        t.store_range(10 * k, 10 * k + 5, k)
        t.validate()
    return t


def leaf(t, node=None):
    """[(first, last, entry)] of a leaf given as dict."""
    d = node or t.to_dict()["root"]
    out, a = [], d["min"]
    for i, s in enumerate(d["slots"]):
        b = d["pivots"][i] if i < d["end"] else d["max"]
        out.append((a, b, entry_to_json(s) if not isinstance(s, (int, type(None), str)) else s))
        a = b + 1
    return out


def test_root_entry_and_expansion():
    t = MapleTree()
    t.store(0, 7)
    assert t.to_dict() == {"flags": 0, "height": 0, "root": {"entry": 7}}
    t.store_range(1, 5, 2)
    assert t.height == 1
    assert leaf(t) == [(0, 0, 7), (1, 5, 2), (6, MAX, None)]


def test_nodes_never_collapse_and_erase_to_empty():
    t = MapleTree()
    t.store(0, 4)
    t.store(3, 5)
    t.store(3, None)
    assert leaf(t) == [(0, 0, 4), (1, MAX, None)]
    assert t.erase(0) == 4
    assert t.root is None and t.height == 0 and t.flags == 0


def test_zero_entry_at_index_0_needs_a_leaf():
    t = MapleTree()
    t.state(0, 0).store_gfp(XA_ZERO_ENTRY)
    assert t.last_store_type == "store_root"
    assert t.height == 1
    assert leaf(t) == [(0, 0, "zero"), (1, MAX, None)]
    assert t.load(0) is None
    mas = t.state(0)
    assert mas.walk() is XA_ZERO_ENTRY and (mas.index, mas.last) == (0, 0)


def test_small_root_leaf_is_always_node_store():
    t = MapleTree()
    t.store(0, 4)
    t.store(3, 5)
    t.store_range(10, 19, 6)
    assert t.last_store_type == "node_store"
    t.store_range(20, MAX, 7)
    assert t.last_store_type == "exact_fit"


def test_append_and_slot_store():
    t = seq(MapleTree(), 3)
    t.store_range(40, 45, 4)
    assert t.last_store_type == "append"
    t.store_range(50, MAX, 5)
    assert t.last_store_type == "append"
    t.store_range(12, 21, 9)
    assert t.last_store_type == "slot_store"
    t.store_range(16, 30, 7)
    assert t.last_store_type == "node_store"
    assert leaf(t) == [(0, 9, None), (10, 11, 1), (12, 15, 9), (16, 30, 7), (31, 35, 3),
                       (36, 39, None), (40, 45, 4), (46, 49, None), (50, MAX, 5)]


def test_first_split_avoids_ending_on_null():
    a = NodeAllocator()
    t = seq(MapleTree(0, a), 7)
    before = a.allocated, a.freed
    t.store_range(80, 85, 8)
    assert t.last_store_type == "split_store"
    assert (a.allocated - before[0], a.freed - before[1]) == (3, 1)  # 2h+1 = 3 requested
    root = t.to_dict()["root"]
    assert root["type"] == "range_64" and root["pivots"] == [55]
    left, right = root["slots"]
    assert (left["end"], right["end"]) == (9, 6)
    assert leaf(t, right)[-2:] == [(80, 85, 8), (86, MAX, None)]


def test_push_left_fills_a_leaf():
    t = seq(MapleTree(), 20)
    root = t.to_dict()["root"]
    assert root["pivots"] == [85, 135]
    assert [c["end"] for c in root["slots"]] == [15, 9, 14]


def test_root_split_grows_height_to_3():
    t = seq(MapleTree(), 127)
    assert t.height == 2
    t.store_range(1280, 1285, 128)
    assert t.last_store_type == "split_store"
    root = t.to_dict()["root"]
    assert t.height == 3 and root["pivots"] == [725]
    assert root["slots"][0]["pivots"] == [85, 165, 245, 325, 405, 485, 565, 645]
    assert root["slots"][1]["pivots"] == [805, 885, 965, 1045, 1125, 1205, 1255]


def test_alloc_tree_gaps():
    t = seq(MapleTree(MT_FLAGS_ALLOC_RANGE), 10)
    root = t.to_dict()["root"]
    assert root["type"] == "arange_64"
    assert root["gaps"] == [10, MAX - 105] and root["meta_gap"] == 1
    assert t.flags == 0x9


def test_rebalance_after_erases():
    t = seq(MapleTree(), 20)
    t.erase(90)
    assert t.last_store_type == "node_store"
    t.erase(100)
    assert t.last_store_type == "rebalance"
    root = t.to_dict()["root"]
    assert root["pivots"] == [85, 165]
    assert [c["end"] for c in root["slots"]] == [15, 11, 8]


@pytest.mark.parametrize("first,last,pivots,ends", [
    (85, 88, [75, 135], [13, 11, 14]),       # spanning NULL store
    (50, 150, [155], [10, 10]),              # spanning value store drops a leaf
])
def test_spanning_stores(first, last, pivots, ends):
    a = NodeAllocator()
    t = seq(MapleTree(0, a), 20)
    before = a.allocated
    t.store_range(first, last, None if last == 88 else 99)
    assert t.last_store_type == "spanning_store"
    assert a.allocated - before == 7          # 3h+1 requested at height 2
    root = t.to_dict()["root"]
    assert root["pivots"] == pivots
    assert [c["end"] for c in root["slots"]] == ends
    t.validate()


def test_erase_inside_range_splits_with_push_right():
    t = seq(MapleTree(), 20)
    t.store(42, None)
    assert t.last_store_type == "split_store"
    assert t.to_dict()["root"]["pivots"] == [65, 135]


def test_height_shrinks_through_rebalance():
    t = seq(MapleTree(MT_FLAGS_ALLOC_RANGE), 8)
    t.store(55, None)
    assert t.last_store_type == "spanning_store"
    t.store_range(16, 49, None)
    assert t.last_store_type == "rebalance"
    assert t.height == 1 and t.flags == 0x5


def test_rcu_changes_the_type_not_the_layout():
    plain = seq(MapleTree(), 20)
    rcu = seq(MapleTree(MT_FLAGS_USE_RCU), 20)
    for t, want in ((plain, "append"), (rcu, "node_store")):
        t.store_range(206, 300, 77)
        assert t.last_store_type == want
    plain_d, rcu_d = plain.to_dict(), rcu.to_dict()
    rcu_d["flags"] &= ~MT_FLAGS_USE_RCU
    assert plain_d == rcu_d


def test_dup_then_zero_marker_is_an_exact_fit():
    a = NodeAllocator()
    src = seq(MapleTree(MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU, a), 12)
    dst = MapleTree(MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU, a)
    before = a.allocated
    mt_dup(src, dst)
    assert a.allocated - before == src.node_count() == 3
    assert dst.to_dict() == src.to_dict() and dst.flags == 0xB
    mas = dst.state(70, 75)
    mas.store(XA_ZERO_ENTRY)
    assert dst.last_store_type == "exact_fit"
    assert dst.load(72) is None
    assert dst.state(72).walk() is XA_ZERO_ENTRY


def test_gap_search():
    t = seq(MapleTree(MT_FLAGS_ALLOC_RANGE), 10)
    mas = t.state()
    assert mas.empty_area(0, MAX, 4) == 0 and mas.last == 3
    assert mas.empty_area(12, MAX, 3) == 16
    with pytest.raises(LookupError):
        mas.empty_area(0, 100, 11)
    assert mas.empty_area_rev(0, 100, 4) == 96
    assert mas.empty_area_rev(0, 100, 5) == 5
    assert mas.empty_area_rev(0, MAX, 5) == MAX - 4
    e = MapleTree(MT_FLAGS_ALLOC_RANGE)
    assert e.state().empty_area(0, MAX, 5) == 0
    assert e.state().empty_area_rev(0, 1000, 5) == 996
    e.store(0, 1)
    assert e.state().empty_area(0, MAX, 5) == 1


def test_insert_conflicts():
    t = MapleTree()
    t.store(0, 4)
    t.store(3, 5)
    t.insert(1, 3)
    assert leaf(t) == [(0, 0, 4), (1, 1, 3), (2, 2, None), (3, 3, 5), (4, MAX, None)]
    with pytest.raises(EntryExistsError) as ei:
        t.insert(1, 3)
    assert ei.value.errno == 17
    with pytest.raises(EntryExistsError):
        t.insert_range(2, 9, 3)


def test_exact_fit_null_keeps_a_one_slot_leaf():
    t = MapleTree()
    t.store_range(0, MAX, 2)
    t.store_range(0, MAX, None)
    assert t.last_store_type == "exact_fit"
    assert t.height == 1 and not t.is_empty
    t.store(5, 3)
    assert leaf(t) == [(0, 4, None), (5, 5, 3), (6, MAX, None)]


def test_mm_flags_and_iteration():
    t = MapleTree(MM_MT_FLAGS)
    for k in range(1, 40):
        t.store_range(k * 0x1000, k * 0x1000 + 0x7ff, k)
    mas = t.state(0)
    got = []
    while (e := mas.find()) is not None:
        got.append((mas.index, e))
    assert got == [(k * 0x1000, k) for k in range(1, 40)]
    mas = t.state(5 * 0x1000 + 10)
    assert mas.next() == 6 and mas.prev() == 5
    assert mas.find_rev(0) is not None
    t.validate()
