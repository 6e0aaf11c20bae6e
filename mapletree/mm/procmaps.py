"""Parse ``/proc/PID/maps`` text into VMA descriptions.

Mirrors the line format of ``show_map_vma()`` (fs/proc/task_mmu.c)::

    start-end perms offset major:minor inode   pathname

Every malformed line raises :class:`ProcMapsError` naming the line number and what is
wrong; nothing is returned for a text that has one bad line.
"""

import re
from dataclasses import dataclass

from .constants import (PAGE_SIZE, TASK_SIZE, VM_ACCOUNT, VM_EXEC, VM_GROWSDOWN, VM_IO,
                        VM_PFNMAP, VM_READ, VM_SHARED, VM_WRITE)


class ProcMapsError(ValueError):
    """A /proc/PID/maps line could not be parsed; ``lineno`` and ``reason`` say why."""

    def __init__(self, lineno, reason, line):
        self.lineno = lineno
        self.reason = reason
        self.line = line
        super().__init__(f"line {lineno}: {reason}: {line!r}")


_HEX = re.compile(r"^[0-9a-fA-F]+$")
_DEV = re.compile(r"^[0-9a-fA-F]+:[0-9a-fA-F]+$")
_PERMS = re.compile(r"^[r-][w-][x-][ps]$")


@dataclass(frozen=True)
class MapsLine:
    """One parsed line: ``start``/``end`` (exclusive), ``perms``, ``offset``, ``dev``,
    ``inode``, ``path`` ("" for anonymous), ``lineno``."""

    start: int
    end: int
    perms: str
    offset: int
    dev: str
    inode: int
    path: str
    lineno: int

    @property
    def flags(self):
        """vm_flags implied by the permissions, the name and the accounting rules.

        Private writable mappings are accounted (accountable_mapping()); ``[stack]``
        grows down; ``[vvar]`` is a PFN map.
        """
        f = 0
        if self.perms[0] == "r":
            f |= VM_READ
        if self.perms[1] == "w":
            f |= VM_WRITE
        if self.perms[2] == "x":
            f |= VM_EXEC
        if self.perms[3] == "s":
            f |= VM_SHARED
        if self.path == "[stack]":
            f |= VM_GROWSDOWN
        if self.path == "[vvar]":
            f |= VM_PFNMAP | VM_IO
        if (f & (VM_WRITE | VM_SHARED)) == VM_WRITE and self.path not in ("[vvar]", "[vdso]"):
            f |= VM_ACCOUNT
        return f

    @property
    def is_file(self):
        return self.path.startswith("/")


def parse_line(line, lineno=1):
    """Parse one maps line; raises ProcMapsError (with ``lineno``) when malformed."""
    text = line.rstrip("\n")
    parts = text.split(None, 5)
    if len(parts) < 5:
        raise ProcMapsError(lineno, f"expected at least 5 fields, found {len(parts)}", text)
    rng, perms, offset, dev, inode = parts[:5]
    path = parts[5].strip() if len(parts) > 5 else ""
    if rng.count("-") != 1:
        raise ProcMapsError(lineno, "address range must be 'start-end' in hex", text)
    s_txt, e_txt = rng.split("-")
    if not _HEX.match(s_txt) or not _HEX.match(e_txt):
        raise ProcMapsError(lineno, "address range is not hexadecimal", text)
    start, end = int(s_txt, 16), int(e_txt, 16)
    if end <= start:
        raise ProcMapsError(lineno, f"range end {end:#x} is not above start {start:#x}", text)
    if start % PAGE_SIZE or end % PAGE_SIZE:
        raise ProcMapsError(lineno, "range is not page aligned (4 KiB)", text)
    if not _PERMS.match(perms):
        raise ProcMapsError(lineno, f"permissions {perms!r} are not of the form [r-][w-][x-][ps]",
                            text)
    if not _HEX.match(offset):
        raise ProcMapsError(lineno, f"offset {offset!r} is not hexadecimal", text)
    if not _DEV.match(dev):
        raise ProcMapsError(lineno, f"device {dev!r} is not 'major:minor' in hex", text)
    if not inode.isdigit():
        raise ProcMapsError(lineno, f"inode {inode!r} is not a decimal number", text)
    return MapsLine(start, end, perms, int(offset, 16), dev, int(inode), path, lineno)


def parse(text):
    """Parse a whole maps text: list of MapsLine in address order.

    Blank lines are skipped. The ``[vsyscall]`` gate page (above the user address space,
    not a VMA of the mm) is skipped. Lines must be ascending and must not overlap.
    """
    if not isinstance(text, str):
        raise TypeError(f"maps text must be str, got {type(text).__name__}")
    out = []
    for i, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        ml = parse_line(raw, i)
        if ml.path == "[vsyscall]" or ml.start >= TASK_SIZE + PAGE_SIZE:
            continue
        if out and ml.start < out[-1].end:
            raise ProcMapsError(i, f"range starts at {ml.start:#x}, below the end "
                                   f"{out[-1].end:#x} of line {out[-1].lineno}", raw)
        out.append(ml)
    return out
