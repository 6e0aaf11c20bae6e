"""The teaching notebooks, driven as a student would in JupyterLab.

For each notebook below: open a copy, Run All, find the first stepper (or
comparator) — the one a lecturer starts with — press "next ▶", then move its
step slider with the keyboard. After each action the narration text and the
diagram (the SVG drawn by Graphviz) must change, and the slider's readout must
follow. Screenshots go to test-artifacts/nb-<notebook>-<step>.png.

The fork (05) and fork-failure (07) notebooks are the ones used live in a
lecture; 02 and 04 cover the first steppers of the maple-tree part, 06 a stepper
that opens in the middle of a recording.
"""

import re
from pathlib import Path

import pytest
from labharness import PANEL, assert_no_errors, open_notebook, run_all, screenshot, wait_idle
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]

# notebook -> (what the first widget is, minimum number of frames it must offer)
CASES = {
    "05-fork-and-mt-dup": ("Comparator", 8),
    "07-when-fork-fails": ("Comparator", 40),
    "02-address-space-to-tree": ("Stepper", 40),
    "04-writes-in-depth": ("Stepper", 4),
    "06-dontcopy": ("Stepper", 30),
}

_STATE_JS = """(el) => {
  const vis = (e) => e && e.offsetParent !== null;
  const narr = [...el.querySelectorAll('.mt-narration')].filter(vis).map(e => e.textContent.trim());
  const svgs = [...el.querySelectorAll('.mt-svg svg')].filter(vis).map(e => e.outerHTML);
  return {narration: narr.join(' || '), svg: svgs.join(''), nsvg: svgs.length};
}"""


def first_stepper(page):
    """The output area of the first cell whose output holds a 'step' slider."""
    outputs = page.locator(f"{PANEL} .jp-OutputArea-output").filter(
        has=page.locator(".widget-slider", has=page.locator(".widget-label", has_text="step")))
    expect(outputs.first).to_be_visible(timeout=60_000)
    return outputs.first


def state_of(area):
    return area.evaluate(_STATE_JS)


def wait_changed(area, before, needle="", timeout=20_000):
    """Wait until the narration and the SVG differ from ``before`` and the narration
    contains ``needle`` (the kernel redraws once per slider step)."""
    page = area.page
    deadline = timeout / 250
    for _ in range(int(deadline)):
        now = state_of(area)
        if (now["narration"] != before["narration"] and now["svg"] != before["svg"]
                and now["nsvg"] and needle in now["narration"]):
            return now
        page.wait_for_timeout(250)
    now = state_of(area)
    raise AssertionError(f"diagram/narration did not change:\nbefore: {before['narration'][:300]}\n"
                         f"after:  {now['narration'][:300]}\nsvg changed: {now['svg'] != before['svg']}")


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_first_stepper_next_and_slider(page, lab, name):
    kind, min_frames = CASES[name]
    open_notebook(page, lab.copy_notebook(ROOT / "notebooks" / f"{name}.ipynb"))
    run_all(page)
    assert_no_errors(page)

    area = first_stepper(page)
    area.scroll_into_view_if_needed()
    slider = area.locator(".widget-slider", has=page.locator(".widget-label", has_text="step")).first
    readout = slider.locator(".widget-readout")
    expect(readout).to_have_text(re.compile(r"^\d+$"))
    r0 = int(readout.text_content())         # 0, or where the notebook chose to start
    start = state_of(area)
    assert start["nsvg"] >= (2 if kind == "Comparator" else 1), start
    assert f"step {r0 + 1} of" in start["narration"], start["narration"][:200]
    screenshot(page, f"nb-{name}-1-after-run-all")

    # "next ▶" moves one frame: readout 1, new narration, new diagram
    area.locator(".widget-button", has_text="next").first.click()
    expect(readout).to_have_text(str(r0 + 1))
    after_next = wait_changed(area, start, f"step {r0 + 2} of")
    screenshot(page, f"nb-{name}-2-after-next")

    # the slider: focus its handle and press ArrowRight (three times, or up to the end)
    handle = slider.locator(".noUi-handle")
    top = int(float(handle.get_attribute("aria-valuemax")))
    moves = min(3, top - r0 - 1)
    handle.focus()
    for _ in range(moves):
        handle.press("ArrowRight")
    expect(readout).to_have_text(str(r0 + 1 + moves))
    after_slider = wait_changed(area, after_next, f"step {r0 + 2 + moves} of")
    wait_idle(page)
    screenshot(page, f"nb-{name}-3-after-slider")

    # jump to the end with the End key: the last frame of the (longer) recording
    handle.press("End")
    expect(readout).to_have_text(str(top))
    total = top + 1
    assert total >= min_frames, f"{name}: only {total} frames"
    if top > r0 + 1 + moves:
        wait_changed(area, after_slider, f"step {total} of {total}")
    else:
        assert f"step {total} of {total}" in state_of(area)["narration"]
    screenshot(page, f"nb-{name}-4-last-step")


def test_self_check_gives_immediate_feedback(page, lab):
    """01's self-check: a wrong answer says so and names the model's answer, the right
    one turns green, and the quiz header counts first tries."""
    open_notebook(page, lab.copy_notebook(ROOT / "notebooks" / "01-start-here.ipynb"))
    run_all(page)
    assert_no_errors(page)
    question = page.locator(f"{PANEL} .mapletree-question").first
    question.scroll_into_view_if_needed()
    feedback = question.locator(".widget-html-content").last
    expect(feedback).to_contain_text("Pick an answer")

    question.locator(".widget-button", has_text="0").first.click()
    expect(feedback).to_contain_text("Not quite")
    expect(feedback).to_contain_text("the model says 1")
    screenshot(page, "nb-01-self-check-1-wrong")

    question.locator(".widget-button").filter(has_text=re.compile(r"^1$")).click()
    expect(feedback).to_contain_text("Correct")
    expect(page.locator(f"{PANEL} .widget-html-content", has_text="Self-check 01").first) \
        .to_contain_text("1 of 2 answered, 0 right at the first try")
    screenshot(page, "nb-01-self-check-2-right")
