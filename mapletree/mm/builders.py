"""Process builders: a parent mm from ranges, a seeded realistic layout, the reference
process of the fork notes (§5.6), or a ``/proc/PID/maps`` text.

Each builder maps its VMAs the way mmap() and page faults leave them (MM.add_vma):
stored in the tree, linked into rmap, VM_ACCOUNT charged, resident pages in page tables.
"""

import random

from .constants import (PAGE_SIZE, VM_ACCOUNT, VM_DONTCOPY, VM_EXEC, VM_GROWSDOWN,
                        VM_HUGETLB, VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_SHARED,
                        VM_WIPEONFORK, VM_WRITE)
from .mm import MM, Kernel
from .procmaps import parse
from .vma import VMA, VmaError

RW = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE
RX = VM_READ | VM_EXEC | VM_MAYREAD
RO = VM_READ | VM_MAYREAD
ANON_RW = RW | VM_ACCOUNT

_FLAG_WORDS = {
    "r": VM_READ, "w": VM_WRITE, "x": VM_EXEC, "s": VM_SHARED,
    "account": VM_ACCOUNT, "dontcopy": VM_DONTCOPY, "wipeonfork": VM_WIPEONFORK,
    "hugetlb": VM_HUGETLB, "stack": VM_GROWSDOWN,
}


class LayoutError(ValueError):
    """A range list could not be turned into a process (overlap, bad item)."""


def _parse_flags(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        f = 0
        for word in value.replace("|", ",").split(","):
            word = word.strip().lower()
            if not word:
                continue
            if word not in _FLAG_WORDS and set(word) <= set("rwxs-p"):
                for ch in word:
                    f |= _FLAG_WORDS.get(ch, 0)
                continue
            if word not in _FLAG_WORDS:
                raise LayoutError(f"unknown flag word {word!r} (known: {sorted(_FLAG_WORDS)})")
            f |= _FLAG_WORDS[word]
        return f
    raise LayoutError(f"flags must be an int or a string, got {type(value).__name__}")


def _make_mm(specs, kernel, name):
    mm = MM(kernel if kernel is not None else Kernel(), name=name)
    for v in specs:
        try:
            mm.add_vma(v)
        except ValueError as e:
            raise LayoutError(str(e)) from e
    return mm


def _anon_vma_for(kernel, vma):
    if vma.resident or vma.swapped:
        if vma.file is None or (vma.flags & (VM_WRITE | VM_SHARED)) == VM_WRITE:
            if not vma.flags & VM_SHARED:
                vma.anon_vma = kernel.new_anon_vma(vma.label)


def from_ranges(ranges, kernel=None, name="parent"):
    """A parent mm from a list of ranges.

    Each item is ``(start, end)``, ``(start, end, flags)``, ``(start, end, flags, label)``,
    a dict with keys start/end/flags/label/file/resident/swapped, or a VMA. ``flags`` is
    an int or words like ``"rw,account,dontcopy"``. Default: private anonymous
    read-write, ``VM_ACCOUNT``, every page resident (so it has an anon_vma and page
    tables). Raises LayoutError (subclass of ValueError) on overlap or bad items.
    """
    kernel = kernel if kernel is not None else Kernel()
    specs = []
    for i, item in enumerate(ranges):
        if isinstance(item, VMA):
            specs.append(item)
            continue
        if isinstance(item, dict):
            d = dict(item)
        elif isinstance(item, (tuple, list)) and 2 <= len(item) <= 4:
            d = dict(zip(("start", "end", "flags", "label"), item))
        else:
            raise LayoutError(f"range #{i}: expected (start, end[, flags[, label]]) or a dict,"
                              f" got {item!r}")
        flags = _parse_flags(d.get("flags", ANON_RW))
        path = d.get("file")
        try:
            v = VMA(d["start"], d["end"], flags,
                    file=kernel.file(path) if path else None,
                    label=d.get("label") or f"V{i}", resident=d.get("resident"),
                    swapped=d.get("swapped", 0), kind=d.get("kind", ""))
        except KeyError as e:
            raise LayoutError(f"range #{i}: missing {e.args[0]!r}") from None
        except VmaError as e:
            raise LayoutError(f"range #{i}: {e}") from None
        _anon_vma_for(kernel, v)
        specs.append(v)
    return _make_mm(specs, kernel, name)


def reference_process(kernel=None, dontcopy_neighbour="vma"):
    """The reference process of the fork notes (§5.6): nine VMAs, V0..V8.

    Failing at different VMAs exercises the three page-table sharing levels (2 MiB,
    1 GiB, 512 GiB). On success the child has 12 table pages.

    With the default layout V4's DONTCOPY clear is an exact fit between V3 and V5 and
    never allocates, so F2 cannot fire at V4. ``dontcopy_neighbour="gap"`` moves V4 and
    V5 up by 64 KiB: a hole opens between V3 and V4, the tree needs two leaves, and the
    NULL store over V4 has to merge with that hole across the leaf layout – it allocates,
    so F2 fires at V4 (and leaks 3 table pages under the false ceiling, as in §5.6).
    """
    if dontcopy_neighbour not in ("vma", "gap"):
        raise LayoutError(f"dontcopy_neighbour must be 'vma' or 'gap', not {dontcopy_neighbour!r}")
    kernel = kernel if kernel is not None else Kernel()
    exe = kernel.file("/usr/bin/ref")
    b = 0x7F00_0000_0000
    shift = 0x1_0000 if dontcopy_neighbour == "gap" else 0
    v4 = b + 0x10_0000 + shift
    v5 = b + 0x12_0000 + shift
    specs = [
        VMA(0x40_0000, 0x40_8000, RX, file=exe, label="V0", kind="text"),
        VMA(0x60_0000, 0x60_2000, RW | VM_ACCOUNT, file=exe, pgoff=8, label="V1", kind="data"),
        VMA(0x60_2000, 0x62_3000, ANON_RW, label="V2", kind="heap"),
        VMA(b, b + 0x10_0000, ANON_RW, label="V3", kind="anon"),
        VMA(v4, v4 + 0x2_0000, RW | VM_DONTCOPY, label="V4", kind="anon"),
        VMA(v5, v5 + 0x1_0000, RW | VM_WIPEONFORK, label="V5", kind="anon"),
        VMA(b + 0x40_0000, b + 0x40_1000, ANON_RW, label="V6", kind="anon"),
        VMA(b + 0x8000_0000, b + 0x8000_2000, ANON_RW, label="V7", kind="anon"),
        VMA(0x7FFD_FFFE_0000, 0x7FFE_0000_0000, ANON_RW | VM_GROWSDOWN, label="V8",
            kind="stack"),
    ]
    for v in specs:
        _anon_vma_for(kernel, v)
    return _make_mm(specs, kernel, "parent")


def random_process(n=200, seed=0, kernel=None, dontcopy=0.2, wipeonfork=0.04,
                   swapped=0.05):
    """A realistic seeded layout of exactly ``n`` VMAs.

    Executable (text, rodata, data, bss), ``[heap]``, shared libraries (r--p, r-xp,
    r--p, rw-p segments plus bss), thread stacks behind ``---p`` guard pages,
    anonymous arenas (some ``VM_DONTCOPY``, some ``VM_WIPEONFORK``), guard gaps, the
    ``[vvar]``/``[vdso]`` pair and ``[stack]``. Private writable mappings carry
    ``VM_ACCOUNT``; a few anonymous ones have swapped-out pages.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise LayoutError(f"n must be an int >= 1, got {n!r}")
    rng = random.Random(seed)
    kernel = kernel if kernel is not None else Kernel()
    specs = []

    def add(start, npages, flags, label, kind, file=None, resident=None):
        v = VMA(start, start + npages * PAGE_SIZE, flags, file=file, label=label, kind=kind,
                resident=resident if resident is not None else min(npages, rng.randint(1, 8)))
        if kind in ("anon", "heap") and rng.random() < swapped:
            v.swapped = min(v.pages - v.resident, rng.randint(1, 4))
        specs.append(v)
        return v.end

    # the executable, low
    exe = kernel.file("/usr/bin/app")
    a = 0x5555_5555_4000
    for npages, flags, kind in ((1, RO, "rodata"), (rng.randint(4, 40), RX, "text"),
                                (rng.randint(1, 8), RO, "rodata"),
                                (rng.randint(1, 4), RW | VM_ACCOUNT, "data")):
        a = add(a, npages, flags, f"app:{kind}", kind, file=exe,
                resident=0 if kind == "data" and False else None)
    a = add(a, rng.randint(1, 4), ANON_RW, "app:bss", "anon")
    a += rng.randint(1, 64) * PAGE_SIZE
    add(a, rng.randint(8, 64), ANON_RW, "[heap]", "heap")
    # top: [stack], then vvar/vdso, then the mmap area growing down
    top = 0x7FFC_0000_0000 + rng.randint(0, 0xFFFF) * 0x10000
    stack = []
    stack.append(VMA(top - 33 * PAGE_SIZE, top, ANON_RW | VM_GROWSDOWN, label="[stack]",
                     kind="stack", resident=rng.randint(2, 12)))
    v = top + rng.randint(16, 4096) * PAGE_SIZE
    stack.append(VMA(v, v + 4 * PAGE_SIZE, RO, label="[vvar]", kind="special", resident=0))
    stack.append(VMA(v + 4 * PAGE_SIZE, v + 6 * PAGE_SIZE, RX, label="[vdso]", kind="special",
                     resident=2))
    remaining = n - len(specs) - len(stack)
    m = 0x7F00_0000_0000 + rng.randint(0, 0xFFF) * 0x100_0000
    groups = []
    lib = 0
    while remaining > 0:
        r = rng.random()
        group = []
        if r < 0.45:                                        # a shared library
            f = kernel.file(f"/usr/lib/lib{lib}.so")
            segs = [(rng.randint(1, 16), RO, "rodata"), (rng.randint(4, 200), RX, "text"),
                    (rng.randint(1, 32), RO, "rodata"), (rng.randint(1, 4), RW | VM_ACCOUNT, "data")]
            if rng.random() < 0.5:
                segs.append((rng.randint(1, 8), ANON_RW, "bss"))
            for npages, flags, kind in segs:
                group.append((npages, flags, f"lib{lib}:{kind}", kind,
                              None if kind == "bss" else f))
            lib += 1
        elif r < 0.60:                                      # a thread stack + guard
            group.append((1, 0, "guard", "guard", None))
            group.append((rng.randint(16, 256), ANON_RW, "thread stack", "anon", None))
        else:                                               # an anonymous mapping
            flags = ANON_RW
            label = "anon"
            x = rng.random()
            if x < dontcopy:
                flags |= VM_DONTCOPY
                label = "anon dontcopy"
            elif x < dontcopy + wipeonfork:
                flags |= VM_WIPEONFORK
                label = "anon wipeonfork"
            group.append((rng.randint(1, 512), flags, label, "anon", None))
        group = group[:remaining]
        remaining -= len(group)
        groups.append(group)
    # lay the groups out top-down below mmap_base, with random gaps between groups
    for group in groups:
        size = sum(g[0] for g in group) * PAGE_SIZE
        gap = 0 if rng.random() < 0.3 else rng.randint(1, 256) * PAGE_SIZE
        m -= size + gap
        a = m
        for npages, flags, label, kind, f in group:
            res = 0 if kind == "guard" else None
            a = add(a, npages, flags, label, kind, file=f, resident=res)
    specs.extend(stack)
    specs.sort(key=lambda v: v.start)
    for i, v in enumerate(specs):
        v.label = f"V{i} {v.label}"
        _anon_vma_for(kernel, v)
    return _make_mm(specs, kernel, "parent")


def from_procmaps(text, kernel=None, name="parent"):
    """A parent mm from ``/proc/PID/maps`` text (see procmaps.parse for the rules).

    File-backed lines map their path; private writable lines get an anon_vma and up to
    16 resident pages; ``---p`` lines have nothing resident. Raises ProcMapsError for a
    malformed line (its number and what is wrong).
    """
    kernel = kernel if kernel is not None else Kernel()
    specs = []
    for i, ml in enumerate(parse(text)):
        npages = (ml.end - ml.start) // PAGE_SIZE
        resident = 0 if ml.perms.startswith("---") else min(npages, 16)
        label = ml.path or "anon"
        v = VMA(ml.start, ml.end, ml.flags, file=kernel.file(ml.path) if ml.is_file else None,
                pgoff=ml.offset // PAGE_SIZE, label=f"V{i} {label}", resident=resident,
                kind="file" if ml.is_file else "anon")
        _anon_vma_for(kernel, v)
        specs.append(v)
    return _make_mm(specs, kernel, name)
