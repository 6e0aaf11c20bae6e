"""Random operations against a plain reference map of ranges; validate() after
every step; every injected allocation failure leaves the tree unchanged."""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from mapletree import (MM_MT_FLAGS, MT_FLAGS_ALLOC_RANGE, ULONG_MAX, XA_ZERO_ENTRY,
                       EntryExistsError, MapleTree, NodeAllocator, NoMemoryError, mt_dup,
                       tree_sha1)

SPACE = 400
idx = st.one_of(st.integers(0, SPACE), st.sampled_from([ULONG_MAX, ULONG_MAX - 1]))


class Reference:
    """A plain per-index map over [0, SPACE] and the two indices below ULONG_MAX
    (writes never end between SPACE and ULONG_MAX - 1)."""

    def __init__(self):
        self.cells = [None] * (SPACE + 1)
        self.tail = {}

    def store(self, a, b, v):
        for i in range(a, min(b, SPACE) + 1):
            self.cells[i] = v
        for k in (ULONG_MAX - 1, ULONG_MAX):
            if a <= k <= b:
                self.tail[k] = v

    def load(self, i):
        if i <= SPACE:
            return self.cells[i]
        return self.tail.get(i)


class TreeMachine(RuleBasedStateMachine):
    @initialize(flags=st.sampled_from([0, MT_FLAGS_ALLOC_RANGE, MM_MT_FLAGS]))
    def setup(self, flags):
        self.alloc = NodeAllocator()
        self.tree = MapleTree(flags, self.alloc)
        self.ref = Reference()
        self.value = 0

    def _b(self, a, b):
        return (a, b) if a <= b else (b, a)

    @rule(a=idx, b=idx)
    def store(self, a, b):
        a, b = self._b(a, b)
        if b > SPACE and b < ULONG_MAX - 1:
            b = SPACE
        self.value += 1
        self.tree.store_range(a, b, self.value)
        self.ref.store(a, b, self.value)

    @rule(a=idx, b=idx)
    def clear(self, a, b):
        a, b = self._b(a, b)
        if b > SPACE and b < ULONG_MAX - 1:
            b = SPACE
        self.tree.store_range(a, b, None)
        self.ref.store(a, b, None)

    @rule(i=idx)
    def erase(self, i):
        old = self.tree.load(i)
        rng = [(a, b) for a, b, e in self.tree.ranges() if a <= i <= b]
        got = self.tree.erase(i)
        assert got == old or (old is None and got is XA_ZERO_ENTRY)
        if rng and got is not None:
            self.ref.store(rng[0][0], rng[0][1], None)

    @rule(a=st.integers(0, SPACE), n=st.integers(0, 5))
    def insert(self, a, n):
        b = a + n
        self.value += 1
        occupied = any(self.ref.load(i) is not None for i in range(a, b + 1))
        try:
            self.tree.insert_range(a, b, self.value)
            assert not occupied
            self.ref.store(a, b, self.value)
        except EntryExistsError:
            assert occupied

    @rule(a=idx, b=idx, n=st.integers(1, 12), mode=st.sampled_from(["once", "from"]))
    def store_with_failure(self, a, b, n, mode):
        a, b = self._b(a, b)
        if b > SPACE and b < ULONG_MAX - 1:
            b = SPACE
        before = tree_sha1(self.tree)
        live_before = self.alloc.live
        self.value += 1
        try:
            with self.alloc.inject(mode, n, cap=3):
                self.tree.store_range(a, b, self.value)
            self.ref.store(a, b, self.value)
        except NoMemoryError:
            assert tree_sha1(self.tree) == before
            assert self.alloc.live == live_before

    @rule(n=st.integers(1, 6))
    def dup_with_failure(self, n):
        dst = MapleTree(self.tree.attr, self.alloc)
        before = tree_sha1(self.tree)
        live = self.alloc.live
        try:
            with self.alloc.inject("once", n):
                mt_dup(self.tree, dst)
            assert dst.to_dict() == self.tree.to_dict()
            dst.validate()
            dst.destroy()
        except NoMemoryError:
            assert dst.is_empty
        assert tree_sha1(self.tree) == before
        assert self.alloc.live == live

    @invariant()
    def valid_and_equal(self):
        if not hasattr(self, "tree"):
            return
        self.tree.validate()
        for i in range(0, SPACE + 1, 7):
            assert self.tree.load(i) == self.ref.load(i)
        for k in (ULONG_MAX - 1, ULONG_MAX):
            assert self.tree.load(k) == self.ref.load(k)
        assert self.alloc.live == self.tree.node_count()


TreeMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=60, deadline=None,
                                         suppress_health_check=list(HealthCheck))
TestTree = TreeMachine.TestCase
