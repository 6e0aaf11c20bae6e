"""mt_validate(): every check the kernel's validator makes.

Mirrors mt_validate, mas_validate_parent_slot, mas_validate_limits,
mas_validate_child_slot, mas_validate_gaps and mt_validate_nulls of
lib/maple_tree.c. Checks that are only a WARN in the kernel fail here too:
a model must not drift silently.
"""

from .constants import (MAPLE_ARANGE_64, MT_FLAGS_ALLOC_RANGE, MT_MIN_SLOTS, MT_PIVOTS,
                        MT_SLOTS, ULONG_MAX)
from .errors import ValidationError
from .gap import leaf_max_gap
from .node import Node


def _fail(node, lo, hi, rule, detail):
    raise ValidationError(f"{node.type_name} node #{node.nid} [{lo}-{hi}]: {rule}: {detail}")


def mt_validate(tree):
    """Check every node (post-order) and the NULL-merging rule."""
    root = tree.root
    if not isinstance(root, Node):
        if tree.height != 0:
            raise ValidationError(f"tree without nodes has height {tree.height} in its flags")
        return
    alloc = bool(tree.flags & MT_FLAGS_ALLOC_RANGE)
    depth_seen = set()
    order = []
    stack = [(root, 0, ULONG_MAX, 1)]
    while stack:
        node, lo, hi, depth = stack.pop()
        order.append((node, lo, hi, depth))
        if node.is_leaf:
            depth_seen.add(depth)
            continue
        end = node.data_end(hi)
        a = lo
        for i in range(end + 1):
            b = node.pivots[i] if (i < end and i < MT_PIVOTS[node.type]) else hi
            child = node.slots[i]
            if isinstance(child, Node):
                stack.append((child, a, b, depth + 1))
            a = b + 1
    if len(depth_seen) != 1:
        raise ValidationError(f"leaves at different depths: {sorted(depth_seen)}")
    leaf_depth = depth_seen.pop()
    if leaf_depth != tree.height:
        raise ValidationError(f"height in flags is {tree.height} but leaves are at depth {leaf_depth}")
    for node, lo, hi, _depth in reversed(order):
        _validate_node(tree, node, lo, hi, alloc)
    _validate_nulls(tree)


def _validate_node(tree, node, lo, hi, alloc):
    if node.dead:
        _fail(node, lo, hi, "dead node", "a freed node is still in the tree")
    mt = node.type
    if node.is_leaf and mt != 1:
        _fail(node, lo, hi, "node type", "leaves must be leaf_64")
    if not node.is_leaf:
        want = MAPLE_ARANGE_64 if alloc else 2
        if mt != want:
            _fail(node, lo, hi, "node type", f"internal nodes of this tree must be type {want}")
    end = node.data_end(hi)
    # minimum size
    if end < MT_MIN_SLOTS[mt] and hi != ULONG_MAX:
        _fail(node, lo, hi, "Invalid size", f"data end {end} < minimum {MT_MIN_SLOTS[mt]}")
    # parent slot
    if node.parent is not None:
        p = node.parent
        if p is node:
            _fail(node, lo, hi, "parent slot", "node is its own parent")
        if p.slots[node.parent_slot] is not node:
            _fail(node, lo, hi, "parent slot",
                  f"parent #{p.nid} slot {node.parent_slot} does not hold this node")
        for i, s in enumerate(p.slots):
            if s is node and i != node.parent_slot:
                _fail(node, lo, hi, "parent slot", f"parent also holds this node in slot {i}")
    # limits
    npiv = MT_PIVOTS[mt]
    prev = lo
    i = 0
    while i < MT_SLOTS[mt]:
        piv = node.pivots[i] if i < npiv else hi
        if not piv and i:
            _fail(node, lo, hi, "Missing node limit pivot", f"pivot {i} is 0")
        if piv < prev:
            _fail(node, lo, hi, "pivot order", f"pivot {i} ({piv}) < previous ({prev})")
        if piv < lo or piv > hi:
            _fail(node, lo, hi, "pivot out of range", f"pivot {i} = {piv}")
        if i and piv == prev and not (i == 0):
            _fail(node, lo, hi, "empty slot range", f"pivot {i} equals the previous pivot")
        prev = piv
        if piv == hi:
            break
        i += 1
    if end != i:
        _fail(node, lo, hi, "data end", f"metadata/limit says {end} but the limit pivot is at {i}")
    for j in range(i + 1, MT_SLOTS[mt]):
        if node.slots[j] is not None:
            _fail(node, lo, hi, "slot after end", f"slot {j} is not NULL")
        if j < npiv and node.pivots[j]:
            _fail(node, lo, hi, "pivot after end", f"pivot {j} = {node.pivots[j]}")
    # children
    if not node.is_leaf:
        a = lo
        for j in range(end + 1):
            child = node.slots[j]
            if not isinstance(child, Node):
                _fail(node, lo, hi, "child slot", f"slot {j} holds no node")
            if child.parent is not node:
                _fail(node, lo, hi, "child parent", f"child in slot {j} has another parent")
            if child.parent_slot != j:
                _fail(node, lo, hi, "child parent slot",
                      f"child in slot {j} records parent slot {child.parent_slot}")
    # gaps
    if alloc:
        if node.is_leaf:
            max_gap = _leaf_gap_validate(node, lo, hi)
        else:
            max_gap = 0
            a = lo
            for j in range(end + 1):
                b = node.pivots[j] if j < end else hi
                g = node.gaps[j]
                if g > b - a + 1:
                    _fail(node, lo, hi, "gap too large", f"gap[{j}] = {g} > child size {b - a + 1}")
                max_gap = max(max_gap, g)
                a = b + 1
            if node.meta_gap > end:
                _fail(node, lo, hi, "meta gap", f"meta.gap {node.meta_gap} > end {end}")
            if node.gaps[node.meta_gap] != max_gap:
                _fail(node, lo, hi, "meta gap",
                      f"gap[meta.gap={node.meta_gap}] = {node.gaps[node.meta_gap]} "
                      f"but the largest gap is {max_gap}")
            for j in range(end + 1, len(node.gaps)):
                if node.gaps[j]:
                    _fail(node, lo, hi, "gap after end", f"gap[{j}] = {node.gaps[j]}")
        if node.parent is not None:
            if max_gap > hi:
                _fail(node, lo, hi, "gap", f"max gap {max_gap} > node max {hi}")
            pg = node.parent.gaps[node.parent_slot]
            if pg != max_gap:
                _fail(node, lo, hi, "parent gap",
                      f"parent #{node.parent.nid} records gap {pg}, the node's largest gap is {max_gap}")


def _leaf_gap_validate(node, lo, hi):
    """mas_validate_gaps() for a leaf: the size of each NULL slot."""
    end = node.data_end(hi)
    max_gap = 0
    a = lo
    for j in range(end + 1):
        b = node.pivots[j] if j < end else hi
        if node.slots[j] is None:
            max_gap = max(max_gap, (b - a + 1) & ULONG_MAX)
        a = b + 1
    # the kernel's stored gaps follow mas_leaf_max_gap; they agree for valid trees
    computed = leaf_max_gap(node, lo, hi) if node.parent is not None else max_gap
    if node.parent is not None and computed != max_gap:
        _fail(node, lo, hi, "leaf gap", f"computed {computed}, slot scan {max_gap}")
    return max_gap


def _validate_nulls(tree):
    """mt_validate_nulls(): no two consecutive NULL slots, across leaves."""
    prev_null = False
    prev_range = None
    for a, b, e in tree.ranges(include_null=True):
        if e is None and prev_null:
            raise ValidationError(f"Sequential nulls: [{prev_range[0]}-{prev_range[1]}] and "
                                  f"[{a}-{b}] are both NULL")
        prev_null = e is None
        prev_range = (a, b)
