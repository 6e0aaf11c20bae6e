"""Failure points F0..F10 of dup_mmap() and the injector that fires them.

The thread's ``fork_test`` idea, made exhaustive: a :class:`Fault` names a point
(``F0``..``F10``), the parent VMA index for loop points, and for tree-node failures
(F1: inside ``__mt_dup`` or the bulk preallocation; F2: inside the DONTCOPY clear) which
node allocation fails, through ``NodeAllocator.inject`` so the real allocation counts
decide what fails.

=====  ===========================================  =====================================
point  failure                                      argument
=====  ===========================================  =====================================
F0     parent mmap lock interrupted (-EINTR)        —
F1     tree build: ``__mt_dup`` / bulk prealloc     ``alloc`` = k-th node allocation (1)
F2     DONTCOPY NULL store fails (-ENOMEM)          VMA index; ``alloc`` first failing (1)
F3     fatal signal pending (-EINTR)                VMA index
F4     overcommit refuses the VM_ACCOUNT charge     VMA index
F5     vm_area_dup fails                            VMA index
F6     policy copy / uffd fork context fails        VMA index
F7     anon_vma_fork fails                          VMA index
F8     store of tmp fails (D1 only, theoretical)    VMA index
F9     copy_page_range fails part-way               VMA index; ``step`` (default: half way
                                                    through the last block)
F10    arch_dup_mmap fails                          —
=====  ===========================================  =====================================

``mode`` for F1/F2: ``"hard"`` (every attempt fails from the chosen one on, GFP_KERNEL
retries included; F1 fails just the one attempt) or ``"transient"`` (only GFP_NOWAIT
attempts fail: a GFP_KERNEL retry succeeds).

Labels: ``F7@12`` (loop point at parent VMA 12), ``F1#3`` (third node allocation),
``F0``, ``F10``. Notebook-style tuples are accepted by :func:`parse_fault`:
``("vma_dup", "at", "V6")``, ``("clear", "from", 1)``, ``("mt_dup", "once", 3)``.
"""

import re
from dataclasses import dataclass

from .constants import VM_ACCOUNT, VM_DONTCOPY, VM_WIPEONFORK

POINTS = tuple(f"F{i}" for i in range(11))
LOOP_POINTS = ("F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9")
STEP_NAMES = {
    "lock": "F0", "mmap_lock": "F0", "mt_dup": "F1", "build": "F1", "prealloc": "F1",
    "clear": "F2", "dontcopy": "F2", "signal": "F3", "account": "F4", "charge": "F4",
    "vma_dup": "F5", "vm_area_dup": "F5", "policy": "F6", "uffd": "F6",
    "anon_vma": "F7", "anon_vma_fork": "F7", "store": "F8", "copy": "F9",
    "copy_page_range": "F9", "arch": "F10", "arch_dup_mmap": "F10",
}


class FaultError(ValueError):
    """A fault description is malformed or does not fit the process."""


@dataclass(frozen=True)
class Fault:
    """One injected failure: ``point``, ``vma`` (parent index), ``alloc``, ``mode``, ``step``."""

    point: str
    vma: object = None          # int index (or a label resolved by resolve())
    alloc: int = 1
    mode: str = "hard"
    step: object = None

    def __post_init__(self):
        if self.point not in POINTS:
            raise FaultError(f"unknown failure point {self.point!r} (F0..F10)")
        if self.point in LOOP_POINTS and self.vma is None:
            raise FaultError(f"{self.point} needs a VMA index")
        if self.point not in LOOP_POINTS and self.vma is not None:
            raise FaultError(f"{self.point} takes no VMA index")
        if not isinstance(self.alloc, int) or self.alloc < 1:
            raise FaultError(f"alloc must be an int >= 1, got {self.alloc!r}")
        if self.mode not in ("hard", "transient"):
            raise FaultError(f"mode must be 'hard' or 'transient', got {self.mode!r}")

    @property
    def label(self):
        if self.point == "F1":
            return f"F1#{self.alloc}"
        if self.vma is not None:
            return f"{self.point}@{self.vma}"
        return self.point

    def at(self, point, index):
        """True when this fault fires at loop ``point`` for parent VMA ``index``."""
        return self.point == point and self.vma == index

    def resolve(self, parent_vmas):
        """This fault with a VMA label (e.g. ``"V6"``) turned into an index."""
        if self.vma is None or isinstance(self.vma, int):
            if isinstance(self.vma, int) and not 0 <= self.vma < len(parent_vmas):
                raise FaultError(f"{self.label}: VMA index out of range 0..{len(parent_vmas) - 1}")
            return self
        for i, v in enumerate(parent_vmas):
            if self.vma == "*" and v.flags & VM_DONTCOPY:
                return Fault(self.point, i, self.alloc, self.mode, self.step)
            if v.label == self.vma or v.label.split(" ")[0] == self.vma:
                return Fault(self.point, i, self.alloc, self.mode, self.step)
        raise FaultError(f"no VMA labelled {self.vma!r}")

    def __str__(self):
        return self.label


_LABEL = re.compile(r"^(F(?:10|[0-9]))(?:@(\w+)|#(\d+))?$")


def parse_fault(spec):
    """A Fault from a Fault, None, a label (``"F7@12"``, ``"F1#3"``) or a tuple
    ``(step, mode, arg)`` such as ``("vma_dup", "at", "V6")`` or ``("clear", "from", 1)``."""
    if spec is None or isinstance(spec, Fault):
        return spec
    if isinstance(spec, str):
        m = _LABEL.match(spec.strip())
        if not m:
            raise FaultError(f"cannot read fault {spec!r} (expected e.g. F7@12, F1#3, F10)")
        point, vma, alloc = m.groups()
        if vma is not None:
            vma = int(vma) if vma.isdigit() else vma
        return Fault(point, vma, int(alloc) if alloc else 1)
    if isinstance(spec, (tuple, list)) and len(spec) in (2, 3):
        step = spec[0]
        point = STEP_NAMES.get(step, step)
        if point not in POINTS:
            raise FaultError(f"unknown failure step {step!r}; known: {sorted(STEP_NAMES)}")
        if len(spec) == 2:
            arg, mode = spec[1], "at"
        else:
            mode, arg = spec[1], spec[2]
        if point == "F1":
            return Fault("F1", None, int(arg) if mode in ("once", "from") else 1)
        if point == "F2" and mode in ("once", "from"):
            return Fault("F2", "*", int(arg))       # '*' = the first DONTCOPY clear
        if point in LOOP_POINTS:
            return Fault(point, arg)
        return Fault(point)
    raise FaultError(f"cannot read fault {spec!r}")


def applicable(point, vma, design):
    """Whether loop ``point`` can fire at parent ``vma`` under ``design``."""
    dontcopy = bool(vma.flags & VM_DONTCOPY)
    if point == "F2":
        return dontcopy and design.build == "dup"
    if dontcopy:
        return False
    if point == "F4":
        return bool(vma.flags & VM_ACCOUNT)
    if point == "F7":
        return not vma.flags & VM_WIPEONFORK
    if point == "F8":
        return design.build == "bulk"
    if point == "F9":
        return vma.needs_copy and (vma.resident + vma.swapped) > 0
    return point in ("F3", "F5", "F6")


def enumerate_faults(parent_vmas, design, build_allocs=1, points=None):
    """Every fault of the sweep for ``design``: F0, F1#1..F1#build_allocs, each loop
    point at every VMA it applies to, F10. ``points`` limits the point kinds."""
    want = set(points) if points else set(POINTS)
    out = []
    if "F0" in want:
        out.append(Fault("F0"))
    if "F1" in want:
        out.extend(Fault("F1", None, k) for k in range(1, max(1, build_allocs) + 1))
    for p in LOOP_POINTS:
        if p not in want:
            continue
        for i, v in enumerate(parent_vmas):
            if applicable(p, v, design):
                out.append(Fault(p, i))
    if "F10" in want:
        out.append(Fault("F10"))
    return out
