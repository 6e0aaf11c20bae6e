"""Exceptions raised by the maple tree model.

Every error carries the kernel errno it stands for (``err.errno``) where the kernel
has one, and subclasses the Python built-in a caller would expect (ValueError for
bad values, TypeError for wrong types, MemoryError for allocation failure).
"""

from .constants import EBUSY, EEXIST, EINVAL, ENOMEM


class MapleError(Exception):
    """Base class of every error the model raises."""

    errno = 0


class MapleTypeError(MapleError, TypeError):
    """An argument has the wrong type (for example a float index)."""

    errno = EINVAL


class MapleValueError(MapleError, ValueError):
    """An argument has the right type but an invalid value (-EINVAL)."""

    errno = EINVAL


class InvalidRangeError(MapleValueError):
    """An index is negative, above ULONG_MAX, or first > last."""


class ReservedEntryError(MapleValueError):
    """An internal (reserved) entry was passed where the API forbids it."""


class FlagsMismatchError(MapleValueError):
    """__mt_dup: the trees' attributes differ or the destination is not empty."""


class EntryExistsError(MapleError, KeyError):
    """mtree_insert_range: something is already stored in the range (-EEXIST)."""

    errno = EEXIST

    def __str__(self):  # KeyError quotes its argument; keep the message readable
        return str(self.args[0]) if self.args else "entry exists"


class NoGapError(MapleError, LookupError):
    """mas_empty_area(_rev): no gap of the requested size in the window (-EBUSY)."""

    errno = EBUSY


class NoMemoryError(MapleError, MemoryError):
    """A node allocation failed (-ENOMEM); the tree is left as it was."""

    errno = ENOMEM


class DumpFormatError(MapleValueError):
    """A tree dump (dict/JSON) is malformed."""


class ValidationError(MapleError, AssertionError):
    """mt_validate found a broken invariant; the message names the node and the rule."""
