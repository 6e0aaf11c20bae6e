"""Hooks through which an operation can be recorded step by step.

The core never imports anything above it. A recorder (see ``mapletree.viz``)
installs a tracer with :func:`install`; while one is installed the core reports
events through :func:`emit` and the chain of kernel functions at work through
:func:`call`. With no tracer installed both are a single ``if``.

A tracer is any object with a method::

    event(kind, func, text, *, chain, trees, nodes, info)

``kind`` is one of EVENT_KINDS, ``func`` the kernel function at work, ``text``
one sentence of narration, ``chain`` the caller chain (outermost first, ending
with ``func``), ``trees`` the trees the event concerns (first = primary),
``nodes`` a dict ``{"new": [...], "copied": [...], "modified": [...],
"freed": [...], "focus": [...]}`` of core Node objects ("focus": the node the
step works on, unchanged), ``info`` extra data (e.g. slot numbers).
"""

from contextlib import contextmanager

EVENT_KINDS = (
    "begin",        # an operation starts
    "walk",         # the walk reached a node
    "store_type",   # mas_wr_store_type chose a path
    "alloc",        # nodes were allocated (or an allocation failed)
    "free",         # nodes were freed
    "write",        # slots of a node were written in place
    "node_store",   # a node was rebuilt
    "split",        # a node split
    "push",         # data pushed into a sibling
    "rebalance",    # a rebalance / spanning rebuild
    "spanning",     # a spanning store
    "new_root",     # a new root installed / height changed
    "node_copy",    # __mt_dup copied a node
    "gap",          # gap metadata updated
    "failure",      # an operation failed
    "end",          # an operation finished
    "marker",       # XA_ZERO_ENTRY stored (process layer)
    "teardown",     # cleanup action (process layer)
    "fork",         # fork-loop step (process layer)
    "note",         # anything else worth a frame
)

TRACER = None
_CHAIN = []


def install(tracer):
    """Install ``tracer`` (or None); returns the previous one."""
    global TRACER
    prev = TRACER
    TRACER = tracer
    return prev


@contextmanager
def tracing(tracer):
    """Context manager: install ``tracer`` for the duration of the block."""
    prev = install(tracer)
    saved = list(_CHAIN)
    _CHAIN.clear()
    try:
        yield tracer
    finally:
        install(prev)
        _CHAIN[:] = saved


class _NullCall:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


_NULL = _NullCall()


class _Call:
    __slots__ = ("func",)

    def __init__(self, func):
        self.func = func

    def __enter__(self):
        _CHAIN.append(self.func)

    def __exit__(self, *exc):
        _CHAIN.pop()
        return False


def call(func):
    """Context manager marking that kernel function ``func`` is at work."""
    if TRACER is None:
        return _NULL
    return _Call(func)


def chain():
    """The current caller chain (outermost first)."""
    return tuple(_CHAIN)


def emit(kind, func, text, trees=(), nodes=None, **info):
    """Report one event to the installed tracer (no-op without one)."""
    if TRACER is None:
        return
    ch = tuple(_CHAIN)
    if not ch or ch[-1] != func:
        ch = ch + (func,)
    TRACER.event(kind, func, text, chain=ch, trees=tuple(trees),
                 nodes=nodes or {}, info=info)
