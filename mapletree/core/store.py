"""Store entry points: mas_store_gfp, mas_store, mas_insert, mas_erase.

Each returns a kernel-style result (0 or -errno, plus the old entry where the
kernel returns one); the Pythonic wrappers in tree.py and state.py turn errors
into exceptions.
"""

from . import trace
from .alloc import GFP_KERNEL
from .constants import EEXIST, EINVAL
from .mas import (MA_ERROR, MA_STATE_PREALLOC, mas_destroy, mas_node_count, mas_nomem,
                  mas_reset, mas_set_err, mas_start, mas_state_walk)
from .write import (WrState, mas_prealloc_calc, mas_wr_prealloc_setup, mas_wr_preallocate,
                    mas_wr_store_entry, mas_wr_store_type, rewalk)


def _finish(mas):
    if mas.status != MA_ERROR:
        rewalk(mas)


def mas_store_gfp(mas, entry, gfp=GFP_KERNEL):
    """mas_store_gfp(): store with GFP_NOWAIT first, then retry with ``gfp``.
    Returns 0 or -ENOMEM."""
    index, last = mas.index, mas.last
    wr = WrState(mas, entry)
    mas.rsv.new = []
    with trace.call("mas_store_gfp"):
        while True:
            mas_wr_preallocate(wr, entry)
            if mas_nomem(mas, gfp):
                if entry is None:
                    mas.index, mas.last = index, last
                continue
            break
        if mas.status == MA_ERROR:
            ret = mas.err
        else:
            mas_wr_store_entry(wr)
            ret = 0
        mas_destroy(mas)
    _finish(mas)
    return ret


def mas_store(mas, entry):
    """mas_store(): one GFP_NOWAIT attempt, no retry. Returns (old, err)."""
    wr = WrState(mas, entry)
    mas.rsv.new = []
    if mas.index > mas.last:
        mas_set_err(mas, -EINVAL)
        return None, -EINVAL
    with trace.call("mas_store"):
        mas_wr_prealloc_setup(wr)
        mas_wr_store_type(wr)
        if mas.mas_flags & MA_STATE_PREALLOC:
            mas_wr_store_entry(wr)
            _finish(mas)
            return wr.content, 0
        request = mas_prealloc_calc(mas, entry)
        if trace.TRACER is not None:
            trace.emit("store_type", "mas_wr_store_type",
                       f"Store [{mas.index}, {mas.last}] takes the {mas.store_type} path; "
                       f"it asks for {request} node(s).", trees=(mas.tree,),
                       store_type=mas.store_type, request=request)
        if request:
            mas_node_count(mas, request)
            if mas.status == MA_ERROR:
                err = mas.err
                # the caller's mas_destroy()/vma_iter_free() hands back partial nodes
                mas_destroy(mas)
                mas.status = MA_ERROR
                mas.err = err
                return None, err
        mas_wr_store_entry(wr)
        mas_destroy(mas)
    _finish(mas)
    return wr.content, 0


def mas_insert(mas, entry):
    """mas_insert(): store only if nothing is there. Returns the existing content
    and sets -EEXIST in the state when occupied."""
    wr = WrState(mas, entry)
    wr.content = mas_start(mas)
    if wr.content is not None:
        mas_set_err(mas, -EEXIST)
        return wr.content
    mas_wr_preallocate(wr, entry)
    if mas.status == MA_ERROR:
        return None
    if mas.store_type == "spanning_store":
        mas_set_err(mas, -EEXIST)
        return wr.content
    if mas.store_type not in ("new_root", "store_root"):
        wr.offset_end = mas.offset
        wr.end_piv = wr.r_max
        if wr.content is not None or mas.last > wr.r_max:
            mas_set_err(mas, -EEXIST)
            return wr.content
    mas_wr_store_entry(wr)
    return wr.content


def mtree_insert_range(mas, entry, gfp=GFP_KERNEL):
    """mtree_insert_range() after argument checks. Returns 0, -EEXIST or -ENOMEM."""
    mas.rsv.new = []
    with trace.call("mtree_insert_range"):
        while True:
            mas_insert(mas, entry)
            if mas_nomem(mas, gfp):
                continue
            break
        ret = mas.err if mas.status == MA_ERROR else 0
        mas_destroy(mas)
    if not ret:
        rewalk(mas)
    return ret


def mas_erase(mas, gfp=GFP_KERNEL):
    """mas_erase(): store NULL over the whole range of the entry at mas.index.
    Returns (old entry, err); the kernel returns the entry even on -ENOMEM."""
    index = mas.index
    wr = WrState(mas, None)
    mas.rsv.new = []
    mas_reset(mas)
    with trace.call("mas_erase"):
        while True:
            entry = mas_state_walk(mas)
            if entry is None:
                return None, 0
            mas_reset(mas)
            mas_wr_preallocate(wr, None)
            if mas_nomem(mas, gfp):
                mas.index = mas.last = index
                continue
            break
        err = 0
        if mas.status == MA_ERROR:
            err = mas.err
        else:
            mas_wr_store_entry(wr)
        mas_destroy(mas)
    if not err:
        rewalk(mas)
    return entry, err
