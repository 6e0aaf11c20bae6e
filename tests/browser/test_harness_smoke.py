"""The browser harness works end to end: server, kernel, widgets, Graphviz.

Throwaway notebooks are written under the served root (never committed):

- a Graphviz SVG inside an ``ipywidgets.HTML`` with an "add node" button: Run
  All must render one node; each click must redraw the SVG through the kernel;
- a failing cell after one tagged ``raises-exception``: run_all and
  assert_no_errors must report the failure and only it.
"""

import nbformat
import pytest
from labharness import PANEL, assert_no_errors, open_notebook, run_all, screenshot, wait_idle
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from playwright.sync_api import expect

SOURCE = '''\
import graphviz
import ipywidgets as widgets

def chain(n):
    g = graphviz.Digraph(graph_attr={"rankdir": "LR"})
    for i in range(n):
        g.node(f"n{i}", f"node {i}")
        if i:
            g.edge(f"n{i - 1}", f"n{i}")
    return g.pipe(format="svg").decode()

count = 1
view = widgets.HTML(chain(count))
button = widgets.Button(description="add node")

def add(_):
    global count
    count += 1
    view.value = chain(count)

button.on_click(add)
widgets.VBox([button, view])
'''


def write_notebook(folder):
    nb = new_notebook(
        cells=[new_markdown_cell("# Harness smoke test"), new_code_cell(SOURCE), new_code_cell("print(count)")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    path = folder / "smoke.ipynb"
    nbformat.write(nb, path)
    return path


def test_button_redraws_graphviz_svg(page, lab):
    path = write_notebook(lab.scratch_dir())
    open_notebook(page, path)
    run_all(page)

    nodes = page.locator(f"{PANEL} .widget-html-content svg g.node")
    expect(nodes).to_have_count(1)
    expect(page.locator(f"{PANEL} .jp-OutputArea-output").last).to_have_text("1")
    screenshot(page, "harness-smoke-1-after-run-all")
    before = page.locator(f"{PANEL} .widget-html-content").inner_html()

    button = page.locator(f"{PANEL} .widget-button", has_text="add node")
    button.click()
    expect(nodes).to_have_count(2)
    button.click()
    expect(nodes).to_have_count(3)
    wait_idle(page)
    expect(page.locator(f"{PANEL} .widget-html-content svg g.node title")).to_have_text(["n0", "n1", "n2"])
    assert page.locator(f"{PANEL} .widget-html-content").inner_html() != before
    screenshot(page, "harness-smoke-2-after-two-clicks")


def test_cell_errors_are_reported_but_expected_ones_are_not(page, lab):
    expected = new_code_cell("raise ValueError('shown on purpose')", metadata={"tags": ["raises-exception"]})
    nb = new_notebook(
        cells=[new_code_cell("x = 1"), expected, new_code_cell("1 / 0"), new_code_cell("print('never runs')")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    path = lab.scratch_dir() / "errors.ipynb"
    nbformat.write(nb, path)
    open_notebook(page, path)

    with pytest.raises(AssertionError, match="ZeroDivisionError") as run_error:
        run_all(page, timeout=60)
    with pytest.raises(AssertionError, match="ZeroDivisionError") as check_error:
        assert_no_errors(page)
    assert "shown on purpose" not in str(check_error.value)
    assert page.locator(f"{PANEL} .jp-CodeCell").last.locator(".jp-OutputArea-output").count() == 0
    assert str(run_error.value).startswith("a cell failed during Run All")
