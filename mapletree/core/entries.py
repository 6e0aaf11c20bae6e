"""Reserved (internal) entries: XA_ZERO_ENTRY and friends.

Mirrors include/linux/xarray.h: ``xa_mk_internal``, ``xa_is_internal``,
``xa_is_zero``, ``xa_is_advanced`` and ``mt_is_reserved``. User entries are any
Python objects; ``None`` is NULL. Internal entries are instances of
:class:`InternalEntry`, a small immutable value with the kernel's number.
"""


class InternalEntry:
    """An XArray internal entry, ``xa_mk_internal(value)``; compare with ``is``."""

    __slots__ = ("value",)
    _cache = {}

    def __new__(cls, value):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise TypeError("internal entry number must be a non-negative int")
        obj = cls._cache.get(value)
        if obj is None:
            obj = super().__new__(cls)
            object.__setattr__(obj, "value", value)
            cls._cache[value] = obj
        return obj

    def __setattr__(self, name, val):
        raise AttributeError("internal entries are immutable")

    @property
    def raw(self):
        """The pointer-sized value the kernel stores: ``(value << 2) | 2``."""
        return (self.value << 2) | 2

    def __repr__(self):
        if self.value == 257:
            return "XA_ZERO_ENTRY"
        if self.value == 256:
            return "XA_RETRY_ENTRY"
        return f"xa_mk_internal({self.value})"

    def __reduce__(self):
        return (InternalEntry, (self.value,))


XA_RETRY_ENTRY = InternalEntry(256)
XA_ZERO_ENTRY = InternalEntry(257)


def xa_is_internal(entry):
    """xa_is_internal(): the entry is a reserved internal value."""
    return isinstance(entry, InternalEntry)


def xa_is_zero(entry):
    """xa_is_zero(): the entry is XA_ZERO_ENTRY."""
    return entry is XA_ZERO_ENTRY


def xa_is_advanced(entry):
    """xa_is_advanced(): internal and <= XA_RETRY_ENTRY (refused by mtree_store_range)."""
    return isinstance(entry, InternalEntry) and entry.raw <= XA_RETRY_ENTRY.raw


def mt_is_reserved(entry):
    """mt_is_reserved(): internal and below MAPLE_RESERVED_RANGE (4096)."""
    return isinstance(entry, InternalEntry) and entry.raw < 4096
