"""matplotlib figures: a process's address space as a strip, and cost figures.

Functions by purpose (each builds one figure, O(VMAs) or O(points)):

* ``address_space_strip(vmas_or_tree, ax=None)``: one bar per VMA along the
  address axis, gaps compressed, coloured by role (child VMA, stale parent
  pointer, DONTCOPY cleared, marker, torn down).
* ``fork_gain_figure()``: the spawn benchmark of the ``__mt_dup`` series
  (fork-designs §7), forks per 10 s before/after and the gain, log VMA axis.
* ``cost_figure(xs, series, ...)``: log-log cost plot with the kernel's
  published points as references.

Figures are returned (not shown), so notebooks call ``plt.show()`` or end the
cell with ``;``.
"""

from __future__ import annotations

import matplotlib

matplotlib.rcParams.setdefault("svg.hashsalt", "mapletree")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .record import describe_entry  # noqa: E402

#: Spawn benchmark (fork calls per 10 s, one CPU) from the d2406291483 commit message:
#: (total VMAs, next-20231006, with __mt_dup).
FORK_BENCH = (
    (21, 112100, 114558), (121, 76261, 83067), (221, 54227, 65008), (421, 34035, 45824),
    (821, 20195, 28751), (1621, 11112, 16072), (3221, 6017, 8922), (6421, 3161, 4747),
    (12821, 1606, 2436), (25621, 802, 1233), (51221, 393, 599),
)
#: Published gains in percent, same columns.
FORK_GAIN = (2.19, 8.92, 19.88, 34.64, 42.37, 44.64, 48.28, 50.17, 51.68, 53.74, 52.42)
#: The fork series' VMA counts.
FORK_VMAS = tuple(r[0] for r in FORK_BENCH)

ROLE_COLOURS = {
    "child": "#74c476", "stale": "#fb6a4a", "dontcopy": "#9e9ac8", "marker": "#000000",
    "torn": "#bdbdbd", "vma": "#6baed6", "value": "#6baed6", "parent": "#fd8d3c",
}
ROLE_TEXT = {
    "child": "child VMA (copied)", "stale": "stale parent pointer",
    "dontcopy": "DONTCOPY (cleared)", "marker": "XA_ZERO_ENTRY marker",
    "torn": "torn down", "vma": "VMA", "value": "entry", "parent": "parent VMA",
}


def _segments(obj, roles=None):
    """``[(first, last, label, role)]`` from a tree, a TreeSnap or VMA-like objects."""
    roles = roles or {}
    out = []
    if hasattr(obj, "ranges") and callable(obj.ranges):          # live MapleTree
        for first, last, entry in obj.ranges():
            e = describe_entry(entry)
            out.append((first, last, e.label, roles.get(e.label, e.role)))
        return out
    if hasattr(obj, "root") and hasattr(obj, "nodes"):           # TreeSnap
        for node, _, _, _ in obj.nodes():
            if node.is_leaf:
                for i, s in enumerate(node.slots):
                    if not s.is_null:
                        lo, hi = node.slot_range(i)
                        out.append((lo, hi, s.label, roles.get(s.label, s.role)))
        return out
    for v in obj:
        start = getattr(v, "start", None)
        end = getattr(v, "end", None)
        if start is None:
            start, end, label = v[0], v[1], v[2] if len(v) > 2 else ""
        else:
            label = getattr(v, "name", "") or getattr(v, "label", "")
        role = roles.get(label)
        if role is None:
            hook = getattr(v, "viz_entry", None)
            role = hook()[1] if callable(hook) else "vma"
        out.append((start, end - 1, str(label), role))
    return out


def address_space_strip(obj, ax=None, roles=None, title=None, gap_width=0.6):
    """Draw VMAs as a strip of boxes in address order, coloured by role.

    ``obj``: a MapleTree, a TreeSnap, or VMA-like objects (``start``, ``end``,
    ``name``). ``roles`` maps a label to a role (e.g. ``{"V6": "marker"}``).
    Widths are log-scaled by size and holes are drawn as fixed thin gaps, so a
    4 KiB VMA next to a 128 MiB one is still visible. Returns the Figure.
    """
    import math
    segs = sorted(_segments(obj, roles), key=lambda s: s[0])
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(segs) + 1), 1.8))
    else:
        fig = ax.figure
    x = 0.0
    prev_last = None
    used = []
    for first, last, label, role in segs:
        if prev_last is not None and first > prev_last + 1:
            ax.plot([x + gap_width / 2] * 2, [0.15, 0.85], color="#999999", lw=0.8, ls=":")
            x += gap_width
        w = 0.6 + 0.25 * math.log2(max(1, (last - first + 1) // 4096))
        colour = ROLE_COLOURS.get(role, "#6baed6")
        ax.add_patch(plt.Rectangle((x, 0.1), w, 0.8, facecolor=colour, edgecolor="#333333",
                                   lw=0.6, hatch="//" if role == "torn" else None))
        ax.text(x + w / 2, 0.5, label, ha="center", va="center", fontsize=7,
                color="white" if role in ("marker", "stale") else "black", rotation=90
                if w < 0.9 and len(label) > 3 else 0)
        ax.text(x, -0.05, f"{first:#x}", fontsize=5, rotation=45, ha="right", va="top",
                color="#555555") if len(segs) <= 16 else None
        if role not in used:
            used.append(role)
        x += w
        prev_last = last
    ax.set_xlim(-0.2, max(x, 1) + 0.2)
    ax.set_ylim(-0.6 if len(segs) <= 16 else 0, 1.05)
    ax.axis("off")
    ax.legend(handles=[Patch(facecolor=ROLE_COLOURS.get(r, "#6baed6"), edgecolor="#333333",
                             label=ROLE_TEXT.get(r, r)) for r in used],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    fig.tight_layout()
    return fig


def fork_gain_figure(ax=None):
    """The spawn benchmark of the __mt_dup series: forks/10 s before and after, and gain."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.6))
    else:
        fig = ax.figure
    xs = [r[0] for r in FORK_BENCH]
    ax.loglog(xs, [r[1] for r in FORK_BENCH], "o-", color="#e66101",
              label="next-20231006 (insert each VMA)")
    ax.loglog(xs, [r[2] for r in FORK_BENCH], "s-", color="#2166ac", label="with __mt_dup")
    ax.set_xlabel("VMAs in the parent")
    ax.set_ylabel("fork() calls per 10 s")
    ax.grid(True, which="both", alpha=0.3)
    ax2 = ax.twinx()
    ax2.semilogx(xs, FORK_GAIN, "^:", color="#1a9641", label="gain (%)")
    ax2.set_ylabel("gain %", color="#1a9641")
    ax2.set_ylim(0, 60)
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=8, loc="lower left")
    ax.set_title("UnixBench spawn, published with __mt_dup (d2406291483)", fontsize=9)
    fig.tight_layout()
    return fig


def cost_figure(xs, series, xlabel="VMAs", ylabel="cost", title=None, reference=True,
                ax=None):
    """Log-log cost plot: ``series`` is ``{label: [y per x]}``. With ``reference``,
    the fork series' VMA counts (21..51221) are marked on the x axis."""
    if not xs or not series:
        raise ValueError("cost_figure needs x values and at least one series")
    for label, ys in series.items():
        if len(ys) != len(xs):
            raise ValueError(f"series {label!r} has {len(ys)} points for {len(xs)} x values")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 3.6))
    else:
        fig = ax.figure
    for label, ys in series.items():
        ax.loglog(xs, ys, "o-", label=label)
    if reference:
        for v in FORK_VMAS:
            ax.axvline(v, color="#cccccc", lw=0.6, zorder=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
