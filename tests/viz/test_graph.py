"""DOT source snapshots and layout rules."""

import os
import re

import pytest

from mapletree.viz.graph import Layout, fmt_index, sanitize_svg, tree_dot, tree_svg
from mapletree.viz.record import frames_from_case, snapshot_from_dict

SNAP = os.path.join(os.path.dirname(__file__), "snapshots")
UPDATE = os.environ.get("MAPLETREE_UPDATE_SNAPSHOTS") == "1"

SMALL = {
    "root_entry": {"flags": 0, "height": 0, "root": {"entry": 5}},
    "empty": {"flags": 0, "height": 0, "root": None},
    "one_leaf_zero": {"flags": 4, "height": 1, "root": {
        "type": "leaf_64", "min": 0, "max": 18446744073709551615, "end": 3,
        "pivots": [9, 19, 29], "slots": [None, 1, "zero", None]}},
    "arange_two_leaves": {"flags": 0x30B, "height": 2, "root": {
        "type": "arange_64", "min": 0, "max": 18446744073709551615, "end": 1,
        "pivots": [4095], "gaps": [4000, 18446744073709547520], "meta_gap": 1,
        "slots": [
            {"type": "leaf_64", "min": 0, "max": 4095, "end": 2, "pivots": [95, 4000],
             "slots": [None, 7, None]},
            {"type": "leaf_64", "min": 4096, "max": 18446744073709551615, "end": 1,
             "pivots": [8191], "slots": [8, None]}]}},
}


def _check(name, text):
    path = os.path.join(SNAP, name + ".dot")
    if UPDATE or not os.path.exists(path):
        with open(path, "w") as fh:
            fh.write(text)
    with open(path) as fh:
        assert text == fh.read(), f"DOT of {name} changed (MAPLETREE_UPDATE_SNAPSHOTS=1 to accept)"


@pytest.mark.parametrize("name", sorted(SMALL))
def test_dot_snapshot(name):
    text = tree_dot(SMALL[name])
    assert text == tree_dot(SMALL[name])          # deterministic
    assert "version" not in text and "0x7f" not in text
    _check(name, text)


def test_dot_content_of_arange_tree():
    text = tree_dot(SMALL["arange_two_leaves"])
    assert "arange_64" in text and "max gap @1" in text
    assert "gap 4000" in text
    assert 'p0:s0:s -> p1:box:n' in text and 'p0:s1:s -> p2:box:n' in text
    assert "≤0xfff" not in text and "≤4095" in text


def test_zero_marker_is_unmistakable():
    text = tree_dot(SMALL["one_leaf_zero"])
    assert '<TD PORT="s2"' in text
    cell = re.search(r'<TD PORT="s2"[^>]*BGCOLOR="([^"]+)"><FONT[^>]*COLOR="([^"]+)"><B>XA_ZERO',
                     text)
    assert cell and cell.groups() == ("#000000", "#ffffff")


def test_fmt_index():
    assert fmt_index(2 ** 64 - 1) == "MAX"
    assert fmt_index(99999) == "99999"
    assert fmt_index(0x7FFFF7D80000) == "0x7ffff7d80000"


def test_svg_is_sanitised():
    svg = tree_svg(SMALL["arange_two_leaves"])
    assert "<!--" not in svg and "<?xml" not in svg
    assert svg.lstrip().startswith("<svg")
    ids = re.findall(r'id="([^"]+)"', svg)
    assert ids and all(i.startswith("tf0_") for i in ids)
    a, b = Layout([frames_from_case_stub()]), Layout([frames_from_case_stub()])
    ida = set(re.findall(r'id="([^"]+)"', a.svg(0)))
    idb = set(re.findall(r'id="([^"]+)"', b.svg(0)))
    assert ida and not ida & idb              # two diagrams can share one page
    assert sanitize_svg('<svg><g id="a"><use href="#a"/></g></svg>', "x_") == \
        '<svg><g id="x_a"><use href="#x_a"/></g></svg>\n'


def frames_from_case_stub():
    from mapletree.viz.graph import _as_frame
    return _as_frame(SMALL["one_leaf_zero"])


def test_layout_is_stable_across_frames(golden):
    frames = frames_from_case(golden("leaf_split_plain"))
    lay = Layout(frames)
    decl = [sorted(re.findall(r"^    (p\d+) \[", lay.dot(i), re.M)) for i in range(len(frames))]
    assert all(d == decl[0] for d in decl)          # same node set in every frame
    # frame 0 has one visible node; the rest are invisible placeholders
    d0 = lay.dot(0)
    invisible = re.findall(r"^    p\d+ \[label=<.*>, style=invis\];$", d0, re.M)
    assert len(invisible) == len(decl[0]) - 1
    assert "empty tree" in d0


def test_ghost_drawn_beside_and_new_root_takes_the_old_place():
    from mapletree.core.tree import MapleTree
    from mapletree.viz.record import Recorder
    t = MapleTree()
    for k in range(1, 8):
        t.store_range(10 * k, 10 * k + 5, f"v{k}")
    with Recorder(t) as rec:
        t.store_range(80, 85, "v8")
    lay = Layout(rec.frames)
    free = next(f.index for f in rec.frames if f.ghosts)
    before = lay.dot(free - 1)
    after = lay.dot(free)
    old = rec.frames[free].ghosts[0].node.nid
    root = rec.frames[free].trees[0].root.nid
    name = re.search(rf"^    (p\d+) \[label=<[^\n]*#{old} ", before, re.M).group(1)
    line = [ln for ln in after.splitlines() if ln.startswith(f"    {name} ")][0]
    assert f"#{root} " in line and 'COLOR="#1a9641"' in line     # new root, green, same place
    ghost = [ln for ln in after.splitlines() if f"#{old} " in ln][0]
    assert "(freed)" in ghost and 'STYLE="dashed"' in ghost
    assert ghost.split()[0] != name


def test_large_tree_collapses_to_stubs():
    from mapletree import scenarios
    big = scenarios.small_program_tree()
    full = tree_dot(big)
    small = tree_dot(big, max_nodes=2)
    assert "nodes, " not in full
    assert "subtrees" in small and "entries" in small
    assert small.count("[label=<") < full.count("[label=<")


def test_bad_input():
    with pytest.raises(TypeError):
        tree_dot(42)
    with pytest.raises(ValueError):
        Layout([])


def _big_dump(fanouts=(4, 16, 16), leaf_slots=4):
    """A synthetic range_64 tree: 1 + 4 + 64 + 1024 = 1093 nodes."""
    counter = [0]

    def node(level, lo, hi):
        if level == len(fanouts):
            step = (hi - lo + 1) // leaf_slots
            piv = [lo + step * (i + 1) - 1 for i in range(leaf_slots - 1)]
            slots = []
            for i in range(leaf_slots):
                counter[0] += 1
                slots.append(counter[0] if i % 2 else None)
            return {"type": "leaf_64", "min": lo, "max": hi, "end": leaf_slots - 1,
                    "pivots": piv, "slots": slots}
        f = fanouts[level]
        step = (hi - lo + 1) // f
        piv = [lo + step * (i + 1) - 1 for i in range(f - 1)]
        kids = []
        for i in range(f):
            a = lo if i == 0 else piv[i - 1] + 1
            b = piv[i] if i < f - 1 else hi
            kids.append(node(level + 1, a, b))
        return {"type": "range_64", "min": lo, "max": hi, "end": f - 1, "pivots": piv,
                "slots": kids}
    return {"flags": 16, "height": 4, "root": node(0, 0, 4 * 16 * 16 * 4 * 1000 - 1)}


def test_thousand_node_tree_reads_collapsed():
    from mapletree.viz.record import Frame
    snap = snapshot_from_dict(_big_dump())
    assert snap.node_count() == 1093
    target = "r.2.5.7"                     # a leaf deep in the tree
    frame = Frame(0, "write", "mas_wr_slot_store", (), "x", (snap,),
                  modified=frozenset({target}))
    lay = Layout([frame])
    src = lay.dot(0)
    drawn = src.count("[label=<")
    assert drawn < 50
    for nid in ("r", "r.2", "r.2.5", target):
        assert f" {nid}  " in src or f" {nid} " in src
    stubs = re.findall(r"(\d+) subtrees<BR/>(\d+) nodes, (\d+) entries", src)
    assert stubs
    # the stubs and drawn nodes account for every node of the tree
    shown_nodes = drawn - len(re.findall(r"subtree", src)) - 1      # minus stubs and legend
    single = re.findall(r"slot \d+: (\d+) nodes", src)
    assert shown_nodes + sum(int(n) for _, n, _ in stubs) + sum(map(int, single)) == 1093
    svg = lay.svg(0)
    assert svg.count('class="node"') == drawn
