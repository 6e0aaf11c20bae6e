"""The browser harness works end to end: server, kernel, widgets, Graphviz.

A throwaway notebook (written under the served root, never committed) shows a
Graphviz SVG inside an ``ipywidgets.HTML`` with an "add node" button. Run All
must render one node; each click must redraw the SVG through the kernel.
"""

import nbformat
from labharness import PANEL, open_notebook, run_all, screenshot, wait_idle
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
