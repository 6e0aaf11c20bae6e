"""Jupyter widgets: a frame stepper and a side-by-side comparator.

Both show a recording (a :class:`~mapletree.viz.record.Recorder`, a list of
frames, or a :class:`~mapletree.viz.graph.Layout`) one frame at a time. Every
SVG is rendered once and cached. Visible text (step count, narration, the
kernel function and its caller chain) lives in ``widgets.HTML`` so notebook
outputs are deterministic under nbval.

Small recordings (``static=None`` and at most ``STATIC_MAX`` frames) are
pre-rendered into a ``widgets.Stack`` whose selected page is ``jslink``-ed to
the slider: Play and the slider then also work in a static HTML export of the
notebook, without a kernel. Larger recordings render on demand.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from .graph import Layout
from .record import Frame, Recorder

STATIC_MAX = 40


def _frames_of(obj, **layout_opts):
    if isinstance(obj, Layout):
        return obj
    if isinstance(obj, Recorder):
        frames = obj.frames
    elif isinstance(obj, Frame):
        frames = [obj]
    else:
        frames = list(obj)
    if not frames:
        raise ValueError("nothing to show: the recording has no frames")
    if not all(isinstance(f, Frame) for f in frames):
        raise TypeError("expected a Recorder, a Layout or a list of Frame objects")
    return Layout(frames, **layout_opts)


def narration_html(frame, k, n, title=None):
    """The text above a diagram: step count, kind, function chain, narration."""
    esc = html.escape
    head = f"<b>step {k + 1} of {n}</b> · <code>{esc(frame.kind)}</code>"
    if frame.op:
        head += f" · {esc(frame.op)}"
    if title:
        head = f"<b>{esc(title)}</b> — " + head
    chain = esc(frame.chain_text) if (frame.chain or frame.func) else ""
    return (f'<div class="mt-narration" style="font-family:sans-serif;line-height:1.35">'
            f"<div>{head}</div>"
            f'<div style="color:#555;font-family:monospace;font-size:90%">{chain}</div>'
            f'<div style="margin-top:2px">{esc(frame.text)}</div></div>')


def svg_html(svg):
    """Wrap a sanitised SVG so it scales down to the output width."""
    svg = svg.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)
    return f'<div class="mt-svg" style="overflow:auto;max-width:100%">{svg}</div>'


def _speed_slider(interval):
    """Milliseconds per step of Play, jslink-ed to ``Play.interval``."""
    return widgets.IntSlider(value=int(interval), min=100, max=3000, step=100,
                             description="ms/step", readout=True,
                             style={"description_width": "55px"},
                             layout=widgets.Layout(width="220px"))


def _find(frames, what):
    """Position of the first frame whose kind is ``what`` or that mentions it."""
    for i, f in enumerate(frames):
        if f.kind == what:
            return i
    w = str(what).lower()
    for i, f in enumerate(frames):
        if w in f.text.lower() or w in f.chain_text.lower():
            return i
    return None


class Stepper(widgets.VBox):
    """Step through a recording: Play, slider, prev/next, jump to events, speed.

    Methods by purpose (cost; a step costs one cached SVG lookup, the first
    visit of a frame one Graphviz run):

    * navigation: ``go(k)``, ``next()``, ``prev()``, ``first()``, ``last()``
      (O(1) + render once); ``next_event()``, ``prev_event()`` jump to the
      next/previous frame of interest (split, copy, failure, marker, ...; O(F)).
    * state: ``value`` current index, ``frame`` current Frame, ``svg`` its
      SVG, ``narration`` the text shown (O(1)).
    * ``render_all()`` pre-renders every frame (O(F) Graphviz runs).
    """

    def __init__(self, recording, start=0, static=None, interval=900, title=None,
                 interest=None, orient="auto", max_nodes=48, **kwargs):
        self.layout_ = _frames_of(recording, orient=orient, max_nodes=max_nodes)
        frames = self.layout_.frames
        n = len(frames)
        self.title = title
        if interest is None:
            self.events = [i for i, f in enumerate(frames) if f.interesting]
        else:
            wanted = set(interest)
            self.events = [i for i, f in enumerate(frames) if f.kind in wanted]
        self.static = (n <= STATIC_MAX) if static is None else bool(static)
        start = max(0, min(int(start or 0), n - 1))
        lay = widgets.Layout
        self.play = widgets.Play(value=start, min=0, max=n - 1, step=1, interval=interval,
                                 description="play", show_repeat=False)
        self.slider = widgets.IntSlider(value=start, min=0, max=n - 1, step=1,
                                        readout=False, continuous_update=True,
                                        layout=lay(width="300px"), description="step",
                                        style={"description_width": "40px"})
        widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.speed = _speed_slider(interval)
        widgets.jslink((self.speed, "value"), (self.play, "interval"))
        bw = lay(width="76px", min_width="76px")
        self.b_prev = widgets.Button(description="◀ prev", layout=bw, tooltip="previous step")
        self.b_next = widgets.Button(description="next ▶", layout=bw, tooltip="next step",
                                     button_style="primary")
        self.b_pev = widgets.Button(description="« event", layout=bw,
                                    tooltip="previous event of interest")
        self.b_nev = widgets.Button(description="event »", layout=bw,
                                    tooltip="next event of interest (split, copy, failure, ...)")
        self.b_prev.on_click(lambda _: self.prev())
        self.b_next.on_click(lambda _: self.next())
        self.b_pev.on_click(lambda _: self.prev_event())
        self.b_nev.on_click(lambda _: self.next_event())
        self.text = widgets.HTML(value=self._narr(start))
        if self.static:
            pages = [widgets.HTML(value=self._page(i)) for i in range(n)]
            self.view = widgets.Stack(pages, selected_index=start)
            widgets.jslink((self.slider, "value"), (self.view, "selected_index"))
            self.html = None
        else:
            self.html = widgets.HTML(value=svg_html(self.layout_.svg(start)))
            self.view = self.html
        self.slider.observe(self._on_value, names="value")
        controls = widgets.HBox([self.play, self.b_prev, self.b_next, self.slider,
                                 self.b_pev, self.b_nev, self.speed],
                                layout=lay(flex_flow="row wrap", align_items="center"))
        children = [controls] if self.static else [controls, self.text]
        children.append(self.view)
        super().__init__(children, **kwargs)

    # ----- rendering
    def _narr(self, i):
        return narration_html(self.layout_.frames[i], i, len(self.layout_.frames), self.title)

    def _page(self, i):
        return self._narr(i) + svg_html(self.layout_.svg(i))

    def _on_value(self, change):
        i = change["new"]
        self.text.value = self._narr(i)
        if self.html is not None:
            self.html.value = svg_html(self.layout_.svg(i))
        elif self.view.selected_index != i:      # no browser to run the jslink
            self.view.selected_index = i

    # ----- navigation
    @property
    def value(self):
        return self.slider.value

    @property
    def n(self):
        return len(self.layout_.frames)

    @property
    def frame(self):
        return self.layout_.frames[self.slider.value]

    @property
    def svg(self):
        return self.layout_.svg(self.slider.value)

    @property
    def narration(self):
        return self._narr(self.slider.value)

    def go(self, k):
        """Show frame ``k`` (clamped to the recording)."""
        if not isinstance(k, int) or isinstance(k, bool):
            raise TypeError("step must be an int")
        k = max(0, min(k, self.n - 1))
        self.slider.value = k
        return self

    def next(self):
        return self.go(self.slider.value + 1)

    def prev(self):
        return self.go(self.slider.value - 1)

    def first(self):
        return self.go(0)

    def last(self):
        return self.go(self.n - 1)

    def next_event(self):
        later = [i for i in self.events if i > self.slider.value]
        return self.go(later[0] if later else self.n - 1)

    def prev_event(self):
        earlier = [i for i in self.events if i < self.slider.value]
        return self.go(earlier[-1] if earlier else 0)

    def render_all(self):
        for i in range(self.n):
            self.layout_.svg(i)
        return self


class Comparator(widgets.VBox):
    """Two recordings stepped together with one slider (e.g. two fork designs).

    Step k shows frame ``min(k, len - 1)`` of each side. With ``align`` (an
    event kind such as ``"failure"`` or ``"marker"``, or text a frame mentions,
    as in ``Recorder.first``) the side that reaches it earlier waits on its
    first frame, so both sides show that moment at the same step. Methods as
    :class:`Stepper`: ``go``, ``next``, ``prev``, ``next_event``,
    ``prev_event`` (O(1) + one render per side on first visit); ``frames_at(k)``
    the pair of frame indices shown at step k; ``left`` and ``right`` are the
    two Steppers.
    """

    def __init__(self, left, right, titles=("left", "right"), start=0, interval=900,
                 static=False, orient="auto", max_nodes=48, align=None, **kwargs):
        t1, t2 = titles
        self.left = Stepper(left, title=t1, static=static, orient=orient, max_nodes=max_nodes)
        self.right = Stepper(right, title=t2, static=static, orient=orient,
                             max_nodes=max_nodes)
        self.shift = (0, 0)
        if align is not None:
            a = _find(self.left.layout_.frames, align)
            b = _find(self.right.layout_.frames, align)
            if a is not None and b is not None:
                m = max(a, b)
                self.shift = (m - a, m - b)
        n = max(self.left.n + self.shift[0], self.right.n + self.shift[1])
        self.n = n
        start = max(0, min(int(start or 0), n - 1))
        self.play = widgets.Play(value=start, min=0, max=n - 1, interval=interval,
                                 show_repeat=False)
        self.slider = widgets.IntSlider(value=start, min=0, max=n - 1, description="step",
                                        readout=False, style={"description_width": "40px"},
                                        layout=widgets.Layout(width="300px"))
        widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.speed = _speed_slider(interval)
        widgets.jslink((self.speed, "value"), (self.play, "interval"))
        bw = widgets.Layout(width="76px", min_width="76px")
        b_prev = widgets.Button(description="◀ prev", layout=bw)
        b_next = widgets.Button(description="next ▶", layout=bw, button_style="primary")
        b_nev = widgets.Button(description="event »", layout=bw)
        b_prev.on_click(lambda _: self.prev())
        b_next.on_click(lambda _: self.next())
        b_nev.on_click(lambda _: self.next_event())
        self.slider.observe(self._on_value, names="value")
        self._on_value({"new": start})
        for s in (self.left, self.right):      # hide the inner controls
            s.children = s.children[1:]
        side = widgets.HBox([self.left, self.right],
                            layout=widgets.Layout(align_items="flex-start"))
        controls = widgets.HBox([self.play, b_prev, b_next, self.slider, b_nev, self.speed],
                                layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        super().__init__([controls, side], **kwargs)

    def frames_at(self, k):
        """The (left, right) frame positions shown at step ``k``."""
        return (max(0, min(k - self.shift[0], self.left.n - 1)),
                max(0, min(k - self.shift[1], self.right.n - 1)))

    def _on_value(self, change):
        a, b = self.frames_at(change["new"])
        self.left.go(a)
        self.right.go(b)

    @property
    def value(self):
        return self.slider.value

    def go(self, k):
        if not isinstance(k, int) or isinstance(k, bool):
            raise TypeError("step must be an int")
        self.slider.value = max(0, min(k, self.n - 1))
        return self

    def next(self):
        return self.go(self.slider.value + 1)

    def prev(self):
        return self.go(self.slider.value - 1)

    def _events(self):
        return sorted({i + self.shift[0] for i in self.left.events}
                      | {i + self.shift[1] for i in self.right.events})

    def next_event(self):
        ev = self._events()
        later = [i for i in ev if i > self.slider.value]
        return self.go(later[0] if later else self.n - 1)

    def prev_event(self):
        ev = self._events()
        earlier = [i for i in ev if i < self.slider.value]
        return self.go(earlier[-1] if earlier else 0)
