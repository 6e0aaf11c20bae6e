"""The node allocator: accounting and fault injection (the maple_node kmem_cache).

Mirrors the slab calls lib/maple_tree.c makes: ``mt_alloc_one`` (one attempt),
``mt_alloc_bulk`` (all or nothing, one attempt per element), ``mt_free_one`` /
``mt_free_bulk`` and the RCU-deferred ``ma_free_rcu``.
"""

from contextlib import contextmanager

from .errors import MapleValueError
from .node import Node

GFP_KERNEL = "kernel"
GFP_NOWAIT = "nowait"


class NodeAllocator:
    """Counts node allocations and frees, and injects failures.

    Methods by purpose:

    * accounting: ``allocated``, ``freed``, ``freed_rcu``, ``live`` -- O(1)
    * fault injection: :meth:`inject` (context manager), :meth:`arm`,
      :meth:`disarm` -- O(1); ``attempts``, ``failed``, ``cap_hit`` report what
      happened since arming
    * used by the core: :meth:`alloc_one`, :meth:`alloc_bulk`, :meth:`free`,
      :meth:`new_node` -- O(1) per node

    ``allocated`` counts every successful object allocation (a bulk of n counts
    n), including worst-case preallocations later handed back; ``freed``
    counts every object returned, RCU-deferred ones included.
    """

    def __init__(self):
        self.allocated = 0
        self.freed = 0
        self.freed_rcu = 0
        self._nid = 0x1000
        self._armed = None
        self.attempts = 0
        self.failed = 0
        self.cap_hit = False

    @property
    def live(self):
        """Nodes allocated and not yet freed."""
        return self.allocated - self.freed

    # --- fault injection ------------------------------------------------------
    def arm(self, mode, n, cap=1000, only_nowait=False):
        """Fail allocation attempt ``n`` ("once") or every attempt from ``n`` on
        ("from", until ``cap`` failures were injected). Attempts are counted
        from this call, starting at 1; each bulk element is one attempt."""
        if mode not in ("once", "from"):
            raise MapleValueError(f"fault mode must be 'once' or 'from', not {mode!r}")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise MapleValueError(f"fault attempt number must be an int >= 1, not {n!r}")
        if cap is None:
            cap = 1000
        if not isinstance(cap, int) or cap < 1:
            raise MapleValueError(f"fault cap must be an int >= 1, not {cap!r}")
        self._armed = (mode, n, cap, bool(only_nowait))
        self.attempts = 0
        self.failed = 0
        self.cap_hit = False

    def disarm(self):
        """Stop injecting failures."""
        self._armed = None

    @contextmanager
    def inject(self, mode, n, cap=1000, only_nowait=False):
        """``with alloc.inject("once", 3): ...`` -- fail the third attempt."""
        self.arm(mode, n, cap, only_nowait)
        try:
            yield self
        finally:
            self.disarm()

    def _attempt(self, gfp):
        armed = self._armed
        if armed is None:
            return True
        self.attempts += 1
        mode, n, cap, only_nowait = armed
        if only_nowait and gfp != GFP_NOWAIT:
            return True
        if mode == "once":
            fail = self.attempts == n
        else:
            fail = self.attempts >= n and self.failed < cap
            if self.attempts >= n and self.failed >= cap:
                self.cap_hit = True
        if fail:
            self.failed += 1
            return False
        return True

    # --- slab calls ---------------------------------------------------------
    def alloc_one(self, gfp=GFP_KERNEL):
        """mt_alloc_one(): one attempt; True on success."""
        if not self._attempt(gfp):
            return False
        self.allocated += 1
        return True

    def alloc_bulk(self, count, gfp=GFP_KERNEL):
        """mt_alloc_bulk(): all or nothing; returns count or 0."""
        for _ in range(count):
            if not self._attempt(gfp):
                return 0
        self.allocated += count
        return count

    def free(self, count=1, rcu=False):
        """mt_free_one / mt_free_bulk, or ma_free_rcu when ``rcu``."""
        self.freed += count
        if rcu:
            self.freed_rcu += count

    def new_node(self, ntype):
        """Materialise a zeroed node for memory already counted as allocated."""
        self._nid += 1
        return Node(ntype, self._nid)

    def __repr__(self):
        return (f"NodeAllocator(allocated={self.allocated}, freed={self.freed}, "
                f"live={self.live})")
