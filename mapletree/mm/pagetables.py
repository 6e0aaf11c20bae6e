"""A page-table model for the floor/ceiling effects of free_pgd_range().

Mirrors the x86-64 4-level layout of mm/memory.c: PUD tables (one per 512 GiB),
PMD tables (one per 1 GiB) and PTE tables (one per 2 MiB), keyed by the aligned base
address they map. The PGD page itself is never freed here (``mmdrop`` frees it).
Present entries are kept per PTE table as ``[start, end, kind]`` intervals with kind
``anon``, ``file`` or ``swap``, so zapping and leaking can be counted page by page.
"""

from .constants import (PAGE_SIZE, PMD_SIZE, PUD_SIZE, P4D_SIZE, PGDIR_SIZE, round_down)

_M = 1 << 64
_MASK = _M - 1
LEVELS = ("pud", "pmd", "pte")
TABLE_SIZE = {"pud": P4D_SIZE, "pmd": PUD_SIZE, "pte": PMD_SIZE}


def _dec(x):
    """``x - 1`` in unsigned 64-bit arithmetic (0 - 1 wraps to ULONG_MAX)."""
    return (x - 1) & _MASK


def _addr_end(addr, end, size):
    """pgd_addr_end()/pud_addr_end()/pmd_addr_end(): next boundary, capped at ``end``."""
    boundary = (addr + size) & ~(size - 1) & _MASK
    return boundary if _dec(boundary) < _dec(end) else end


class PageTables:
    """The user page tables of one mm.

    Methods by purpose (cost; T = tables on the path, k = intervals in a PTE table):
      * build: ``ensure(addr)`` – allocate the PUD/PMD/PTE path (O(1)); ``add(s, e, kind)``
        – make entries present (O(k) per PTE table).
      * read: ``entries(s, e)`` – present intervals in a range; ``present_pages()``;
        ``tables()`` – the three sets; ``count``; ``pgtables_bytes`` (4096 per table).
      * zap: ``zap(s, e)`` – zap_pte_range: clear entries, return pages per kind.
      * free: ``free_pgd_range(addr, end, floor, ceiling)`` – the kernel function of the
        same name, O(tables in range); returns the tables it freed as (level, base).
    ``freed`` and ``leaked_entries`` accumulate what was freed, and entries freed while
    still present (a PTE table freed before its PTEs were zapped: pages leak).
    """

    def __init__(self):
        self.pud = {}       # 512 GiB base -> set of PMD bases below it
        self.pmd = {}       # 1 GiB base -> set of PTE bases below it
        self.pte = {}       # 2 MiB base -> sorted list of [start, end, kind]
        self.freed = []     # (level, base) in order
        self.allocated = []  # (level, base) in order
        self.leaked_entries = {}
        self.orphans = []   # tables cut off by freeing their parent table (never freed)

    # --- build ---------------------------------------------------------------------
    def ensure(self, addr, fail_at=None):
        """__pud_alloc/__pmd_alloc/__pte_alloc for the path of ``addr``.

        Returns the list of tables allocated. ``fail_at`` is a callable consulted before
        each allocation; when it returns True the allocation fails and ``MemoryError``
        is raised with the tables allocated so far kept (as copy_page_range leaves them).
        """
        made = []
        b512 = round_down(addr, P4D_SIZE)
        b1g = round_down(addr, PUD_SIZE)
        b2m = round_down(addr, PMD_SIZE)
        if b512 not in self.pud:
            if fail_at is not None and fail_at():
                raise MemoryError("pud_alloc")
            self.pud[b512] = set()
            made.append(("pud", b512))
        if b1g not in self.pmd:
            if fail_at is not None and fail_at():
                raise MemoryError("pmd_alloc")
            self.pmd[b1g] = set()
            self.pud[b512].add(b1g)
            made.append(("pmd", b1g))
        if b2m not in self.pte:
            if fail_at is not None and fail_at():
                raise MemoryError("pte_alloc")
            self.pte[b2m] = []
            self.pmd[b1g].add(b2m)
            made.append(("pte", b2m))
        self.allocated.extend(made)
        return made

    def add(self, start, end, kind="anon"):
        """Make pages ``[start, end)`` present (tables are allocated on the way)."""
        addr = start
        while addr < end:
            nxt = min(end, round_down(addr, PMD_SIZE) + PMD_SIZE)
            self.ensure(addr)
            self._insert(self.pte[round_down(addr, PMD_SIZE)], addr, nxt, kind)
            addr = nxt

    @staticmethod
    def _insert(ivs, s, e, kind):
        PageTables._remove(ivs, s, e)
        i = 0
        while i < len(ivs) and ivs[i][0] < s:
            i += 1
        ivs.insert(i, [s, e, kind])

    @staticmethod
    def _remove(ivs, s, e):
        removed = {}
        out = []
        for a, b, k in ivs:
            if b <= s or a >= e:
                out.append([a, b, k])
                continue
            lo, hi = max(a, s), min(b, e)
            removed[k] = removed.get(k, 0) + (hi - lo) // PAGE_SIZE
            if a < lo:
                out.append([a, lo, k])
            if hi < b:
                out.append([hi, b, k])
        ivs[:] = out
        return removed

    # --- read ----------------------------------------------------------------------
    def _pte_bases(self, start, end):
        """Existing PTE table bases meeting ``[start, end)``, ascending."""
        first = round_down(start, PMD_SIZE)
        if end - first <= 64 * PMD_SIZE:                # short range: probe each block
            pte = self.pte
            return [b for b in range(first, end, PMD_SIZE) if b in pte]
        out = []
        for b512 in sorted(self.pud):
            if b512 + P4D_SIZE <= start or b512 >= end:
                continue
            for b1g in sorted(self.pud[b512]):
                if b1g + PUD_SIZE <= start or b1g >= end:
                    continue
                for b2m in sorted(self.pmd[b1g]):
                    if b2m + PMD_SIZE <= start or b2m >= end:
                        continue
                    out.append(b2m)
        return out

    def entries(self, start, end):
        """Present intervals clipped to ``[start, end)`` as (s, e, kind), ascending."""
        out = []
        for b in self._pte_bases(start, end):
            for a, z, k in self.pte[b]:
                lo, hi = max(a, start), min(z, end)
                if lo < hi:
                    out.append((lo, hi, k))
        return out

    def present_pages(self):
        return sum((b - a) // PAGE_SIZE for ivs in self.pte.values() for a, b, _ in ivs)

    @property
    def count(self):
        """Table pages still accounted (including orphans)."""
        return len(self.pud) + len(self.pmd) + len(self.pte) + len(self.orphans)

    @property
    def pgtables_bytes(self):
        """mm_pgtables_bytes(): 4096 per PUD, PMD and PTE table page."""
        return self.count * PAGE_SIZE

    def tables(self):
        """{"pud": [...], "pmd": [...], "pte": [...]} sorted bases (a snapshot)."""
        return {"pud": sorted(self.pud), "pmd": sorted(self.pmd), "pte": sorted(self.pte)}

    def table_set(self):
        return {(lvl, b) for lvl in LEVELS for b in getattr(self, lvl)}

    # --- zap -----------------------------------------------------------------------
    def zap(self, start, end):
        """zap_pte_range() over ``[start, end)``: returns {kind: pages} cleared."""
        total = {}
        for b in self._pte_bases(start, end):
            for k, n in self._remove(self.pte[b], start, end).items():
                total[k] = total.get(k, 0) + n
        return total

    # --- free ----------------------------------------------------------------------
    def _free(self, level, base):
        """pte_free_tlb/pmd_free_tlb/pud_free_tlb of one table page.

        Freeing an upper table that still points at lower tables orphans them: their
        pages are never freed and stay counted in ``pgtables_bytes`` (``orphans``).
        """
        if level == "pte":
            ivs = self.pte.pop(base)
            for a, b, k in ivs:
                self.leaked_entries[k] = self.leaked_entries.get(k, 0) + (b - a) // PAGE_SIZE
            self.pmd[round_down(base, PUD_SIZE)].discard(base)
        elif level == "pmd":
            for b2m in sorted(self.pmd[base]):
                self.orphans.append(("pte", b2m))
                del self.pte[b2m]
            del self.pmd[base]
            self.pud[round_down(base, P4D_SIZE)].discard(base)
        else:
            for b1g in sorted(self.pud[base]):
                self.orphans.append(("pmd", b1g))
                for b2m in sorted(self.pmd[b1g]):
                    self.orphans.append(("pte", b2m))
                    del self.pte[b2m]
                del self.pmd[b1g]
            del self.pud[base]
        self.freed.append((level, base))
        return (level, base)

    @staticmethod
    def _keep_upper(start, end, floor, ceiling, size):
        """The tail test of free_pmd_range()/free_pud_range(): True = keep the table."""
        start = round_down(start, size)
        if start < floor:
            return True
        if ceiling:
            ceiling = round_down(ceiling, size)
            if not ceiling:
                return True
        return _dec(end) > _dec(ceiling)

    def free_pgd_range(self, addr, end, floor, ceiling):
        """free_pgd_range(): free the tables only ``[addr, end)`` uses, within floor/ceiling.

        Unsigned 64-bit arithmetic; a ceiling of 0 means the top of the address space.
        Returns the list of (level, base) freed by this call.
        """
        before = len(self.freed)
        addr = round_down(addr, PMD_SIZE)
        if addr < floor:
            addr = (addr + PMD_SIZE) & _MASK
            if not addr:
                return []
        if ceiling:
            ceiling = round_down(ceiling, PMD_SIZE)
            if not ceiling:
                return []
        if _dec(end) > _dec(ceiling):
            end -= PMD_SIZE
        if addr > _dec(end):
            return []
        a = addr
        while True:                                   # free_pgd_range's pgd loop
            nxt = _addr_end(a, end, PGDIR_SIZE)
            if round_down(a, P4D_SIZE) in self.pud:
                self._free_pud_range(a, nxt, floor, ceiling)
            a = nxt
            if a == end:
                break
        return self.freed[before:]

    def _free_pud_range(self, addr, end, floor, ceiling):
        """free_p4d_range() (folded) + free_pud_range(): PMD tables, then the PUD tail."""
        b512 = round_down(addr, P4D_SIZE)
        a = addr
        while True:
            nxt = _addr_end(a, end, PUD_SIZE)
            if round_down(a, PUD_SIZE) in self.pmd:
                self._free_pmd_range(a, nxt, floor, ceiling)
            a = nxt
            if a == end:
                break
        if b512 in self.pud and not self._keep_upper(addr, end, floor, ceiling, P4D_SIZE):
            self._free("pud", b512)

    def _free_pmd_range(self, addr, end, floor, ceiling):
        """free_pmd_range(): every PTE table in range, then the PMD table if unshared."""
        b1g = round_down(addr, PUD_SIZE)
        for b2m in sorted(self.pmd[b1g]):
            if addr <= b2m + PMD_SIZE - 1 and b2m < end:
                self._free("pte", b2m)
        if not self._keep_upper(addr, end, floor, ceiling, PUD_SIZE):
            self._free("pmd", b1g)

    def __repr__(self):
        return (f"PageTables(pud={len(self.pud)}, pmd={len(self.pmd)}, pte={len(self.pte)}, "
                f"present={self.present_pages()} pages)")
