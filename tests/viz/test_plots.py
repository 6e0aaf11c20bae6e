"""matplotlib figures."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from mapletree import scenarios  # noqa: E402
from mapletree.viz import plots  # noqa: E402


def test_fork_bench_table_matches_published_gains():
    assert plots.FORK_VMAS[0] == 21 and plots.FORK_VMAS[-1] == 51221
    for (vmas, before, after), gain in zip(plots.FORK_BENCH, plots.FORK_GAIN):
        assert round(100 * (after - before) / before, 2) == pytest.approx(gain, abs=0.01)


def test_fork_gain_figure_has_log_axes():
    fig = plots.fork_gain_figure()
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(ax.get_lines()) == 2


def test_address_space_strip_roles():
    vmas = scenarios.reference_vmas()
    fig = plots.address_space_strip(vmas, roles={"V6": "marker", "V7": "stale", "V8": "stale",
                                                 "V4": "dontcopy"})
    ax = fig.axes[0]
    assert len(ax.patches) == len(vmas)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["VMA", "DONTCOPY (cleared)", "XA_ZERO_ENTRY marker", "stale parent pointer"]


def test_strip_from_tree():
    t = scenarios.tree_of(scenarios.reference_vmas())
    fig = plots.address_space_strip(t)
    assert len(fig.axes[0].patches) == 9


def test_cost_figure_checks_lengths():
    with pytest.raises(ValueError):
        plots.cost_figure([1, 2], {"a": [1]})
    fig = plots.cost_figure([21, 121], {"a": [1, 2]})
    assert fig.axes[0].get_xscale() == "log"
