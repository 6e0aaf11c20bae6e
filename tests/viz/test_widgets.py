"""Stepper and Comparator step handling from Python."""

import pytest

from mapletree.viz.record import frames_from_case
from mapletree.viz.widgets import Comparator, Stepper, svg_html


@pytest.fixture
def frames(golden):
    return frames_from_case(golden("leaf_split_plain"))


def test_stepper_lazy_value_change_updates_svg(frames):
    s = Stepper(frames, static=False)
    assert s.n == len(frames) and s.value == 0
    assert svg_html(s.layout_.svg(0)) in s.html.value
    s.slider.value = 5                          # as the browser would
    assert svg_html(s.layout_.svg(5)) in s.html.value
    assert "step 6 of 21" in s.text.value
    s.next()
    assert s.value == 6 and svg_html(s.layout_.svg(6)) in s.html.value
    s.go(999)
    assert s.value == 20
    s.prev()
    assert s.value == 19


def test_stepper_events(frames):
    s = Stepper(frames, static=False)
    assert s.events == [9, 13, 16]
    s.next_event()
    assert s.value == 9 and s.frame.kind == "split"
    s.next_event()
    assert s.value == 13
    s.prev_event()
    assert s.value == 9


def test_stepper_static_stack_follows(frames):
    s = Stepper(frames[:9], static=True, start=3)
    assert s.view.selected_index == 3
    s.go(7)
    assert s.view.selected_index == 7
    assert svg_html(s.layout_.svg(7)) in s.view.children[7].value
    assert "step 8 of 9" in s.view.children[7].value


def test_stepper_rejects_bad_input(frames):
    with pytest.raises(ValueError):
        Stepper([])
    with pytest.raises(TypeError):
        Stepper([1, 2])
    s = Stepper(frames[:3], static=False)
    with pytest.raises(TypeError):
        s.go("3")
    assert s.value == 0


def test_comparator_steps_both(frames):
    c = Comparator(frames, frames[:5], titles=("all", "first five"))
    c.go(7)
    assert (c.left.value, c.right.value) == (7, 4)
    assert svg_html(c.left.layout_.svg(7)) in c.left.html.value
    assert "all" in c.left.text.value and "first five" in c.right.text.value
    c.next()
    assert c.left.value == 8


def test_comparator_aligns_on_an_event(frames):
    # left: the whole case; right: from step 5 on; align on the first split
    c = Comparator(frames, frames[5:], titles=("a", "b"), align="split")
    first_split = [f.kind for f in frames].index("split")
    assert c.shift == (0, 5)
    c.go(first_split)
    a, b = c.frames_at(first_split)
    assert c.left.frame.kind == c.right.frame.kind == "split"
    assert (c.left.value, c.right.value) == (first_split, first_split - 5)
    c.go(2)
    assert c.right.value == 0           # the right side waits on its first frame
