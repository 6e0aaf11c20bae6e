"""Virtual memory areas and the reverse-map objects they hang off.

Mirrors ``struct vm_area_struct`` (include/linux/mm_types.h), ``struct anon_vma``
(include/linux/rmap.h) and the ``i_mmap`` interval tree of ``struct address_space``
(include/linux/fs.h), reduced to what fork and its failure cleanup touch.
"""

import itertools

from .constants import (PAGE_SIZE, VM_ACCOUNT, VM_DONTCOPY, VM_EXEC, VM_GROWSDOWN,
                        VM_HUGETLB, VM_MIXEDMAP, VM_PFNMAP, VM_SHARED, VM_WIPEONFORK,
                        VM_WRITE, flag_names)


class VmaError(ValueError):
    """A VMA was described with impossible values (unaligned, empty, or bad type)."""


_IDS = itertools.count(1)


class File:
    """A mapped file: ``struct file`` + its ``address_space`` ``i_mmap`` tree.

    Methods (cost):
      * ``link(vma)`` / ``unlink(vma)`` – vma_interval_tree_insert / _remove, O(1).
      * ``linked`` – the set of VMAs on the i_mmap tree (the rmap walkers' entry point).
    ``refs`` counts ``get_file``/``fput`` (a leaked reference stays > 1 after teardown).
    """

    __slots__ = ("path", "i_mmap", "refs")

    def __init__(self, path):
        self.path = path
        self.i_mmap = set()
        self.refs = 1

    def link(self, vma):
        """vma_interval_tree_insert_after(): put ``vma`` on the i_mmap tree."""
        self.i_mmap.add(vma)

    def unlink(self, vma):
        """unlink_file_vma(): take ``vma`` off the i_mmap tree (no-op when absent)."""
        self.i_mmap.discard(vma)

    @property
    def linked(self):
        return self.i_mmap

    def __repr__(self):
        return f"File({self.path!r}, mapped by {len(self.i_mmap)})"


class AnonVma:
    """An ``anon_vma``: the VMAs that may map its anonymous pages (reached via chains).

    ``vmas`` stands for the anon_vma's interval tree of ``anon_vma_chain`` links;
    ``parent`` is the anon_vma it was forked from (``anon_vma->parent``).
    Methods: ``link(vma)``, ``unlink(vma)`` – O(1).
    """

    __slots__ = ("vmas", "parent", "name")

    def __init__(self, name="", parent=None):
        self.vmas = set()
        self.parent = parent
        self.name = name

    def link(self, vma):
        """anon_vma_chain_link(): link ``vma`` into this anon_vma's tree."""
        self.vmas.add(vma)
        vma.anon_links.append(self)

    def unlink(self, vma):
        """One step of unlink_anon_vmas()."""
        self.vmas.discard(vma)

    def __repr__(self):
        return f"AnonVma({self.name!r}, {len(self.vmas)} vmas)"


class VMA:
    """One ``vm_area_struct``: ``[start, end)`` (``end`` is the exclusive ``vm_end``).

    Fields: ``start``, ``end``, ``flags`` (``VM_*``), ``file`` (File or None), ``pgoff``,
    ``anon_vma`` (AnonVma or None), ``mm`` (the owning MM), ``label`` (for display),
    ``resident`` / ``swapped`` (pages present / swapped out, lowest addresses first),
    ``anon_links`` (every AnonVma this VMA is chained into), ``freed`` (``vm_area_free``
    ran), ``uid`` (a stand-in address, unique per VMA object).

    Queries (all O(1)): ``pages``, ``needs_copy`` (copy_page_range does work),
    ``is_anon``, ``is_stack``, ``is_exec``, ``is_data``, ``in_rmap`` (still linked into an
    anon_vma or i_mmap tree).
    """

    __slots__ = ("start", "end", "flags", "file", "pgoff", "anon_vma", "mm", "label",
                 "resident", "swapped", "anon_links", "freed", "uid", "source", "kind",
                 "__weakref__")

    def __init__(self, start, end, flags=0, *, file=None, pgoff=0, anon_vma=None, mm=None,
                 label="", resident=None, swapped=0, kind=""):
        for name, v in (("start", start), ("end", end), ("flags", flags)):
            if not isinstance(v, int) or isinstance(v, bool):
                raise VmaError(f"VMA {name} must be an int, got {type(v).__name__}")
        if start < 0 or end <= start:
            raise VmaError(f"VMA range [{start:#x}, {end:#x}) is empty or negative")
        if start % PAGE_SIZE or end % PAGE_SIZE:
            raise VmaError(f"VMA range [{start:#x}, {end:#x}) is not page aligned")
        if end > (1 << 64) - 1:
            raise VmaError(f"VMA end {end:#x} is beyond the address space")
        self.start = start
        self.end = end
        self.flags = flags
        self.file = file
        self.pgoff = pgoff
        self.anon_vma = anon_vma
        self.mm = mm
        self.label = label
        npages = (end - start) // PAGE_SIZE
        self.resident = npages if resident is None else max(0, min(resident, npages))
        self.swapped = max(0, min(swapped, npages - self.resident))
        self.anon_links = []
        self.freed = False
        self.uid = next(_IDS)
        self.source = None          # for a child VMA: the parent VMA it was duplicated from
        self.kind = kind

    # --- kernel field names (vm_start, vm_end, vm_flags, vm_mm) ---------------------
    @property
    def vm_start(self):
        return self.start

    @property
    def vm_end(self):
        return self.end

    @property
    def vm_flags(self):
        return self.flags

    @property
    def vm_mm(self):
        return self.mm

    @property
    def name(self):
        return self.label

    def viz_entry(self):
        """(label, role) for drawings: role ``child`` for a VMA of a forked child,
        ``vma`` for a parent's VMA (a stale pointer when it sits in a child tree)."""
        role = "vma"
        if self.mm is not None and getattr(self.mm, "is_child", False):
            role = "child"
        if self.freed:
            role = "torn"
        return (self.label or f"{self.start:#x}", role)

    # --- queries -------------------------------------------------------------------
    @property
    def pages(self):
        """vma_pages()."""
        return (self.end - self.start) // PAGE_SIZE

    @property
    def last(self):
        """The inclusive last index (``vm_end - 1``), as stored in the maple tree."""
        return self.end - 1

    @property
    def is_anon(self):
        return self.file is None

    @property
    def is_stack(self):
        return bool(self.flags & VM_GROWSDOWN)

    @property
    def is_exec(self):
        return bool(self.flags & VM_EXEC) and not self.is_stack

    @property
    def is_data(self):
        """is_data_mapping(): private and writable, not a stack."""
        return (self.flags & (VM_WRITE | VM_SHARED | VM_GROWSDOWN)) == VM_WRITE

    @property
    def is_hugetlb(self):
        return bool(self.flags & VM_HUGETLB)

    @property
    def needs_copy(self):
        """vma_needs_copy(): PFN/mixed maps, or a parent VMA with an anon_vma."""
        if self.flags & VM_WIPEONFORK:
            return False
        return bool(self.flags & (VM_PFNMAP | VM_MIXEDMAP)) or self.anon_vma is not None

    @property
    def in_rmap(self):
        if self.file is not None and self in self.file.i_mmap:
            return True
        return any(self in av.vmas for av in self.anon_links)

    def range_str(self):
        return f"{self.start:#x}-{self.end:#x}"

    def __repr__(self):
        owner = ""
        if self.mm is not None:
            owner = f" mm={self.mm.name}"
        state = " FREED" if self.freed else ""
        label = f" {self.label}" if self.label else ""
        return (f"<VMA#{self.uid}{label} {self.start:#x}-{self.end:#x} "
                f"{flag_names(self.flags)}{owner}{state}>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Jupyter display: an HTML table plus the plain repr."""
        return {"text/plain": repr(self), "text/html": self._repr_html_()}

    def _repr_html_(self):
        return (f"<code>VMA#{self.uid}</code> <b>{self.label or ''}</b> "
                f"<code>[{self.start:#x}, {self.end:#x})</code> {flag_names(self.flags)}")


def vm_stat_category(vma_flags):
    """Which of total/exec/stack/data vm a mapping counts in (vm_stat_account)."""
    cats = ["total_vm"]
    if (vma_flags & (VM_EXEC | VM_WRITE)) == VM_EXEC:
        cats.append("exec_vm")
    elif vma_flags & VM_GROWSDOWN:
        cats.append("stack_vm")
    elif (vma_flags & (VM_WRITE | VM_SHARED | VM_GROWSDOWN)) == VM_WRITE:
        cats.append("data_vm")
    return cats


__all__ = ["VMA", "File", "AnonVma", "VmaError", "vm_stat_category", "VM_ACCOUNT",
           "VM_DONTCOPY", "VM_WIPEONFORK", "VM_HUGETLB"]
