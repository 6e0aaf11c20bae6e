"""mapletree: an interactive model of the Linux maple tree and of fork()'s __mt_dup().

The core (``mapletree.core``) mirrors lib/maple_tree.c of Linux 6.12 node for node;
``mapletree.mm`` models a process's VMAs and fork/exit; ``mapletree.viz`` records
operations as frames and draws them.
"""

from .core.alloc import GFP_KERNEL, GFP_NOWAIT, NodeAllocator
from .core.constants import (MM_MT_FLAGS, MT_FLAGS_ALLOC_RANGE, MT_FLAGS_LOCK_EXTERN,
                             MT_FLAGS_USE_RCU, ULONG_MAX)
from .core.dump import ranges_sha1, tree_sha1
from .core.dup import mt_dup, mtree_dup
from .core.entries import XA_ZERO_ENTRY, InternalEntry, xa_is_zero
from .core.errors import (DumpFormatError, EntryExistsError, FlagsMismatchError,
                          InvalidRangeError, MapleError, MapleTypeError, MapleValueError,
                          NoGapError, NoMemoryError, ReservedEntryError, ValidationError)
from .core.node import Node
from .core.state import MapleState
from .core.tree import MapleTree

__version__ = "0.1.0"

__all__ = [
    "MapleTree", "MapleState", "NodeAllocator", "Node", "mt_dup", "mtree_dup",
    "XA_ZERO_ENTRY", "InternalEntry", "xa_is_zero", "ULONG_MAX", "MM_MT_FLAGS",
    "MT_FLAGS_ALLOC_RANGE", "MT_FLAGS_USE_RCU", "MT_FLAGS_LOCK_EXTERN",
    "GFP_KERNEL", "GFP_NOWAIT", "tree_sha1", "ranges_sha1",
    "MapleError", "MapleTypeError", "MapleValueError", "InvalidRangeError",
    "ReservedEntryError", "FlagsMismatchError", "EntryExistsError", "NoGapError",
    "NoMemoryError", "DumpFormatError", "ValidationError",
]
