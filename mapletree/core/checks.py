"""Argument checks shared by the public API (the model's bad-input contract)."""

from .constants import ULONG_MAX
from .errors import InvalidRangeError, MapleTypeError


def check_index(value, name="index"):
    """An index must be an int (not bool) in [0, ULONG_MAX]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MapleTypeError(f"{name} must be an int, not {type(value).__name__} ({value!r})")
    if value < 0:
        raise InvalidRangeError(f"{name} {value} is negative; indices are unsigned")
    if value > ULONG_MAX:
        raise InvalidRangeError(f"{name} {value:#x} is above ULONG_MAX ({ULONG_MAX:#x})")
    return value


def check_range(first, last):
    """first and last valid, first <= last."""
    check_index(first, "first")
    check_index(last, "last")
    if first > last:
        raise InvalidRangeError(f"first ({first}) > last ({last}): an empty range")
    return first, last


def check_size(size):
    check_index(size, "size")
    if size == 0:
        raise InvalidRangeError("size must be at least 1")
    return size
