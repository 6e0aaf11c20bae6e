"""The mm_struct and the kernel-wide state a fork touches.

Mirrors ``struct mm_struct`` (include/linux/mm_types.h) with its maple tree
(``mm_mt``, flags ``MM_MT_FLAGS``), ``map_count``, the ``*_vm`` counters dup_mmap
copies, the RSS counters, ``pgtables_bytes`` (via :class:`PageTables`) and the
``MMF_*`` flags; and the global state of mm/util.c and mm/swapfile.c a fork changes:
``vm_committed_as`` (:class:`Kernel` ``committed``), the swapoff ``mmlist``, the
anon_vma and file reverse maps, and the live ``vm_area_struct`` objects.
"""

from mapletree.core.constants import MM_MT_FLAGS, ULONG_MAX
from mapletree.core.alloc import NodeAllocator
from mapletree.core.tree import MapleTree
from mapletree.core.state import MapleState

from .constants import MMF_NAMES, MMF_INIT_MASK, PAGE_SIZE, VM_ACCOUNT, flag_names
from .pagetables import PageTables
from .vma import VMA, AnonVma, File, vm_stat_category


class VmaOverlapError(ValueError):
    """A VMA added to an mm overlaps one already mapped there."""


class Kernel:
    """System-wide state shared by a parent and the children it forks.

    Methods by purpose (cost):
      * memory accounting: ``vm_enough_memory(pages, refuse)`` (__vm_enough_memory,
        O(1)), ``vm_unacct_memory(pages)`` (O(1)); ``committed`` is vm_committed_as in
        pages.
      * objects: ``file(path)`` (O(1)), ``new_anon_vma(name)`` (O(1)),
        ``vm_area_dup(vma)`` / ``vm_area_free(vma)`` (O(1)); ``live_vmas`` holds every
        duplicated VMA not yet freed.
      * rmap checks: ``dangling_rmap()`` – links to a freed VMA or to a VMA of a dead
        mm (O(links)).
    ``alloc`` is the maple-node allocator shared by every tree of this kernel.
    """

    def __init__(self, allocator=None):
        self.alloc = allocator if allocator is not None else NodeAllocator()
        self.committed = 0
        self.files = {}
        self.anon_vmas = []
        self.mmlist = set()
        self.live_vmas = {}
        self.mms = []

    def file(self, path):
        """The File for ``path`` (one per path, created on first use)."""
        f = self.files.get(path)
        if f is None:
            f = self.files[path] = File(path)
        return f

    def new_anon_vma(self, name="", parent=None):
        """anon_vma_alloc()."""
        av = AnonVma(name, parent)
        self.anon_vmas.append(av)
        return av

    def vm_enough_memory(self, pages, refuse=False):
        """__vm_enough_memory(): add ``pages`` to committed, take them back on refusal."""
        self.committed += pages
        if refuse:
            self.committed -= pages
            return False
        return True

    def vm_unacct_memory(self, pages):
        """vm_unacct_memory()."""
        self.committed -= pages

    def vm_area_dup(self, vma):
        """vm_area_dup(): a new VMA struct with ``vma``'s fields (no rmap links yet)."""
        tmp = VMA(vma.start, vma.end, vma.flags, file=vma.file, pgoff=vma.pgoff,
                  anon_vma=vma.anon_vma, label=vma.label, resident=vma.resident,
                  swapped=vma.swapped, kind=vma.kind)
        tmp.source = vma
        self.live_vmas[tmp.uid] = tmp
        return tmp

    def vm_area_free(self, vma):
        """vm_area_free()."""
        vma.freed = True
        self.live_vmas.pop(vma.uid, None)

    def dangling_rmap(self):
        """(where, vma) for every rmap link to a freed VMA or to a VMA of a dead mm."""
        out = []
        for av in self.anon_vmas:
            for v in av.vmas:
                if v.freed or (v.mm is not None and v.mm.dead):
                    out.append((f"anon_vma {av.name}", v))
        for f in self.files.values():
            for v in f.i_mmap:
                if v.freed or (v.mm is not None and v.mm.dead):
                    out.append((f"i_mmap {f.path}", v))
        return out

    def __repr__(self):
        return (f"Kernel(committed={self.committed} pages, live child VMAs="
                f"{len(self.live_vmas)}, {self.alloc!r})")


class MM:
    """One address space (``struct mm_struct``).

    Methods by purpose (cost; n = VMAs):
      * build: ``add_vma(vma)`` – map a VMA the way mmap leaves it: store in the tree
        (mas_store_gfp), link rmap, charge VM_ACCOUNT, fill page tables (O(log n)).
      * read: ``vmas()`` (O(n)), ``find_vma(addr)`` (find_vma, O(log n)), ``entries()``
        (every non-NULL range, marker included, O(n)), ``rss_total``.
      * flags: ``set_flag(bit)``, ``test_flag(bit)``, ``flag_names()`` – O(1).
    Fields: ``tree`` (MapleTree, MM_MT_FLAGS), ``map_count``, ``total_vm``, ``data_vm``,
    ``exec_vm``, ``stack_vm``, ``locked_vm``, ``rss`` {anon, file, swap},
    ``pgtables`` (PageTables), ``flags`` (set of MMF bit numbers), ``dead`` (mmdrop ran),
    ``registered`` (on the ksm/khugepaged scan lists), ``uffd_event`` (a userfaultfd
    monitor was handed this mm).
    """

    def __init__(self, kernel=None, name="mm", is_child=False):
        self.kernel = kernel if kernel is not None else Kernel()
        self.name = name
        self.is_child = is_child
        self.tree = MapleTree(MM_MT_FLAGS, allocator=self.kernel.alloc)
        self.map_count = 0
        self.total_vm = self.data_vm = self.exec_vm = self.stack_vm = 0
        self.locked_vm = 0
        self.rss = {"anon": 0, "file": 0, "swap": 0}
        self.pgtables = PageTables()
        self.flags = set()
        self.dead = False
        self.registered = False
        self.uffd_event = False
        self.kernel.mms.append(self)

    # --- flags ---------------------------------------------------------------------
    def set_flag(self, bit):
        self.flags.add(bit)

    def test_flag(self, bit):
        return bit in self.flags

    def flag_names(self):
        return sorted(MMF_NAMES.get(b, str(b)) for b in self.flags)

    # --- counters ------------------------------------------------------------------
    def vm_stat_account(self, flags, npages):
        """vm_stat_account(): add ``npages`` (may be negative) to the *_vm counters."""
        for cat in vm_stat_category(flags):
            setattr(self, cat, getattr(self, cat) + npages)

    @property
    def rss_total(self):
        return sum(self.rss.values())

    # --- build ---------------------------------------------------------------------
    def add_vma(self, vma):
        """Map ``vma`` into this mm as mmap() + page faults leave it.

        Raises VmaOverlapError (nothing changed) when the range is already in use.
        """
        if not isinstance(vma, VMA):
            raise TypeError(f"add_vma needs a VMA, got {type(vma).__name__}")
        mas = MapleState(self.tree, vma.start, vma.last)
        hit = mas.find(vma.last)
        if hit is not None:
            raise VmaOverlapError(
                f"{vma.label or 'VMA'} [{vma.start:#x}, {vma.end:#x}) overlaps "
                f"{getattr(hit, 'label', '') or hit!r} [{mas.index:#x}, {mas.last + 1:#x})")
        self.tree.store_range(vma.start, vma.last, vma)
        vma.mm = self
        self.map_count += 1
        self.vm_stat_account(vma.flags, vma.pages)
        if vma.flags & VM_ACCOUNT:
            self.kernel.vm_enough_memory(vma.pages)
        if vma.anon_vma is not None:
            vma.anon_vma.link(vma)
            if vma.anon_vma not in self.kernel.anon_vmas:
                self.kernel.anon_vmas.append(vma.anon_vma)
        if vma.file is not None:
            vma.file.link(vma)
            vma.file.refs += 1
        kind = "anon" if (vma.anon_vma is not None or vma.file is None) else "file"
        if vma.resident:
            self.pgtables.add(vma.start, vma.start + vma.resident * PAGE_SIZE, kind)
            self.rss[kind] += vma.resident
        if vma.swapped:
            s = vma.start + vma.resident * PAGE_SIZE
            self.pgtables.add(s, s + vma.swapped * PAGE_SIZE, "swap")
            self.rss["swap"] += vma.swapped
            self.kernel.mmlist.add(self)
        return vma

    # --- read ----------------------------------------------------------------------
    def entries(self):
        """Every non-NULL range of the tree as (first, last, entry), marker included."""
        return list(self.tree.ranges())

    def vmas(self):
        """The VMA objects in the tree, in address order (markers left out)."""
        return [e for _, _, e in self.tree.ranges() if isinstance(e, VMA)]

    def find_vma(self, addr):
        """find_vma(): the first VMA ending above ``addr`` (normal API: skips markers)."""
        mas = MapleState(self.tree, addr)
        while True:
            e = mas.find(ULONG_MAX)
            if e is None or isinstance(e, VMA):
                return e

    def fingerprint(self):
        """A value that changes when the tree, a VMA or the page tables change."""
        nodes = tuple((n.nid, tuple(n.pivots), tuple(id(s) for s in n.slots))
                      for n, _, _, _ in self.tree.nodes())
        vmas = tuple((v.uid, v.start, v.end, v.freed, v.in_rmap) for v in self.vmas())
        return (nodes, vmas, self.pgtables.present_pages(), self.pgtables.count,
                tuple(sorted(self.rss.items())), self.map_count)

    def __repr__(self):
        return (f"<MM {self.name}: {self.map_count} VMAs, rss={self.rss_total} pages, "
                f"{self.pgtables.count} table pages, flags={self.flag_names()}>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Jupyter display: an HTML table plus the plain repr."""
        return {"text/plain": repr(self), "text/html": self._repr_html_()}

    def _repr_html_(self):
        rows = "".join(
            f"<tr><td><code>{f:#x}</code></td><td><code>{l:#x}</code></td>"
            f"<td>{getattr(e, 'label', '') or repr(e)}</td>"
            f"<td>{flag_names(e.flags) if isinstance(e, VMA) else ''}</td></tr>"
            for f, l, e in self.entries())
        return (f"<b>mm {self.name}</b>: {self.map_count} VMAs, rss {self.rss_total} pages, "
                f"{self.pgtables.count} table pages, flags {self.flag_names()}"
                f"<table><tr><th>first</th><th>last</th><th>entry</th><th>flags</th></tr>"
                f"{rows}</table>")


def new_child_mm(parent, name="child"):
    """dup_mm() + mm_init(): an empty child mm sharing the parent's kernel.

    The *_vm counters keep the parent's values (byte copy); map_count, RSS, page
    tables are reset; flags are the parent's filtered by MMF_INIT_MASK.
    """
    child = MM(parent.kernel, name=name, is_child=True)
    child.total_vm, child.data_vm = parent.total_vm, parent.data_vm
    child.exec_vm, child.stack_vm = parent.exec_vm, parent.stack_vm
    child.flags = {b for b in parent.flags if (1 << b) & MMF_INIT_MASK}
    return child
