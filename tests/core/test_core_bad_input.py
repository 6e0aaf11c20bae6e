"""Bad input raises a specific exception with a clear message and changes nothing."""

import pytest

from mapletree import (ULONG_MAX, XA_ZERO_ENTRY, DumpFormatError, FlagsMismatchError,
                       InternalEntry, InvalidRangeError, MapleTree, MapleTypeError,
                       MapleValueError, MM_MT_FLAGS, ReservedEntryError, mt_dup, tree_sha1)


@pytest.fixture
def tree():
    t = MapleTree(MM_MT_FLAGS)
    for k in range(1, 30):
        t.store_range(10 * k, 10 * k + 5, k)
    return t


@pytest.mark.parametrize("call,exc,words", [
    (lambda t: t.store_range(5, 4, 1), InvalidRangeError, "first (5) > last (4)"),
    (lambda t: t.store_range(-1, 4, 1), InvalidRangeError, "negative"),
    (lambda t: t.store_range(0, ULONG_MAX + 1, 1), InvalidRangeError, "above ULONG_MAX"),
    (lambda t: t.store_range(1.0, 4, 1), MapleTypeError, "must be an int"),
    (lambda t: t.store_range(True, 4, 1), MapleTypeError, "must be an int"),
    (lambda t: t.store("3", 1), MapleTypeError, "must be an int"),
    (lambda t: t.load(None), MapleTypeError, "must be an int"),
    (lambda t: t.erase(-3), InvalidRangeError, "negative"),
    (lambda t: t.insert_range(9, 2, 1), InvalidRangeError, "first (9) > last (2)"),
    (lambda t: t.store(3, InternalEntry(256)), ReservedEntryError, "reserved internal entry"),
    (lambda t: t.store(3, InternalEntry(5)), ReservedEntryError, "reserved internal entry"),
    (lambda t: t.state(4, 2), InvalidRangeError, "first (4) > last (2)"),
    (lambda t: t.state().empty_area(10, 5, 1), MapleValueError, "min (10) > max (5)"),
    (lambda t: t.state().empty_area(0, 5, 0), InvalidRangeError, "size must be at least 1"),
    (lambda t: t.state().empty_area(0, 5, 10), MapleValueError, "smaller than size"),
    (lambda t: mt_dup(t, MapleTree(0)), FlagsMismatchError, "attributes differ"),
    (lambda t: mt_dup(t, t), FlagsMismatchError, "same tree"),
    (lambda t: MapleTree(0x10000), MapleValueError, "flag"),
])
def test_bad_input_changes_nothing(tree, call, exc, words):
    before = tree_sha1(tree)
    with pytest.raises(exc) as ei:
        call(tree)
    assert words in str(ei.value)
    assert tree_sha1(tree) == before
    tree.validate()


def test_exceptions_subclass_builtins():
    assert issubclass(InvalidRangeError, ValueError)
    assert issubclass(MapleTypeError, TypeError)
    assert issubclass(DumpFormatError, ValueError)


def test_zero_entry_allowed_through_normal_api(tree):
    tree.store_range(10, 15, XA_ZERO_ENTRY)
    assert tree.load(12) is None
    assert tree.state(12).walk() is XA_ZERO_ENTRY


def test_dup_into_non_empty_tree(tree):
    dst = MapleTree(MM_MT_FLAGS)
    dst.store(5, 1)
    before = tree_sha1(dst)
    with pytest.raises(FlagsMismatchError, match="not empty"):
        mt_dup(tree, dst)
    assert tree_sha1(dst) == before


@pytest.mark.parametrize("mutate,words", [
    (lambda d: d.pop("root"), "missing key 'root'"),
    (lambda d: d.update(height=5), "height 5 disagrees"),
    (lambda d: d["root"].update(type="bogus"), "unknown or unsupported node type"),
    (lambda d: d["root"]["pivots"].reverse(), "not increasing"),
    (lambda d: d["root"]["slots"].pop(), "needs"),
    (lambda d: d["root"]["slots"][0].update(slots=[1.5] * (d["root"]["slots"][0]["end"] + 1)),
     "not a valid entry"),
    (lambda d: d["root"].update(meta_gap=99), "meta_gap"),
])
def test_malformed_dump(tree, mutate, words):
    good = tree.to_dict()
    assert MapleTree.from_dict(good).to_dict() == good
    import copy
    bad = copy.deepcopy(good)
    mutate(bad)
    with pytest.raises(DumpFormatError, match=None) as ei:
        MapleTree.from_dict(bad)
    assert words in str(ei.value)


def test_from_dict_rejects_non_dict():
    with pytest.raises(DumpFormatError, match="must be an object"):
        MapleTree.from_dict([1, 2])
