"""Frames → Graphviz diagrams (DOT source and SVG).

Each maple node is an HTML-like table: a header (type, nid, ``[min, max]``,
``end``; the largest-gap offset for ``arange_64``), a row of slots (entries as
labels, ``NULL`` grey, the ``XA_ZERO`` marker white on black; in internal
nodes one port per child, with the child's gap for ``arange_64``) and a row of
pivots (``≤ p``; the last slot ends at the node's max). Edges run from slot
ports to children.

Colour and line style carry the frame's changes (node border and header) and
the entries' roles (slot colour); a legend names only what the recording uses.

Positions are stable across the frames of one recording: a :class:`Layout`
collects every node (and collapsed stub) that ever appears, gives each a
place (nodes that replace each other at the same spot, never alive together,
share one), pads every node to the widest it ever gets with fixed-size cells,
and draws absent ones as invisible placeholders. Large trees collapse subtrees
off the path of interest into counted stubs.
"""

from __future__ import annotations

import html
import re
import shutil

from mapletree.core.constants import ULONG_MAX

from .record import EntrySnap, Frame, NodeSnap, TreeSnap

CHANGE_STYLE = {
    # change: (border colour, header fill, border style, description)
    "new": ("#1a9641", "#c7e9c0", "solid", "new node (allocated and written)"),
    "copied": ("#2166ac", "#c6dbef", "solid", "node copied (__mt_dup)"),
    "modified": ("#e66101", "#fdd8a8", "solid", "node modified in place"),
    "freed": ("#969696", "#f0f0f0", "dashed", "node freed (ghost)"),
    "focus": ("#7b3294", "#fff7bc", "solid", "node the step works on"),
}
PLAIN_BORDER = ("#404040", "#eeeeee", "solid")

ROLE_STYLE = {
    # role: (fill, font colour, description)
    "null": ("#ffffff", "#a0a0a0", "NULL slot (a gap)"),
    "value": ("#ffffff", "#000000", "entry"),
    "vma": ("#deebf7", "#08306b", "VMA"),
    "child": ("#a1d99b", "#00441b", "child VMA (copied by this fork)"),
    "stale": ("#fcae91", "#67000d", "stale parent VMA pointer"),
    "dontcopy": ("#dadaeb", "#3f007d", "VM_DONTCOPY VMA (to be cleared)"),
    "marker": ("#000000", "#ffffff", "XA_ZERO_ENTRY marker"),
    "torn": ("#bdbdbd", "#404040", "torn down"),
    "internal": ("#fee391", "#662506", "internal entry"),
    "parent": ("#fdd0a2", "#7f2704", "parent VMA"),
}
#: line style of a slot's border by role (so roles read without colour too)
ROLE_LINE = {"stale": "dashed", "dontcopy": "dotted"}
WRITTEN_COLOR = "#d7191c"

FONT = "Helvetica"
CELL_H = 20
MAX_NODES = 48


class GraphvizMissingError(RuntimeError):
    """Graphviz ``dot`` is not installed."""


HINT = ("Graphviz 'dot' not found on PATH. Install it: apt-get install -y graphviz | "
        "conda install -c conda-forge graphviz python-graphviz | "
        "pip install graphviz-pure && ln -s $(command -v graphviz-pure) $VIRTUAL_ENV/bin/dot")


# --------------------------------------------------------------------------- formatting

def fmt_index(v):
    """An index as drawn: ``MAX`` for ULONG_MAX, hex for large values."""
    if v == ULONG_MAX:
        return "MAX"
    if v >= 100000:
        return f"{v:#x}"
    return str(v)


def _esc(text):
    return html.escape(str(text), quote=True)


def _nid_text(nid):
    return f"#{nid}" if isinstance(nid, int) else str(nid)


# --------------------------------------------------------------------------- items

class _Item:
    """Something drawn at one place in one frame (node, ghost, stub, root box)."""

    __slots__ = ("key", "tree", "depth", "min", "kind", "cells", "parent", "port", "node",
                 "text", "change")

    def __init__(self, key, tree, depth, lo, kind, cells, parent=None, port=None, node=None,
                 text="", change=None):
        self.key, self.tree, self.depth, self.min, self.kind = key, tree, depth, lo, kind
        self.cells, self.parent, self.port, self.node = cells, parent, port, node
        self.text, self.change = text, change


def _interest(frame, tree_i, tree):
    nids = set(frame.new) | frame.copied | frame.modified | frame.focus | set(frame.written)
    focus = frame.info.get("focus_nids") if frame.info else None
    if focus:
        nids |= set(focus)
    for g in frame.ghosts:
        if g.tree == tree_i and g.parent is not None:
            nids.add(g.parent)
    return nids


def _shown_set(tree, interest, max_nodes, min_depth=1):
    """Nodes drawn when the tree is collapsed: paths to interesting nodes + top levels."""
    shown = set()
    root = tree.root_node

    def visit(n, depth):
        hit = n.nid in interest
        if not n.is_leaf:
            for c in n.children():
                if visit(c, depth + 1):
                    hit = True
        if hit or depth <= min_depth - 1 or depth == 0:
            shown.add(n.nid)
        return hit

    visit(root, 0)
    # the children of every shown node on a path are shown too (siblings give context)
    extra = set()
    for n, d, p, s in tree.nodes():
        if n.nid in shown and not n.is_leaf and (n.nid in interest or d < min_depth
                                                  or any(c.nid in shown for c in n.children())):
            if d < min_depth:
                extra.update(c.nid for c in n.children())
    shown |= extra
    if len(shown) > max_nodes * 2:      # still too many: keep only paths
        shown = {nid for nid in shown if nid in interest} | {root.nid}
    return shown


def frame_items(frame, max_nodes=MAX_NODES):
    """The items drawn for ``frame``: nodes, ghosts, stubs, root boxes."""
    items = []
    for ti, tree in enumerate(frame.trees):
        root = tree.root_node
        if root is None:
            text = "empty tree" if tree.root is None else f"ma_root = {tree.root.label}"
            items.append(_Item((ti, "#root"), ti, 0, 0, "root", 2, text=text,
                               node=tree.root if isinstance(tree.root, EntrySnap) else None))
        else:
            collapse = tree.node_count() > max_nodes
            shown = _shown_set(tree, _interest(frame, ti, tree), max_nodes) if collapse else None
            _tree_items(root, ti, 0, None, None, frame, shown, items)
        for g in frame.ghosts:
            if g.tree == ti:
                items.append(_Item((ti, "ghost", g.node.nid), ti, g.depth, g.node.min, "ghost",
                                   len(g.node.slots), parent=None, node=g.node, change="freed"))
    return items


def _tree_items(n, ti, depth, parent, port, frame, shown, items):
    items.append(_Item((ti, n.nid), ti, depth, n.min, "node", len(n.slots), parent, port, n,
                       change=frame.change_of(n.nid)))
    if n.is_leaf:
        return
    run = []

    def flush():
        if not run:
            return
        nodes = entries = 0
        for _, c in run:
            cn, ce = c.subtree_size()
            nodes += cn
            entries += ce
        first, last = run[0][0], run[-1][0]
        lo, hi = run[0][1].min, run[-1][1].max
        what = "subtree" if len(run) == 1 else "subtrees"
        text = (f"slots {first}–{last}: {len(run)} {what}<BR/>{nodes} nodes, {entries} entries"
                if len(run) > 1 else f"slot {first}: {nodes} nodes, {entries} entries")
        text += f"<BR/>[{fmt_index(lo)}, {fmt_index(hi)}]"
        items.append(_Item((ti, "stub", n.nid, first), ti, depth + 1, lo, "stub", 3,
                           (ti, n.nid), first, text=text))
        run.clear()

    for i, c in enumerate(n.slots):
        if not isinstance(c, NodeSnap):
            flush()
            continue
        if shown is not None and c.nid not in shown:
            run.append((i, c))
            continue
        flush()
        _tree_items(c, ti, depth + 1, (ti, n.nid), i, frame, shown, items)
    flush()


# --------------------------------------------------------------------------- layout

_LAYOUTS = [0]      # layouts made in this process: unique SVG ids in one page


def _node_head(n, ghost, head):
    """A node table's header line: type, id, range and end, then the max-gap offset
    (arange_64), DEAD and (freed) marks."""
    if n.gaps is not None and n.meta_gap is not None:
        head += f"  max gap @{n.meta_gap}"
    if n.dead:
        head += "  DEAD"
    if ghost:
        head += "  (freed)"
    return head


class Layout:
    """Stable placement of every item over the frames of one recording.

    Methods by purpose (cost; F frames, N items per frame):

    * ``Layout(frames, max_nodes=48, orient="auto", id_prefix=None)``: collect items
      and assign places (O(F·N)); ``orient`` "TB" draws nodes as rows, "LR" as
      columns (chosen automatically when the widest rank would exceed ``max_width``
      points); SVG ids get ``id_prefix`` (default: unique per Layout in the process).
    * ``dot(i)`` DOT source of frame ``i`` (O(N + places)); ``svg(i)`` rendered,
      sanitised SVG, cached (one ``dot`` run, ~10–500 ms by size).
    * ``legend_items()`` the change classes and roles the recording uses.
    """

    def __init__(self, frames, max_nodes=MAX_NODES, legend=True, title=None, orient="auto",
                 max_width=1500, id_prefix=None):
        if isinstance(frames, Frame):
            frames = [frames]
        self.frames = list(frames)
        if not self.frames:
            raise ValueError("Layout needs at least one frame")
        self.max_nodes = max_nodes
        if id_prefix is None:
            _LAYOUTS[0] += 1
            id_prefix = "" if _LAYOUTS[0] == 1 else f"L{_LAYOUTS[0]}"
        if not re.fullmatch(r"[A-Za-z0-9_-]*", id_prefix):
            raise ValueError("id_prefix may only hold letters, digits, '_' and '-'")
        self.id_prefix = id_prefix
        self.show_legend = legend
        self.title = title
        self._svg = {}
        self._tables = {}        # node tables by (snapshot, change, written slots, width)
        if orient not in ("auto", "TB", "LR"):
            raise ValueError("orient must be 'auto', 'TB' (nodes as rows) or 'LR' "
                             "(nodes as columns, for wide trees)")
        self.items = [frame_items(f, max_nodes) for f in self.frames]
        self._assign()
        self._measure()
        if orient == "auto":
            orient = "LR" if self.tb_width() > max_width else "TB"
        self.orient = orient

    # places: key -> place id; place has (tree, depth, min, cells, kind, first, last)
    def _assign(self):
        life = {}
        order = []
        for fi, items in enumerate(self.items):
            for it in items:
                rec = life.get(it.key)
                if rec is None:
                    rec = life[it.key] = [fi, fi, it]
                    order.append(it.key)
                rec[1] = fi
                if it.cells > rec[2].cells:
                    rec[2] = it
        groups = {}
        self.place_of = {}
        self.places = []
        for key in order:
            first, last, it = life[key]
            kindc = it.kind if it.kind in ("stub", "root", "ghost") else "node"
            gk = (it.tree, it.depth, kindc, it.min)
            cand = None
            for pid in groups.get(gk, ()):
                if self.places[pid]["last"] < first:
                    cand = pid
                    break
            if cand is None:
                cand = len(self.places)
                self.places.append({"id": cand, "tree": it.tree, "depth": it.depth,
                                    "min": it.min, "kind": kindc, "cells": 0,
                                    "first": first, "last": last, "seq": len(self.places)})
                groups.setdefault(gk, []).append(cand)
            pl = self.places[cand]
            pl["last"] = max(pl["last"], last)
            pl["cells"] = max(pl["cells"], it.cells)      # the widest this item ever gets
            self.place_of[key] = cand
        # union of parent->child edges between places (for layout stability)
        self.union_edges = set()
        for items in self.items:
            for it in items:
                if it.parent is not None and it.parent in self.place_of:
                    self.union_edges.add((self.place_of[it.parent], self.place_of[it.key]))
        self.ntrees = max((len(f.trees) for f in self.frames), default=1)

    def _measure(self):
        longest = 3
        longest_pivot = 3
        roles = set()
        changes = set()
        for fi, items in enumerate(self.items):
            f = self.frames[fi]
            for it in items:
                if it.change:
                    changes.add(it.change)
                n = it.node
                if isinstance(n, NodeSnap):
                    for i, s in enumerate(n.slots):
                        if isinstance(s, EntrySnap):
                            longest = max(longest, len(s.label))
                            roles.add(s.role)
                        elif n.gaps is not None:
                            longest = max(longest, len(f"gap {fmt_index(n.gaps[i])}"))
                    for p in n.pivots:
                        longest_pivot = max(longest_pivot, len(fmt_index(p)) + 1)
            if f.written:
                changes.add("written")
        self.cell_w = int(min(110, max(12 + 5.6 * longest, 8 + 4.3 * longest_pivot)))
        self.entry_w = int(min(130, 14 + 5.6 * longest))
        self.pivot_w = int(min(90, 8 + 4.3 * longest_pivot))
        self.roles = roles
        self.changes = changes

    def tb_width(self):
        """Estimated width (pt) of the widest rank when nodes are drawn as rows."""
        widths = {}
        for pl in self.places:
            if pl["kind"] == "stub":
                w = max(3 * self.cell_w, 130)
            elif pl["kind"] == "root":
                w = 2 * self.cell_w
            else:
                w = pl["cells"] * self.cell_w
            key = (pl["depth"],)
            widths[key] = widths.get(key, 0) + w + 14
        return max(widths.values(), default=0)

    def legend_items(self):
        """``[(kind, name, fill, colour, text)]`` for what the recording shows."""
        out = []
        for ch in ("new", "copied", "modified", "freed", "focus"):
            if ch in self.changes:
                border, fill, style, text = CHANGE_STYLE[ch]
                out.append(("change", ch, fill, border, text))
        if "written" in self.changes:
            out.append(("change", "written", "#ffffff", WRITTEN_COLOR, "slot written in this step"))
        for role in ("value", "vma", "child", "stale", "dontcopy", "marker", "torn", "parent",
                     "internal", "null"):
            if role in self.roles:
                fill, font, text = ROLE_STYLE[role]
                out.append(("role", role, fill, font, text))
        return out

    # ----- DOT
    def dot(self, i):
        """DOT source of frame ``i`` (deterministic: no addresses, no versions)."""
        frame = self.frames[i]
        items = {it.key: it for it in self.items[i]}
        present = {self.place_of[k]: it for k, it in items.items()}
        lr = self.orient == "LR"
        out = ["digraph maple {",
               f'  graph [fontname="{FONT}", rankdir={self.orient}, nodesep=0.18, '
               f'ranksep={0.6 if lr else 0.42}, '
               'ordering=out, bgcolor="white", pad=0.15, newrank=true];',
               f'  node [shape=plaintext, fontname="{FONT}", margin=0];',
               '  edge [arrowsize=0.55, color="#555555", penwidth=1.1];']
        by_tree = {}
        for pl in self.places:
            by_tree.setdefault(pl["tree"], []).append(pl)
        for ti in sorted(by_tree):
            tree = frame.trees[ti] if ti < len(frame.trees) else None
            out.append(f"  subgraph cluster_t{ti} {{")
            label = _tree_label(tree) if tree is not None else " "
            out.append(f'    label=<{label}>; labeljust="l"; style="rounded"; '
                       f'color="#b0b0b0"; fontsize=11; margin=10;')
            ranks = {}
            order = {"node": 0, "stub": 0, "ghost": 1, "root": 2}   # live nodes first
            for pl in sorted(by_tree[ti], key=lambda p: (p["depth"], order[p["kind"]],
                                                         p["min"], p["seq"])):
                ranks.setdefault(pl["depth"], []).append(pl)
                it = present.get(pl["id"])
                out.append("    " + self._node_stmt(pl, it, frame))
            for depth in sorted(ranks):
                names = "; ".join(f"p{p['id']}" for p in ranks[depth])
                out.append(f"    {{ rank=same; {names}; }}")
            out.append("  }")
        # edges: visible ones from ports, then invisible union edges for stability
        visible = set()
        for it in self.items[i]:
            if it.parent is None or it.parent not in items:
                continue
            a, b = self.place_of[it.parent], self.place_of[it.key]
            visible.add((a, b))
            style = ""
            if it.kind == "stub":
                style = ', style="dashed", color="#909090"'
            box = "" if it.kind == "stub" else ":box"
            if lr:
                out.append(f"  p{a}:s{it.port}:e -> p{b}{box}:w [weight=2{style}];")
            else:
                out.append(f"  p{a}:s{it.port}:s -> p{b}{box}:n [weight=2{style}];")
        for a, b in sorted(self.union_edges - visible):
            out.append(f"  p{a} -> p{b} [style=invis, weight=1];")
        if lr:       # trees side by side: chain each tree's last rank to the next root
            trees = sorted({pl["tree"] for pl in self.places})
            for a, b in zip(trees, trees[1:]):
                deep = max(pl["depth"] for pl in self.places if pl["tree"] == a)
                src = min((pl for pl in self.places if pl["tree"] == a and pl["depth"] == deep),
                          key=lambda p: (p["kind"] != "node", p["min"], p["seq"]))
                dst = min((pl for pl in self.places if pl["tree"] == b and pl["depth"] == 0),
                          key=lambda p: (p["kind"] != "node", p["min"], p["seq"]))
                out.append(f"  p{src['id']} -> p{dst['id']} [style=invis, weight=10];")
        if self.show_legend:
            leg = self.legend_items()
            if leg:
                out.append("  subgraph cluster_legend {")
                out.append('    label=""; style="invis";')
                out.append("    legend [label=<" + _legend_table(leg) + ">];")
                out.append("  }")
                roots = [f"p{pl['id']}" for pl in self.places if pl["depth"] == 0]
                if roots:
                    out.append(f"  {roots[-1]} -> legend [style=invis];")
        out.append("}")
        return "\n".join(out) + "\n"

    def _node_stmt(self, pl, it, frame):
        name = f"p{pl['id']}"
        if it is None:
            return f"{name} [label=<{self._placeholder(pl)}>, style=invis];"
        if it.kind == "root":
            return f"{name} [label=<{_root_table(it, self.cell_w)}>];"
        if it.kind == "stub":
            return f"{name} [label=<{_stub_table(it, self.cell_w)}>];"
        written = frame.written.get(it.node.nid, ()) if it.kind != "ghost" else ()
        ck = (it.node.uid, it.kind, it.change, tuple(written), pl["cells"])
        table = self._tables.get(ck)
        if table is None:
            table = self._tables[ck] = self._node_table(it, pl, frame)
        return f"{name} [label=<{table}>];"

    def _placeholder(self, pl):
        if pl["kind"] == "stub":
            return _stub_table(None, self.cell_w)
        if pl["kind"] == "root":
            return _root_table(None, self.cell_w)
        if self.orient == "LR" and pl["kind"] in ("node", "ghost"):
            rows = "".join(f'<TR><TD WIDTH="{self.pivot_w}" HEIGHT="{CELL_H}" FIXEDSIZE="TRUE"> '
                           f'</TD><TD WIDTH="{self.entry_w}" HEIGHT="{CELL_H}" FIXEDSIZE="TRUE">'
                           f" </TD></TR>" for _ in range(pl["cells"]))
            return self._wrap(f'<TABLE BORDER="1" CELLBORDER="1" CELLSPACING="0" CELLPADDING="1">'
                              f'<TR><TD COLSPAN="2" HEIGHT="30"><FONT POINT-SIZE="8"> <BR/> '
                              f'</FONT></TD></TR>{rows}</TABLE>', 1, 0)
        w = self.cell_w
        cells = "".join(f'<TD WIDTH="{w}" HEIGHT="{CELL_H}" FIXEDSIZE="TRUE"> </TD>'
                        for _ in range(pl["cells"]))
        piv = "".join(f'<TD WIDTH="{w}" HEIGHT="14" FIXEDSIZE="TRUE"> </TD>'
                      for _ in range(pl["cells"]))
        return self._wrap(f'<TABLE BORDER="1" CELLBORDER="1" CELLSPACING="0" CELLPADDING="1">'
                          f'<TR><TD COLSPAN="{pl["cells"]}" HEIGHT="16" CELLPADDING="2">'
                          f'<FONT POINT-SIZE="9"> </FONT></TD></TR>'
                          f"<TR>{cells}</TR><TR>{piv}</TR></TABLE>", 1, 0)

    def _node_table(self, it, pl, frame):
        n = it.node
        w = self.cell_w
        change = "freed" if it.kind == "ghost" else it.change
        if change:
            border, head_fill, style, _ = CHANGE_STYLE[change]
            width = 3 if change not in ("freed", "focus") else 2
        else:
            border, head_fill, style = PLAIN_BORDER
            width = 1
        written = (set(frame.written.get(n.nid, ()))
                   if it.kind != "ghost" and change not in ("copied", "new") else set())
        ncells = pl["cells"]
        pad = ncells - len(n.slots)
        ghost = it.kind == "ghost"
        if self.orient == "LR":
            return self._node_table_lr(it, n, ncells, pad, ghost, change, border, head_fill,
                                       style, width, written)
        head = _node_head(n, ghost, (f'<B>{_esc(n.type_name)}</B> {_esc(_nid_text(n.nid))}  '
                                     f'[{_esc(fmt_index(n.min))}, {_esc(fmt_index(n.max))}]'
                                     f'  end {n.end}'))
        rows = [f'<TR><TD COLSPAN="{len(n.slots)}" HEIGHT="16" BGCOLOR="{head_fill}" CELLPADDING="2" '
                f'COLOR="#909090">'
                f'<FONT POINT-SIZE="9" COLOR="{"#808080" if ghost else "#000000"}">{head}'
                f"</FONT></TD></TR>"]
        cells = []
        for i, sl in enumerate(n.slots):
            attrs = f'PORT="s{i}" WIDTH="{w}" HEIGHT="{CELL_H}" FIXEDSIZE="TRUE"'
            cells.append(self._slot_cell(n, i, sl, ghost, written, attrs))
        rows.append("<TR>" + "".join(cells) + "</TR>")
        piv = []
        for i in range(len(n.slots)):
            if i < len(n.pivots):
                t = "≤" + fmt_index(n.pivots[i])
            else:
                t = "(max)"
            piv.append(f'<TD WIDTH="{w}" HEIGHT="14" FIXEDSIZE="TRUE" BORDER="0">'
                       f'<FONT POINT-SIZE="7" COLOR="#606060">{_esc(t)}</FONT></TD>')
        rows.append("<TR>" + "".join(piv) + "</TR>")
        sty = ' STYLE="dashed"' if style == "dashed" else ""
        return self._wrap(f'<TABLE BORDER="{width}" COLOR="{border}"{sty} CELLBORDER="1" '
                          f'CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>",
                          width, pad)

    def _slot_cell(self, n, i, s, ghost, written, attrs):
        if isinstance(s, EntrySnap):
            fill, font, _ = ROLE_STYLE.get(s.role, ROLE_STYLE["value"])
            text = _esc(s.label)
            if s.role == "marker":
                text = f"<B>{text}</B>"
            size = 8 if s.role != "null" else 7
            if ghost:
                fill, font = "#f7f7f7", "#a0a0a0"
        else:
            fill, font, size = "#ffffff", "#404040", 8
            text = f"gap {_esc(fmt_index(n.gaps[i]))}" if n.gaps is not None else "•"
        if i in written:
            attrs += f' BORDER="2" COLOR="{WRITTEN_COLOR}"'
        elif isinstance(s, EntrySnap) and s.role in ROLE_LINE and not ghost:
            attrs += f' STYLE="{ROLE_LINE[s.role]}" BORDER="2" COLOR="{ROLE_STYLE[s.role][1]}"'
        else:
            attrs += ' COLOR="#909090"'
        return (f'<TD {attrs} BGCOLOR="{fill}"><FONT POINT-SIZE="{size}" '
                f'COLOR="{font}">{text}</FONT></TD>')

    def _node_table_lr(self, it, n, ncells, pad, ghost, change, border, head_fill, style,
                       width, written):
        """A node as a column: header, then one row per slot (pivot | entry)."""
        head = _node_head(n, ghost, (f'<B>{_esc(n.type_name)}</B> {_esc(_nid_text(n.nid))}'
                                     f'  end {n.end}<BR/>[{_esc(fmt_index(n.min))}, '
                                     f'{_esc(fmt_index(n.max))}]'))
        rows = [f'<TR><TD COLSPAN="2" HEIGHT="30" BGCOLOR="{head_fill}" CELLPADDING="2" '
                f'COLOR="#909090"><FONT POINT-SIZE="8" COLOR="{"#808080" if ghost else "#000000"}">'
                f"{head}</FONT></TD></TR>"]
        for i, sl in enumerate(n.slots):
            t = "≤" + fmt_index(n.pivots[i]) if i < len(n.pivots) else "(max)"
            piv = (f'<TD WIDTH="{self.pivot_w}" HEIGHT="{CELL_H}" FIXEDSIZE="TRUE" BORDER="0" '
                   f'ALIGN="RIGHT"><FONT POINT-SIZE="7" COLOR="#606060">{_esc(t)}</FONT></TD>')
            attrs = f'PORT="s{i}" WIDTH="{self.entry_w}" HEIGHT="{CELL_H}" FIXEDSIZE="TRUE"'
            rows.append("<TR>" + piv + self._slot_cell(n, i, sl, ghost, written, attrs) + "</TR>")
        sty = ' STYLE="dashed"' if style == "dashed" else ""
        return self._wrap(f'<TABLE BORDER="{width}" COLOR="{border}"{sty} CELLBORDER="1" '
                          f'CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>",
                          width, pad)

    def _wrap(self, inner, border, pad):
        """Put a node's table in a borderless frame of constant size: the border is
        drawn around the real slots only, the padding to the widest size the node ever
        takes stays outside it (port ``box`` is the table itself)."""
        cp = 3 - border
        if self.orient == "LR":
            spacer = (f'<TR><TD HEIGHT="{pad * CELL_H}" WIDTH="1" FIXEDSIZE="TRUE"> </TD></TR>'
                      if pad else "")
            return (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
                    f'<TR><TD PORT="box" CELLPADDING="{cp}">{inner}</TD></TR>{spacer}</TABLE>')
        spacer = (f'<TD WIDTH="{pad * self.cell_w}" HEIGHT="1" FIXEDSIZE="TRUE"> </TD>'
                  if pad else "")
        return (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
                f'<TR><TD PORT="box" CELLPADDING="{cp}" VALIGN="TOP">{inner}</TD>{spacer}'
                f"</TR></TABLE>")

    # ----- SVG
    def svg(self, i):
        """Rendered SVG of frame ``i`` (ids prefixed per frame, no version comments)."""
        got = self._svg.get(i)
        if got is None:
            got = sanitize_svg(render_dot(self.dot(i)), prefix=f"{self.id_prefix}f{i}_")
            self._svg[i] = got
        return got

    def __len__(self):
        return len(self.frames)


def _tree_label(tree):
    rcu = " RCU" if tree.in_rcu else ""
    if tree.building:
        rcu += "  (being built: the root pointer is set last)"
    return (f'<FONT POINT-SIZE="11"><B>{_esc(tree.name)}</B></FONT>'
            f'<FONT POINT-SIZE="9" COLOR="#555555">  flags {tree.flags:#x}  height '
            f'{tree.height}{rcu}  nodes {tree.node_count()}</FONT>')


def _root_table(it, w):
    text = _esc(it.text) if it is not None else " "
    fill = "#ffffff"
    font = "#000000"
    if it is not None and it.node is not None:
        fill, font, _ = ROLE_STYLE.get(it.node.role, ROLE_STYLE["value"])
    return (f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" STYLE="rounded">'
            f'<TR><TD WIDTH="{2 * w}" HEIGHT="{CELL_H}" FIXEDSIZE="TRUE" BGCOLOR="{fill}">'
            f'<FONT POINT-SIZE="9" COLOR="{font}">{text}</FONT></TD></TR></TABLE>')


def _stub_table(it, w):
    text = it.text if it is not None else " "
    return (f'<TABLE BORDER="1" COLOR="#909090" STYLE="dashed" CELLBORDER="0" CELLSPACING="0" '
            f'CELLPADDING="2"><TR><TD WIDTH="{max(3 * w, 130)}" HEIGHT="36" FIXEDSIZE="TRUE">'
            f'<FONT POINT-SIZE="8" COLOR="#606060">{text}</FONT></TD></TR></TABLE>')


def _legend_table(leg):
    rows = ['<TR><TD COLSPAN="2" ALIGN="LEFT"><FONT POINT-SIZE="9"><B>legend</B></FONT></TD></TR>']
    for kind, name, fill, colour, text in leg:
        if kind == "change":
            style = ' STYLE="dashed"' if name == "freed" else ""
            sw = (f'<TD WIDTH="24" HEIGHT="12" FIXEDSIZE="TRUE" BGCOLOR="{fill}" BORDER="2" '
                  f'COLOR="{colour}"{style}> </TD>')
        else:
            label = "ZERO" if name == "marker" else " "
            line = (f' STYLE="{ROLE_LINE[name]}" BORDER="2" COLOR="{colour}"'
                    if name in ROLE_LINE else ' BORDER="1"')
            sw = (f'<TD WIDTH="24" HEIGHT="12" FIXEDSIZE="TRUE" BGCOLOR="{fill}"{line}>'
                  f'<FONT POINT-SIZE="6" COLOR="{colour}">{label}</FONT></TD>')
        rows.append(f'<TR>{sw}<TD ALIGN="LEFT"><FONT POINT-SIZE="8">{_esc(text)}</FONT></TD></TR>')
    return ('<TABLE BORDER="1" COLOR="#c0c0c0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">'
            + "".join(rows) + "</TABLE>")


# --------------------------------------------------------------------------- rendering

def render_dot(source, fmt="svg"):
    """Run Graphviz on DOT ``source``; returns str (svg) or bytes (png)."""
    import graphviz
    try:
        data = graphviz.Source(source).pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound as exc:
        raise GraphvizMissingError(HINT) from exc
    return data.decode("utf-8") if fmt == "svg" else data


_ID_RE = re.compile(r'\bid="([^"]+)"')
_HREF_RE = re.compile(r'(xlink:href|href)="#([^"]+)"')
_URL_RE = re.compile(r"url\(#([^)]+)\)")


def sanitize_svg(svg, prefix="g_"):
    """Drop the XML prolog and comments (version, title) and prefix every id.

    The result can be inlined several times in one HTML page.
    """
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)
    svg = _ID_RE.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = _HREF_RE.sub(lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', svg)
    svg = _URL_RE.sub(lambda m: f"url(#{prefix}{m.group(1)})", svg)
    return svg.strip() + "\n"


def have_dot():
    return shutil.which("dot") is not None


# --------------------------------------------------------------------------- conveniences

def _as_frame(obj, name="tree"):
    """Accept a Frame, TreeSnap, live MapleTree or golden dict; return a Frame."""
    from .record import snapshot_from_dict, snapshot_tree
    if isinstance(obj, Frame):
        return obj
    if isinstance(obj, TreeSnap):
        snap = obj
    elif isinstance(obj, dict):
        snap = snapshot_from_dict(obj, name)
    elif hasattr(obj, "root_node"):
        snap = snapshot_tree(obj, getattr(obj, "name", None) or name)
    else:
        raise TypeError(f"cannot draw {type(obj).__name__}: expected a Frame, TreeSnap, "
                        "MapleTree or tree dump dict")
    return Frame(0, "note", "", (), "", (snap,))


def tree_dot(obj, max_nodes=MAX_NODES, legend=True):
    """DOT source for a tree, snapshot, golden dump dict or frame."""
    return Layout([_as_frame(obj)], max_nodes=max_nodes, legend=legend, id_prefix="").dot(0)


def tree_svg(obj, max_nodes=MAX_NODES, legend=True, prefix="t"):
    """Sanitised SVG for a tree, snapshot, golden dump dict or frame."""
    return Layout([_as_frame(obj)], max_nodes=max_nodes, legend=legend, id_prefix=prefix).svg(0)


def save_png(obj, path, max_nodes=MAX_NODES, dpi=110):
    """Render a tree / frame to a PNG file (for docs and for looking at)."""
    src = tree_dot(obj, max_nodes=max_nodes)
    src = src.replace("digraph maple {", f"digraph maple {{\n  graph [dpi={dpi}];", 1)
    with open(path, "wb") as fh:
        fh.write(render_dot(src, "png"))
    return path


def _bundle(svg, text):
    return {"image/svg+xml": svg, "text/plain": text}


def tree_mimebundle(obj):
    """``_repr_mimebundle_`` for trees (the core may delegate here)."""
    frame = _as_frame(obj)
    t = frame.trees[0]
    return _bundle(Layout([frame]).svg(0),
                   f"<tree {t.name}: height {t.height}, {t.node_count()} nodes>")


def frame_mimebundle(frame):
    """``_repr_mimebundle_`` for one Frame."""
    svg = Layout([frame]).svg(0)
    return _bundle(svg, f"<frame {frame.index} {frame.kind} {frame.func}: {frame.text}>")


def node_mimebundle(node, lo=0, hi=ULONG_MAX):
    """``_repr_mimebundle_`` for a single live core node (its subtree)."""
    from .record import Interner, _node_from_live, describe_entry
    snap = _node_from_live(node, lo, hi, Interner(), describe_entry)
    tree = TreeSnap(f"node {_nid_text(node.nid)}", 0, 0, snap)
    return tree_mimebundle(tree)
