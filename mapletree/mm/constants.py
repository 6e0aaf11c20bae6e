"""Flag values and page-table geometry of Linux 6.12 (x86-64, 4-level paging, 4 KiB pages).

Mirrors include/linux/mm.h (``VM_*``), include/linux/sched/coredump.h (``MMF_*``)
and arch/x86/include/asm/pgtable_64_types.h (``PMD_SIZE`` ... ``PGDIR_SIZE``).
"""

ULONG_MAX = (1 << 64) - 1

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PMD_SHIFT = 21                      # one PTE table maps 2 MiB
PUD_SHIFT = 30                      # one PMD table maps 1 GiB
P4D_SHIFT = 39                      # one PUD table maps 512 GiB (P4D folded into the PGD)
PMD_SIZE = 1 << PMD_SHIFT
PUD_SIZE = 1 << PUD_SHIFT
P4D_SIZE = 1 << P4D_SHIFT
PGDIR_SIZE = P4D_SIZE
TASK_SIZE = 0x7FFF_FFFF_F000        # top of the user half (x86-64, 47 bits, minus one page)
FIRST_USER_ADDRESS = 0
USER_PGTABLES_CEILING = 0           # 0 means "top of the address space"

# vm_flags (include/linux/mm.h)
VM_READ = 0x00000001
VM_WRITE = 0x00000002
VM_EXEC = 0x00000004
VM_SHARED = 0x00000008
VM_MAYREAD = 0x00000010
VM_MAYWRITE = 0x00000020
VM_MAYEXEC = 0x00000040
VM_MAYSHARE = 0x00000080
VM_GROWSDOWN = 0x00000100
VM_UFFD_MISSING = 0x00000200
VM_PFNMAP = 0x00000400
VM_LOCKED = 0x00002000
VM_IO = 0x00004000
VM_DONTCOPY = 0x00020000
VM_LOCKONFAULT = 0x00080000
VM_ACCOUNT = 0x00100000
VM_NORESERVE = 0x00200000
VM_HUGETLB = 0x00400000
VM_WIPEONFORK = 0x02000000
VM_MIXEDMAP = 0x10000000
VM_HUGEPAGE = 0x20000000
VM_MERGEABLE = 0x80000000
VM_STACK = VM_GROWSDOWN
VM_LOCKED_MASK = VM_LOCKED | VM_LOCKONFAULT

VM_FLAG_NAMES = (
    (VM_READ, "READ"), (VM_WRITE, "WRITE"), (VM_EXEC, "EXEC"), (VM_SHARED, "SHARED"),
    (VM_GROWSDOWN, "GROWSDOWN"), (VM_UFFD_MISSING, "UFFD_MISSING"), (VM_PFNMAP, "PFNMAP"),
    (VM_LOCKED, "LOCKED"), (VM_IO, "IO"), (VM_DONTCOPY, "DONTCOPY"),
    (VM_LOCKONFAULT, "LOCKONFAULT"), (VM_ACCOUNT, "ACCOUNT"), (VM_NORESERVE, "NORESERVE"),
    (VM_HUGETLB, "HUGETLB"), (VM_WIPEONFORK, "WIPEONFORK"), (VM_MIXEDMAP, "MIXEDMAP"),
    (VM_HUGEPAGE, "HUGEPAGE"), (VM_MERGEABLE, "MERGEABLE"),
)

# mm->flags bit numbers (include/linux/sched/coredump.h)
MMF_VM_MERGEABLE = 16
MMF_VM_HUGEPAGE = 17
MMF_OOM_SKIP = 21
MMF_UNSTABLE = 22
MMF_NAMES = {MMF_VM_MERGEABLE: "MMF_VM_MERGEABLE", MMF_VM_HUGEPAGE: "MMF_VM_HUGEPAGE",
             MMF_OOM_SKIP: "MMF_OOM_SKIP", MMF_UNSTABLE: "MMF_UNSTABLE"}
# flags a child inherits from its parent (MMF_INIT_MASK): neither OOM_SKIP nor UNSTABLE
MMF_INIT_MASK = (1 << MMF_VM_MERGEABLE) | (1 << MMF_VM_HUGEPAGE)

EINTR = 4
ENOMEM = 12


def flag_names(flags):
    """Readable ``VM_*`` names of ``flags`` joined by ``|`` (``-`` when none)."""
    names = [name for bit, name in VM_FLAG_NAMES if flags & bit]
    return "|".join(names) if names else "-"


def round_down(value, size):
    """round_down(): clear the low bits of ``value`` below power-of-two ``size``."""
    return value & ~(size - 1)
