"""Dumps: mt_dump text, the golden dict format and its two hashes.

Mirrors mt_dump / mt_dump_node / mt_dump_entry / mt_dump_range of
lib/maple_tree.c for the text, and the JSON dump of the conformance data for
the dict form.
"""

import hashlib
import json

from .alloc import NodeAllocator
from .constants import (MAPLE_ARANGE_64, MT_FLAGS_HEIGHT_MASK, MT_FLAGS_HEIGHT_OFFSET,
                        MT_FLAGS_VALID, MT_PIVOTS, MT_SLOTS, TYPE_BY_NAME, TYPE_NAMES,
                        ULONG_MAX)
from .entries import InternalEntry, XA_ZERO_ENTRY
from .errors import DumpFormatError
from .node import Node


# --- entries <-> JSON ------------------------------------------------------------

def entry_to_json(entry):
    """Leaf slot content in the golden format: int, None, "zero", "reserved:N"."""
    if entry is None:
        return None
    if entry is XA_ZERO_ENTRY:
        return "zero"
    if isinstance(entry, InternalEntry):
        return f"reserved:{entry.value}"
    if isinstance(entry, bool) or not isinstance(entry, int):
        label = getattr(entry, "dump_value", None)
        if label is not None:
            return label() if callable(label) else label
        return repr(entry)
    return entry


def entry_from_json(value, where):
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    if value == "zero":
        return XA_ZERO_ENTRY
    if isinstance(value, str) and value.startswith("reserved:"):
        try:
            return InternalEntry(int(value[9:]))
        except (ValueError, TypeError):
            pass
    raise DumpFormatError(f"{where}: {value!r} is not a valid entry "
                          "(int >= 0, null, \"zero\" or \"reserved:N\")")


# --- tree -> dict ----------------------------------------------------------------

def node_to_dict(node, lo, hi):
    end = node.data_end(hi)
    d = {"type": TYPE_NAMES[node.type], "min": lo, "max": hi, "end": end,
         "pivots": list(node.pivots[:end])}
    if node.is_leaf:
        d["slots"] = [entry_to_json(node.slots[i]) for i in range(end + 1)]
    else:
        kids = []
        a = lo
        for i in range(end + 1):
            b = node.pivots[i] if (i < end and i < MT_PIVOTS[node.type]) else hi
            kids.append(node_to_dict(node.slots[i], a, b))
            a = b + 1
        d["slots"] = kids
    if node.type == MAPLE_ARANGE_64:
        d["gaps"] = list(node.gaps[:end + 1])
        d["meta_gap"] = node.meta_gap
    return d


def tree_to_dict(tree):
    root = tree.root
    if root is None:
        r = None
    elif isinstance(root, Node):
        r = node_to_dict(root, 0, ULONG_MAX)
    else:
        r = {"entry": entry_to_json(root)}
    return {"flags": tree.flags, "height": tree.height, "root": r}


def _h(obj):
    return hashlib.sha1(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
                        ).hexdigest()[:16]


def tree_sha1(tree_or_dict):
    """The golden ``tree_sha1`` of a tree (or of its dict dump)."""
    d = tree_or_dict if isinstance(tree_or_dict, dict) else tree_to_dict(tree_or_dict)
    return _h(d)


def ranges_sha1(tree):
    """The golden ``ranges_sha1``: non-NULL leaf slots in index order."""
    return _h([[a, b, entry_to_json(e)] for a, b, e in tree.ranges()])


# --- dict -> tree ----------------------------------------------------------------

def _need(d, key, types, where):
    if not isinstance(d, dict):
        raise DumpFormatError(f"{where}: expected an object, got {type(d).__name__}")
    if key not in d:
        raise DumpFormatError(f"{where}: missing key {key!r}")
    v = d[key]
    if not isinstance(v, types) or isinstance(v, bool):
        raise DumpFormatError(f"{where}.{key}: expected {types}, got {v!r}")
    return v


def _build(d, lo, hi, alloc, where, tree_alloc):
    tname = _need(d, "type", str, where)
    if tname not in TYPE_BY_NAME or tname == "dense":
        raise DumpFormatError(f"{where}.type: unknown or unsupported node type {tname!r}")
    ntype = TYPE_BY_NAME[tname]
    if _need(d, "min", int, where) != lo or _need(d, "max", int, where) != hi:
        raise DumpFormatError(f"{where}: min/max {d.get('min')}-{d.get('max')} do not match "
                              f"the parent's slot {lo}-{hi}")
    end = _need(d, "end", int, where)
    pivots = _need(d, "pivots", list, where)
    slots = _need(d, "slots", list, where)
    if not 0 <= end < MT_SLOTS[ntype]:
        raise DumpFormatError(f"{where}.end: {end} out of range for {tname}")
    if len(pivots) != end or len(slots) != end + 1:
        raise DumpFormatError(f"{where}: end {end} needs {end} pivots and {end + 1} slots, "
                              f"got {len(pivots)} and {len(slots)}")
    prev = lo - 1
    for i, p in enumerate(pivots):
        if isinstance(p, bool) or not isinstance(p, int) or not (lo <= p <= hi) or p <= prev:
            raise DumpFormatError(f"{where}.pivots[{i}]: {p!r} is not increasing within {lo}-{hi}")
        prev = p
    if end and pivots[-1] >= hi:
        raise DumpFormatError(f"{where}.pivots: the last pivot must be below max {hi}")
    node = alloc.new_node(ntype)
    tree_alloc.append(node)
    node.pivots[:end] = pivots
    if end < MT_PIVOTS[ntype]:
        node.pivots[end] = hi
    node.set_meta(end, 0)
    a = lo
    for i, s in enumerate(slots):
        b = pivots[i] if i < end else hi
        if ntype < 2:
            node.slots[i] = entry_from_json(s, f"{where}.slots[{i}]")
        else:
            child = _build(s, a, b, alloc, f"{where}.slots[{i}]", tree_alloc)
            if ntype == MAPLE_ARANGE_64 and child.type == 2:
                raise DumpFormatError(f"{where}: arange_64 node with a range_64 child")
            child.parent = node
            child.parent_slot = i
            node.slots[i] = child
        a = b + 1
    if ntype == MAPLE_ARANGE_64:
        gaps = _need(d, "gaps", list, where)
        mg = _need(d, "meta_gap", int, where)
        if len(gaps) != end + 1 or any(isinstance(g, bool) or not isinstance(g, int) or g < 0
                                       for g in gaps):
            raise DumpFormatError(f"{where}.gaps: need {end + 1} non-negative ints")
        if not 0 <= mg <= end:
            raise DumpFormatError(f"{where}.meta_gap: {mg} is past end {end}")
        node.gaps[:end + 1] = gaps
        node.meta_end = end
        node.meta_gap = mg
    return node


def tree_from_dict(data, allocator=None):
    """Rebuild a tree from its dict dump; nothing is changed on error."""
    from .tree import MapleTree
    if not isinstance(data, dict):
        raise DumpFormatError(f"a tree dump must be an object, not {type(data).__name__}")
    flags = _need(data, "flags", int, "tree")
    height = _need(data, "height", int, "tree")
    if "root" not in data:
        raise DumpFormatError("tree: missing key 'root'")
    if (flags & MT_FLAGS_HEIGHT_MASK) >> MT_FLAGS_HEIGHT_OFFSET != height:
        raise DumpFormatError(f"tree: height {height} disagrees with flags {flags:#x}")
    attr = flags & ~MT_FLAGS_HEIGHT_MASK
    if attr & ~MT_FLAGS_VALID:
        raise DumpFormatError(f"tree: unknown flag bits in {flags:#x}")
    scratch = NodeAllocator()
    made = []
    root = data["root"]
    if root is None:
        built = None
        if height:
            raise DumpFormatError("tree: an empty tree has height 0")
    elif isinstance(root, dict) and set(root) == {"entry"}:
        built = entry_from_json(root["entry"], "tree.root.entry")
        if built is None or height:
            raise DumpFormatError("tree: a root entry is non-NULL and has height 0")
    else:
        built = _build(root, 0, ULONG_MAX, scratch, "tree.root", made)
        depth, n = 0, built
        while True:
            depth += 1
            if n.is_leaf:
                break
            n = n.slots[0]
        if depth != height:
            raise DumpFormatError(f"tree: height {height} but the nodes are {depth} levels deep")
    tree = MapleTree(attr, allocator)
    alloc = tree.allocator
    for node in made:
        alloc.allocated += 1
        alloc._nid += 1
        node.nid = alloc._nid
    tree.root = built
    tree.flags = flags
    return tree


# --- mt_dump text ---------------------------------------------------------------

def _addr(node):
    return f"0x{node.nid * 256:x}"


def _entry_text(entry):
    if entry is XA_ZERO_ENTRY:
        return "zero (257)"
    if isinstance(entry, InternalEntry):
        return f"UNKNOWN ENTRY ({entry.raw:#x})"
    if entry is None:
        return "(null)"
    if isinstance(entry, int) and not isinstance(entry, bool):
        return f"value {entry} (0x{entry:x})"
    return repr(entry)


def _rng(lo, hi, depth, fmt):
    pad = "  " * depth
    f = (lambda v: f"{v:x}") if fmt == "hex" else str
    return f"{pad}{f(lo)}: " if lo == hi else f"{pad}{f(lo)}-{f(hi)}: "


def _slot_text(s):
    """A raw slot as mt_dump's ``%p`` shows it: node addresses, xa_mk_value()
    encodings for integers, the internal encoding for reserved entries."""
    if isinstance(s, Node):
        return _addr(s)
    if s is None:
        return "(null)"
    if isinstance(s, InternalEntry):
        return f"{s.raw:#x}"
    if isinstance(s, int) and not isinstance(s, bool):
        return f"{(s << 1) | 1:#x}"
    return repr(s)


def mt_dump(tree, fmt="dec"):
    """mt_dump(): the kernel's dump format (addresses are stand-ins)."""
    out = [f"maple_tree(0xffff0000) flags {tree.flags:X}, height {tree.height} "
           f"root {_addr(tree.root) if isinstance(tree.root, Node) else _slot_text(tree.root)}"]
    root = tree.root
    if not isinstance(root, Node):
        out.append(_rng(0, 0, 0, fmt) + _entry_text(root))
        return "\n".join(out) + "\n"
    pf = (lambda v: f"{v:X}") if fmt == "hex" else str
    gf = (lambda v: f"{v:x}") if fmt == "hex" else str

    def node_lines(node, lo, hi, depth):
        parent = "tree" if node.parent is None else _addr(node.parent)
        head = _rng(lo, hi, depth, fmt) + (f"node {_addr(node)} depth {depth} type {node.type} "
                                          f"parent {parent} contents: ")
        if node.type == MAPLE_ARANGE_64:
            body = "".join(f"{gf(g)} " for g in node.gaps)
            body += f"| {node.meta_end:02X} {node.meta_gap:02X}| "
        else:
            body = ""
        npiv = MT_PIVOTS[node.type]
        body += "".join(f"{_slot_text(node.slots[i])} {pf(node.pivots[i])} " for i in range(npiv))
        body += _slot_text(node.slots[npiv])
        out.append(head + body)
        a = lo
        for i in range(MT_SLOTS[node.type]):
            b = node.pivots[i] if i < npiv else hi
            if i == npiv and node.slots[i] is None and hi != ULONG_MAX:
                break
            if b == 0 and i > 0:
                break
            if node.is_leaf:
                out.append(_rng(a, b, depth + 1, fmt) + _entry_text(node.slots[i]))
            elif node.slots[i] is not None:
                node_lines(node.slots[i], a, b, depth + 1)
            if b == hi:
                break
            if b > hi:
                out.append(f"node {_addr(node)} last ({b}) > max ({hi}) at pivot {i}!")
                break
            a = b + 1

    node_lines(root, 0, ULONG_MAX, 0)
    return "\n".join(out) + "\n"
