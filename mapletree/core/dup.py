"""Tree duplication and destruction: __mt_dup, mtree_dup, __mt_destroy.

Mirrors mas_dup_build, mas_dup_alloc, mas_copy_node, mas_dup_free, __mt_dup,
mtree_dup and __mt_destroy of lib/maple_tree.c.
"""

from . import trace
from .alloc import GFP_KERNEL
from .constants import ULONG_MAX
from .errors import FlagsMismatchError, MapleTypeError, NoMemoryError
from .node import Node, slot_bounds


def _check(src, dst):
    from .tree import MapleTree
    if not isinstance(src, MapleTree) or not isinstance(dst, MapleTree):
        raise MapleTypeError("__mt_dup needs two MapleTree objects")
    if src is dst:
        raise FlagsMismatchError("__mt_dup: source and destination are the same tree (-EINVAL)")
    if src.attr != dst.attr:
        raise FlagsMismatchError(
            f"__mt_dup: attributes differ (source {src.attr:#x}, destination {dst.attr:#x}); "
            "flags other than the height must be equal (-EINVAL)")
    if dst.root is not None:
        raise FlagsMismatchError("__mt_dup: the destination tree is not empty (-EINVAL)")


def mas_dup_build(src, dst, gfp=GFP_KERNEL):
    """mas_dup_build(): copy ``src`` into the empty ``dst`` in depth-first
    pre-order; the root alone, then each internal node's children in one bulk
    allocation. On -ENOMEM every new node is freed and ``dst`` stays empty."""
    alloc = dst.allocator
    root = src.root
    if not isinstance(root, Node):
        dst.flags = src.flags
        dst.root = root
        return
    trees = (dst, src)
    if not alloc.alloc_one(gfp):
        if trace.TRACER is not None:
            trace.emit("failure", "mas_dup_build",
                       "The very first node (the new root) could not be allocated: -ENOMEM, "
                       "nothing to undo.", trees=trees)
        raise NoMemoryError("__mt_dup: could not allocate the root node (-ENOMEM); "
                            "the destination is still empty")
    new_root = alloc.new_node(root.type)
    made = [new_root]
    # iterative pre-order: (old node, new node, min, max)
    stack = [(root, new_root, 0, ULONG_MAX)]
    try:
        while stack:
            old, new, lo, hi = stack.pop()
            parent, pslot = new.parent, new.parent_slot
            new.copy_from(old)
            new.parent, new.parent_slot = parent, pslot
            if trace.TRACER is not None:
                trace.emit("node_copy", "mas_copy_node",
                           f"Copy the {old.type_name} node covering [{lo}, {hi}] "
                           "byte for byte; only its parent pointer changes.",
                           trees=trees, nodes={"copied": [new]}, source=old, min=lo, max=hi)
            if old.is_leaf:
                continue
            count = old.data_end(hi) + 1
            if alloc.alloc_bulk(count, gfp) != count:
                for i in range(count):
                    new.slots[i] = None
                if trace.TRACER is not None:
                    trace.emit("failure", "mas_dup_alloc",
                               f"The bulk allocation of {count} children failed: -ENOMEM.",
                               trees=trees, nodes={"modified": [new]})
                raise MemoryError
            kids = []
            for i in range(count):
                child = alloc.new_node(old.slots[i].type)
                child.parent = new
                child.parent_slot = i
                new.slots[i] = child
                made.append(child)
                a, b = slot_bounds(old, i, lo, hi)
                kids.append((old.slots[i], child, a, b))
            if trace.TRACER is not None:
                trace.emit("alloc", "mas_dup_alloc",
                           f"Allocate all {count} children of this node in one bulk request.",
                           trees=trees, nodes={"new": [k[1] for k in kids]}, count=count)
            stack.extend(reversed(kids))
    except MemoryError:
        alloc.free(len(made))
        for n in made:
            n.dead = True
        if trace.TRACER is not None:
            trace.emit("free", "mas_dup_free",
                       f"Free the {len(made)} node(s) of the partial copy; the destination "
                       "stays empty.", trees=trees, nodes={"freed": list(made)})
        raise NoMemoryError("__mt_dup: node allocation failed (-ENOMEM); the partial copy "
                            "was freed and the destination is still empty") from None
    new_root.parent = None
    dst.flags = src.flags
    dst.root = new_root


def mt_dup(src, dst, gfp=GFP_KERNEL):
    """__mt_dup(): duplicate ``src`` into the empty ``dst`` (same attributes).
    Raises FlagsMismatchError (-EINVAL) or NoMemoryError (-ENOMEM)."""
    _check(src, dst)
    with trace.call("__mt_dup"):
        if trace.TRACER is not None:
            trace.emit("begin", "__mt_dup", "Duplicate the tree node by node (pre-order).",
                       trees=(dst, src))
        mas_dup_build(src, dst, gfp)
        if trace.TRACER is not None:
            trace.emit("end", "__mt_dup", "The copy is complete: same shape, same entries.",
                       trees=(dst, src))


def mtree_dup(src, dst, gfp=GFP_KERNEL):
    """mtree_dup(): __mt_dup with both trees' locks taken (no difference here)."""
    _check(src, dst)
    with trace.call("mtree_dup"):
        mas_dup_build(src, dst, gfp)


def mt_destroy(tree):
    """__mt_destroy(): free every node, root := NULL, flags := mt_attr(tree)."""
    from .write import mte_destroy_walk
    root = tree.root
    tree.root = None
    freed = 0
    if isinstance(root, Node):
        with trace.call("__mt_destroy"):
            freed = mte_destroy_walk(root, tree)
    tree.flags = tree.attr
    if trace.TRACER is not None:
        trace.emit("teardown", "__mt_destroy",
                   f"Destroy the tree: {freed} node(s) freed; the tree is empty.",
                   trees=(tree,), count=freed)
    return freed
