"""Self-check questions with immediate feedback, answered by running the model.

Every question computes its own answer by running the maple-tree model (or the
process model) on a fresh tree, so an answer can never disagree with what the
model does. A question shows itself in Jupyter as a small widget: the prompt,
one button per option, and a feedback line that appears as soon as a button is
pressed.

Index, by purpose (cost in brackets):

* Describe a starting tree: :class:`Recipe` (ops replayed on a fresh tree, O(ops)).
* Questions on the tree: :class:`StoreTypeQuestion` ("which store type will this
  be?"), :class:`NodeCountQuestion` ("how many nodes will this allocate?"),
  :class:`NextStepQuestion` ("which kernel function acts next?").
  Each solves itself once, lazily, by replaying its recipe (O(ops)).
* Questions on fork failure: :class:`LeakQuestion` ("which design leaks here?"),
  solved by running every fork design with the same injected failure
  (O(designs x VMAs)).
* :class:`Quiz` groups questions and keeps a score.
* :func:`record_events` runs a function under a tracer and returns the events
  the core emitted (O(events)).

Every question offers ``check(choice) -> Feedback`` (O(1) once solved) for use
without widgets, ``text()`` (a stable one-paragraph description, no answer) and
``widget()``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

__all__ = [
    "Feedback", "Recipe", "Question", "ChoiceQuestion", "slot_roles", "group_hex", "StoreTypeQuestion", "NodeCountQuestion",
    "NextStepQuestion", "WalkQuestion", "LeakQuestion", "describe_fault",
    "child_copy", "clear_cost_table", "transient_failure_demo", "FailureNextQuestion",
    "next_after_failure", "FAILURE_MOVES", "Quiz", "record_events", "STORE_TYPES",
    "ExerciseError", "measure", "measure_text", "apply_op", "op_text", "layout_text",
]


class ExerciseError(ValueError):
    """A question was set up with an impossible recipe or option."""


# ---------------------------------------------------------------------------
# recipes: a starting tree described as a list of operations

def _value(k):
    return f"v{k}"


@dataclass(frozen=True)
class Recipe:
    """A starting tree, described by the operations that build it.

    ``ops`` is a tuple of tuples:

    * ``("seq", n)``: store ``[10k, 10k+5] = "vk"`` for k = 1..n (the examples of
      the specification, ranges with 4-index gaps between them);
    * ``("store", first, last, entry)``: ``mtree_store_range``;
    * ``("erase", index)``: ``mtree_erase``;
    * ``("rcu", on)``: ``mt_set_in_rcu`` / ``mt_clear_in_rcu``.

    ``flags`` are the tree flags (0, ``MT_FLAGS_ALLOC_RANGE`` or ``MM_MT_FLAGS``).
    Cost: ``build()`` replays every op, O(ops) stores.
    """

    ops: tuple = ()
    flags: int = 0
    label: str = ""

    def build(self, allocator=None):
        """Return a fresh ``MapleTree`` built by replaying the ops."""
        from mapletree.core.tree import MapleTree
        tree = MapleTree(flags=self.flags, allocator=allocator) if allocator is not None \
            else MapleTree(flags=self.flags)
        for op in self.ops:
            apply_op(tree, op)
        return tree

    def describe(self):
        if self.label:
            return self.label
        parts = []
        for op in self.ops:
            if op[0] == "seq":
                parts.append(f"seq({op[1]})")
            else:
                parts.append(op_text(op))
        return "; ".join(parts) or "empty tree"


def apply_op(tree, op):
    """Apply one recipe/question op to ``tree`` (mtree_* calls)."""
    name = op[0]
    if name == "seq":
        for k in range(1, op[1] + 1):
            tree.store_range(10 * k, 10 * k + 5, _value(k))
    elif name == "store":
        tree.store_range(op[1], op[2], op[3])
    elif name == "erase":
        return tree.erase(op[1])
    elif name == "rcu":
        tree.set_rcu(bool(op[1]))
    else:
        raise ExerciseError(f"unknown op {name!r}; use seq, store, erase or rcu")
    return None


def op_text(op):
    """Human text of one op, e.g. ``store [42, 42] = NULL``."""
    if op[0] == "store":
        entry = "NULL" if op[3] is None else repr(op[3])
        rng = f"[{op[1]}, {op[2]}]" if op[1] != op[2] else f"[{op[1]}]"
        return f"store {rng} = {entry}"
    if op[0] == "erase":
        return f"erase {op[1]}"
    if op[0] == "rcu":
        return "enter RCU mode" if op[1] else "leave RCU mode"
    if op[0] == "seq":
        return f"seq({op[1]})"
    return repr(op)


def _entry_short(e):
    if e is None:
        return "-"
    label = getattr(e, "label", None) or getattr(e, "name", None)
    if label:
        return str(label)
    if repr(e) == "XA_ZERO_ENTRY" or getattr(e, "value", None) == 257:
        return "ZERO"
    return str(e)


def _num(v, hexa):
    from mapletree.core.constants import ULONG_MAX
    if v == ULONG_MAX:
        return "MAX"
    return f"{v:#_x}" if hexa else str(v)


def layout_text(tree, hexa=None):
    """The tree in the compact notation of the specification's examples.

    One line per node, indented by depth: ``leaf [0-85] e=15: 0-9:- 10-15:v1 ...``
    for leaves, ``range_64 [0-MAX] e=2 piv=[85,135]`` (plus ``gaps=[..] mg=k``
    for ``arange_64``) for internal nodes. NULL is ``-``, ``XA_ZERO_ENTRY`` is
    ``ZERO``. Numbers are hex (``0x7f00_0000``) when ``hexa`` is true or, by
    default, when the tree holds indices above 2**20. Mirrors ``mt_dump()`` in
    content, not in format. Cost: O(nodes * slots).
    """
    from mapletree.core.constants import ULONG_MAX
    root = tree.root_node
    if root is None:
        ranges = tree.ranges()
        return "empty tree" if not ranges else f"root entry: {_entry_short(ranges[0][2])}"
    if hexa is None:
        hexa = any(last >= (1 << 20) and last != ULONG_MAX for first, last, _ in tree.ranges())
    lines = []

    def visit(node, lo, hi, depth):
        end = node.data_end(hi)
        pad = "  " * depth
        rng = f"[{_num(lo, hexa)}-{_num(hi, hexa)}]"
        if node.is_leaf:
            parts = []
            start = lo
            for i in range(end + 1):
                last = node.pivots[i] if i < end else hi
                parts.append(f"{_num(start, hexa)}-{_num(last, hexa)}:{_entry_short(node.slots[i])}")
                start = last + 1
            lines.append(f"{pad}leaf {rng} e={end}: " + " ".join(parts))
            return
        piv = ",".join(_num(p, hexa) for p in node.pivots[:end])
        text = f"{pad}{node.type_name} {rng} e={end} piv=[{piv}]"
        if node.gaps is not None:
            gaps = ",".join(_num(g, False) if g != ULONG_MAX else "MAX" for g in node.gaps[:end + 1])
            text += f" gaps=[{gaps}] mg={node.meta_gap}"
        lines.append(text)
        start = lo
        for i in range(end + 1):
            last = node.pivots[i] if i < end else hi
            visit(node.slots[i], start, last, depth + 1)
            start = last + 1

    visit(root, 0, ULONG_MAX, 0)
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# tracing helper

@dataclass
class Event:
    kind: str
    func: str
    text: str
    chain: tuple = ()
    info: dict = field(default_factory=dict)


class _Collector:
    def __init__(self):
        self.events = []

    def event(self, kind, func, text, *, chain=(), trees=(), nodes=None, info=None):
        self.events.append(Event(kind, func, text, tuple(chain), dict(info or {})))


def record_events(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` with a tracer installed.

    Returns ``(result, events)``; each event has ``kind``, ``func`` (the kernel
    function at work), ``text`` (one sentence) and ``chain``.
    """
    from mapletree.core import trace
    col = _Collector()
    with trace.tracing(col):
        result = fn(*args, **kwargs)
    return result, col.events


def measure(recipe, op):
    """Run ``op`` on a fresh tree built from ``recipe`` and report what it cost.

    Returns a dict: ``store_type``, ``allocated`` (nodes taken from the
    allocator by this op), ``freed`` (nodes freed, RCU-deferred ones included),
    ``nodes_before``/``nodes_after``, ``height_before``/``height_after`` and
    ``funcs`` (the kernel functions that emitted events, in order, no repeats).
    Mirrors no single kernel function: it is the bookkeeping a lecturer does by
    hand around ``mas_store_gfp``. Cost: one recipe replay plus one op.
    """
    from mapletree.core.alloc import NodeAllocator
    alloc = NodeAllocator()
    tree = recipe.build(alloc)
    a0, f0 = alloc.allocated, alloc.freed
    n0, h0 = tree.node_count(), tree.height
    _, events = record_events(apply_op, tree, op)
    funcs = []
    for e in events:
        if e.func not in funcs:
            funcs.append(e.func)
    return {
        "store_type": _short_type(tree.last_store_type),
        "allocated": alloc.allocated - a0,
        "freed": alloc.freed - f0,
        "nodes_before": n0, "nodes_after": tree.node_count(),
        "height_before": h0, "height_after": tree.height,
        "funcs": funcs,
    }


def measure_text(recipe, op):
    """:func:`measure` as one line, e.g. ``slot_store: 0 nodes allocated, 0 freed;
    tree 1 -> 1 nodes, height 1 -> 1 (mas_wr_slot_store)``. Cost: as measure()."""
    m = measure(recipe, op)
    work = [f for f in m["funcs"] if f not in ("mtree_store_range", "mtree_erase",
                                                "mas_wr_store_type")]
    return (f"{op_text(op)}: {m['store_type']}, {m['allocated']} node"
            f"{'s' if m['allocated'] != 1 else ''} allocated, {m['freed']} freed; tree "
            f"{m['nodes_before']} -> {m['nodes_after']} nodes, height {m['height_before']} -> "
            f"{m['height_after']} ({', '.join(work)})")


# ---------------------------------------------------------------------------
# feedback and the base question

@dataclass(frozen=True)
class Feedback:
    correct: bool
    message: str

    def __str__(self):
        return ("Correct. " if self.correct else "Not quite. ") + self.message


class Question:
    """Base class: a prompt, options and an answer the model computes.

    Subclasses implement ``_solve() -> (answer, explanation)`` and ``options``.
    Mirrors no kernel function: it runs the model and compares.

    Methods by purpose (cost):

    * answer: ``answer``, ``explanation``, ``solve()`` — the first use runs the model
      (the subclass's cost), later uses O(1);
    * checking: ``check(choice) -> Feedback`` — O(1) once solved; raises
      ExerciseError for a choice that is not an option;
    * display: ``text()`` (stable text, no answer; O(options)), ``widget()`` (an
      ipywidgets box; O(options)), ``_repr_mimebundle_`` (Jupyter display).
    """

    prompt = ""

    def __init__(self, prompt=None, title=None):
        if prompt is not None:
            self.prompt = prompt
        self.title = title or type(self).__name__
        self._solved = None

    # -- answer ---------------------------------------------------------------
    def _solve(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def solve(self):
        if self._solved is None:
            self._solved = self._solve()
        return self._solved

    @property
    def answer(self):
        """The model's answer (computed on first use)."""
        return self.solve()[0]

    @property
    def explanation(self):
        return self.solve()[1]

    @property
    def options(self):
        return []

    def check(self, choice):
        """Compare ``choice`` with the model's answer; returns :class:`Feedback`."""
        opts = self.options
        if opts and choice not in opts:
            raise ExerciseError(f"{choice!r} is not one of the options {opts!r}")
        answer, why = self.solve()
        if self._same(choice, answer):
            return Feedback(True, why)
        return Feedback(False, f"You chose {self._fmt(choice)}; the model says "
                               f"{self._fmt(answer)}. {why}")

    def _same(self, choice, answer):
        return choice == answer

    def _fmt(self, value):
        return str(value)

    # -- presentation ---------------------------------------------------------
    def context_html(self):
        """Extra HTML shown above the options (e.g. the starting tree)."""
        return ""

    def text(self):
        """A stable description (no answer), e.g. for printing in a notebook."""
        opts = " | ".join(self._fmt(o) for o in self.options)
        return f"{self.title}: {self.prompt}\n  options: {opts}"

    def __repr__(self):
        return self.text()

    def widget(self):
        """An ipywidgets box: prompt, one button per option, feedback line."""
        import ipywidgets as W
        head = W.HTML(f"<b>{html.escape(self.title)}</b>: {html.escape(self.prompt)}"
                      + self.context_html())
        feedback = W.HTML("<i>Pick an answer.</i>")
        buttons = []

        def on_click(btn):
            fb = self.check(btn._choice)
            color = "#1a7f37" if fb.correct else "#b35900"
            mark = "&#10004;" if fb.correct else "&#10008;"
            feedback.value = (f"<span style='color:{color}'><b>{mark} "
                              f"{'Correct' if fb.correct else 'Not quite'}.</b></span> "
                              f"{html.escape(fb.message if fb.correct else fb.message)}")
            for b in buttons:
                b.button_style = ""
            btn.button_style = "success" if fb.correct else "warning"
            if self._quiz is not None:
                self._quiz._record(self, fb.correct)

        for opt in self.options:
            b = W.Button(description=self._fmt(opt),
                         layout=W.Layout(width="auto", min_width="4em"))
            b._choice = opt
            b.on_click(on_click)
            buttons.append(b)
        box = W.VBox([head, W.HBox(buttons, layout=W.Layout(flex_flow="row wrap")), feedback],
                     layout=W.Layout(border="1px solid #ccc", padding="6px", margin="4px 0"))
        box.add_class("mapletree-question")
        return box

    _quiz = None

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        w = self.widget()
        data = w._repr_mimebundle_(include=include, exclude=exclude, **kwargs)
        if isinstance(data, tuple):
            data = data[0]
        data = dict(data)
        data["text/plain"] = self.text()
        return data


class ChoiceQuestion(Question):
    """A multiple-choice question whose answer comes from running ``solver()``.

    ``solver() -> (answer, explanation)``; ``answer`` must be one of ``options``.
    For one-off questions in a notebook that still must never be wrong: the
    solver runs the model. Cost: whatever ``solver`` costs, once.
    """

    def __init__(self, prompt, options, solver, title="Question", context=""):
        self._opts = list(options)
        self._solver = solver
        self._context = context
        super().__init__(prompt, title)

    @property
    def options(self):
        return self._opts

    def _solve(self):
        answer, why = self._solver()
        if answer not in self._opts:
            raise ExerciseError(f"the model's answer {answer!r} is not among the options "
                                f"{self._opts!r}")
        return answer, why

    def context_html(self):
        return f"<div>{html.escape(self._context)}</div>" if self._context else ""


# ---------------------------------------------------------------------------
# tree questions

STORE_TYPES = ("exact_fit", "append", "slot_store", "node_store", "split_store",
               "rebalance", "spanning_store", "new_root", "store_root")


def _short_type(name):
    """Normalise a store type name: drop a leading ``wr_`` prefix."""
    if name is None:
        return None
    name = str(name)
    return name[3:] if name.startswith("wr_") else name


class _TreeQuestion(Question):
    def __init__(self, recipe, op, prompt=None, title=None):
        if not isinstance(recipe, Recipe):
            raise ExerciseError("recipe must be a mapletree.exercises.Recipe")
        if not isinstance(op, tuple) or not op or op[0] not in ("store", "erase"):
            raise ExerciseError("op must be ('store', first, last, entry) or ('erase', index)")
        self.recipe = recipe
        self.op = op
        super().__init__(prompt, title)

    def start_tree(self, allocator=None):
        return self.recipe.build(allocator)

    def context_html(self):
        tree = self.start_tree()
        dump = layout_text(tree)
        return (f"<div>Starting tree: {html.escape(self.recipe.describe())}; "
                f"then <code>{html.escape(op_text(self.op))}</code>.</div>"
                f"<details><summary>tree dump</summary><pre style='font-size:11px'>"
                f"{html.escape(dump)}</pre></details>")

    def text(self):
        return (f"{self.title}: {self.prompt}\n  start: {self.recipe.describe()}; "
                f"op: {op_text(self.op)}\n  options: "
                + " | ".join(self._fmt(o) for o in self.options))

    def _run(self):
        """Run the op on a fresh tree; returns (tree, allocator, before, events)."""
        from mapletree.core.alloc import NodeAllocator
        alloc = NodeAllocator()
        tree = self.start_tree(alloc)
        before = {"allocated": alloc.allocated, "freed": alloc.freed,
                  "nodes": tree.node_count(), "height": tree.height}
        _, events = record_events(apply_op, tree, self.op)
        return tree, alloc, before, events


class StoreTypeQuestion(_TreeQuestion):
    """"Which store type will this be?" — answered by ``mas_wr_store_type``.

    The model runs the op on a fresh copy of the starting tree and reads
    ``tree.last_store_type``. Cost: one recipe replay plus one store.
    """

    prompt = "Which store type will mas_wr_store_type() choose?"

    def __init__(self, recipe, op, options=None, prompt=None, title="Store type"):
        self._options = tuple(options) if options else None
        super().__init__(recipe, op, prompt, title)

    @property
    def options(self):
        if self._options:
            opts = list(self._options)
        else:
            opts = [t for t in STORE_TYPES if t != "store_root"]
        ans = self.answer
        if ans not in opts:
            opts.append(ans)
        return opts

    def _solve(self):
        tree, alloc, before, events = self._run()
        answer = _short_type(tree.last_store_type)
        reason = ""
        for ev in events:
            if ev.kind == "store_type":
                reason = ev.text
                break
        grew = alloc.allocated - before["allocated"]
        why = (f"{reason} " if reason else "") + \
            (f"It allocated {grew} node{'s' if grew != 1 else ''}; the tree went from "
             f"{before['nodes']} to {tree.node_count()} nodes (height {before['height']} "
             f"-> {tree.height}).")
        return answer, why.strip()


class NodeCountQuestion(_TreeQuestion):
    """"How many nodes will this allocate?" — counted by the node allocator.

    ``measure="allocated"`` (default) counts nodes the store took from the
    allocator (what ``mas_prealloc_calc`` requested; unused ones are freed again
    by ``mas_destroy``); ``measure="net"`` asks for the change of the tree's node
    count. Cost: one recipe replay plus one store.
    """

    def __init__(self, recipe, op, measure="allocated", options=None, prompt=None,
                 title="Node count"):
        if measure not in ("allocated", "net"):
            raise ExerciseError("measure must be 'allocated' or 'net'")
        self.measure = measure
        self._options = tuple(options) if options else None
        if prompt is None:
            prompt = ("How many nodes will this store allocate?" if measure == "allocated"
                      else "By how many nodes will the tree's node count change?")
        super().__init__(recipe, op, prompt, title)

    @property
    def options(self):
        if self._options:
            opts = list(self._options)
        elif self.measure == "allocated":
            opts = list(range(0, 8))
        else:
            opts = list(range(-3, 4))
        if self.answer not in opts:
            opts.append(self.answer)
            opts.sort()
        return opts

    def _same(self, choice, answer):
        return int(choice) == int(answer)

    def _solve(self):
        tree, alloc, before, events = self._run()
        allocated = alloc.allocated - before["allocated"]
        net = tree.node_count() - before["nodes"]
        st = _short_type(tree.last_store_type)
        why = (f"The store was a {st}: it took {allocated} node{'s' if allocated != 1 else ''} "
               f"from the allocator and the tree went from {before['nodes']} to "
               f"{tree.node_count()} nodes.")
        return (allocated if self.measure == "allocated" else net), why


class NextStepQuestion(_TreeQuestion):
    """"Which kernel function acts next?" — read from the recorded events.

    The op is run under a tracer; the question shows the narration of the first
    ``step`` events and asks which kernel function produces event ``step``.
    Options are the distinct functions of the recording. Cost: one replay.
    """

    prompt = "Which kernel function does the next step?"

    def __init__(self, recipe, op, step=None, prompt=None, title="Next step"):
        super().__init__(recipe, op, prompt, title)
        self._step = step

    def _events(self):
        if not hasattr(self, "_ev"):
            _, _, _, events = self._run()
            self._ev = [e for e in events if e.kind not in ("begin", "end")] or events
        return self._ev

    @property
    def step(self):
        ev = self._events()
        if not ev:
            raise ExerciseError("the op emitted no events; nothing to predict")
        s = self._step if self._step is not None else min(len(ev) - 1, max(1, len(ev) // 2))
        if not 0 <= s < len(ev):
            raise ExerciseError(f"step must be in [0, {len(ev) - 1}] for this op")
        return s

    @property
    def options(self):
        seen = []
        for e in self._events():
            if e.func not in seen:
                seen.append(e.func)
        return sorted(seen)

    def so_far(self):
        """Narration of the events before the one to predict."""
        return [f"{e.func}: {e.text}" for e in self._events()[: self.step]]

    def context_html(self):
        items = "".join(f"<li>{html.escape(t)}</li>" for t in self.so_far()[-6:])
        return super().context_html() + f"<div>So far:</div><ol>{items}</ol>"

    def text(self):
        return super().text() + f"\n  events shown before the question: {self.step}"

    def _solve(self):
        e = self._events()[self.step]
        return e.func, f"Step {self.step}: {e.func}: {e.text}"


class WalkQuestion(Question):
    """"Which range will ``mas_walk`` report?" — answered by walking a fresh tree.

    ``options`` are ``(index, last)`` pairs; the answer is the slot range
    ``mas_walk`` leaves in the state (NULL ranges included). Cost: one replay
    plus one walk.
    """

    def __init__(self, recipe, index, options, prompt=None, title="Walk"):
        if not isinstance(recipe, Recipe):
            raise ExerciseError("recipe must be a mapletree.exercises.Recipe")
        self.recipe = recipe
        self.index = int(index)
        self._opts = [tuple(o) for o in options]
        if prompt is None:
            prompt = (f"mas_walk() at index {self.index}: which range do mas.index and "
                      f"mas.last describe afterwards?")
        super().__init__(prompt, title)

    @property
    def options(self):
        opts = list(self._opts)
        if self.answer not in opts:
            opts.append(self.answer)
        return opts

    def _solve(self):
        from mapletree.core.state import MapleState
        mas = MapleState(self.recipe.build(), self.index)
        entry = mas.walk()
        what = "NULL (a hole)" if entry is None else repr(entry)
        return (mas.index, mas.last), (f"The slot holding index {self.index} holds {what} and "
                                       f"covers [{mas.index}, {mas.last}].")

    def _fmt(self, value):
        return f"[{value[0]}, {value[1]}]"

    def text(self):
        return (f"{self.title}: {self.prompt}\n  start: {self.recipe.describe()}\n  options: "
                + " | ".join(self._fmt(o) for o in self.options))


# ---------------------------------------------------------------------------
# fork-failure questions (process model)

FAULT_WORDS = {
    "F0": "the parent's mmap lock is interrupted", "F1": "__mt_dup() runs out of memory",
    "F2": "the VM_DONTCOPY clear (mas_store_gfp) gets no memory",
    "F3": "a fatal signal is pending", "F4": "overcommit refuses the VM_ACCOUNT charge",
    "F5": "vm_area_dup() fails", "F6": "the policy / userfaultfd copy fails",
    "F7": "anon_vma_fork() fails", "F8": "the store of the new VMA fails",
    "F9": "copy_page_range() fails part-way", "F10": "arch_dup_mmap() fails",
}


def describe_fault(fault, proc=None):
    """One sentence for a fault spec, e.g. ``fork fails in vm_area_dup() at V6 (F5)``."""
    from mapletree import mm
    f = mm.parse_fault(fault)
    if f is None:
        return "fork succeeds"
    parent = (proc or mm.reference_process)()
    f = f.resolve(parent.vmas())
    where = f" at {parent.vmas()[f.vma].label}" if f.vma is not None else ""
    return f"fork fails: {FAULT_WORDS.get(f.point, f.point)}{where} ({f.label})"


class LeakQuestion(Question):
    """"Which design leaks here?" — every fork design is run with the same failure.

    ``point`` and ``vma`` select the injected failure (see ``mapletree.mm``);
    the answer is the list of designs whose outcome is not clean. Cost: one
    fork + teardown per design.
    """

    prompt = "Which design leaves something behind (or crashes) after this failure?"

    def __init__(self, runner, designs, situation, prompt=None, title="Which design leaks?"):
        """``runner(design) -> outcome list`` (e.g. ``["CLEAN"]``); ``situation`` is text."""
        self.runner = runner
        self.designs = tuple(designs)
        self.situation = situation
        super().__init__(prompt, title)

    @classmethod
    def for_failure(cls, fault, designs=("v2-marker", "6.8-marker", "7.0-recovery"),
                    proc=None, **kw):
        """A question on the reference process (or ``proc()``) failing with ``fault``
        (any spec :func:`mapletree.mm.parse_fault` reads), run through fork and
        exit_mmap in every design."""
        from mapletree import mm
        build = proc or mm.reference_process

        def runner(design):
            return mm.fork_and_exit(build(), design, fail=fault, walkers=False).outcomes

        situation = describe_fault(fault, build) + "; then the child is torn down."
        return cls(runner, designs, situation, **kw)

    @property
    def options(self):
        return list(self.designs) + ["none of them"]

    def outcomes(self):
        if not hasattr(self, "_outcomes"):
            self._outcomes = {d: list(self.runner(d)) for d in self.designs}
        return self._outcomes

    def _solve(self):
        bad = [d for d, out in self.outcomes().items() if any(o != "CLEAN" for o in out)]
        table = "; ".join(f"{d}: {', '.join(o)}" for d, o in self.outcomes().items())
        if len(bad) == 1:
            return bad[0], f"Outcomes: {table}."
        if not bad:
            return "none of them", f"Outcomes: {table}."
        return tuple(bad), f"Outcomes: {table}."

    def _same(self, choice, answer):
        if isinstance(answer, tuple):
            return choice in answer
        return choice == answer

    def _fmt(self, value):
        if isinstance(value, tuple):
            return " or ".join(value)
        return str(value)

    def context_html(self):
        return f"<div>{html.escape(self.situation)}</div>"

    def text(self):
        return (f"{self.title}: {self.prompt}\n  situation: {self.situation}\n  options: "
                + " | ".join(self._fmt(o) for o in self.options))


# ---------------------------------------------------------------------------
# teaching helpers for the fork notebooks

_HEX = None


def group_hex(text):
    """Write every hex number in ``text`` with ``_`` every four digits
    (``0x7f0000400000`` -> ``0x7f00_0040_0000``), as Python's ``{:#_x}`` does:
    easier to read, and stable under the notebook canonicalizer, which masks
    long ungrouped hex numbers as memory addresses. Cost: O(len(text))."""
    import re
    global _HEX
    if _HEX is None:
        _HEX = re.compile(r"0x([0-9a-fA-F]+)")
    return _HEX.sub(lambda m: f"{int(m.group(1), 16):#_x}", text)


def slot_roles(frame, tree="child"):
    """One line classifying the entries of ``tree`` in a recorded frame, e.g.
    ``V0:child V1:child V2:stale ...`` (roles: child, stale, dontcopy, marker, ...).
    NULL slots are left out. Cost: O(slots of the tree)."""
    try:
        snap = frame.tree(tree)
    except KeyError:
        return f"({tree}: not recorded yet)"
    if snap.root_node is None:
        return "(empty tree)"
    parts = [f"{s.label}:{s.role}" for n, _, _, _ in snap.nodes() if n.is_leaf
             for s in n.slots if not s.is_null]
    return " ".join(parts)


# ---------------------------------------------------------------------------
# teaching helpers for the VM_DONTCOPY notebook

def child_copy(parent_tree):
    """The child's tree right after ``__mt_dup`` and ``mt_clear_in_rcu``, as dup_mmap
    has it in its loop: same layout as ``parent_tree``, every entry the parent's.
    Cost: O(nodes)."""
    from mapletree.core.alloc import NodeAllocator
    from mapletree.core.dup import mt_dup
    from mapletree.core.tree import MapleTree
    dst = MapleTree(flags=parent_tree.flags & ~0x7C, allocator=NodeAllocator())
    mt_dup(parent_tree, dst)
    dst.set_rcu(False)
    return dst


def _clear_cost(tree, first, last):
    alloc = tree.allocator if hasattr(tree, "allocator") else None
    a0 = alloc.allocated if alloc is not None else 0
    tree.store_range(first, last, None)
    return _short_type(tree.last_store_type), (alloc.allocated - a0) if alloc is not None else None


def clear_cost_table():
    """What clearing one VMA's range (a NULL store, as for VM_DONTCOPY) costs, in
    several neighbourhoods. Rows: ``case``, ``store_type``, ``allocated``, ``height``.
    Each row runs on a fresh tree. Cost: a handful of small trees."""
    from mapletree import mm
    rows = []

    def ref(variant):
        p = mm.reference_process(dontcopy_neighbour=variant)
        v4 = [v for v in p.vmas() if v.label == "V4"][0]
        return child_copy(p.tree), v4.start, v4.end - 1

    for label, (tree, a, b) in (
            ("V4 between two VMAs (reference process)", ref("vma")),
            ("V4 ends its leaf, a hole before it (variant 'gap')", ref("gap"))):
        h = tree.height
        st, n = _clear_cost(tree, a, b)
        rows.append({"case": label, "store_type": st, "allocated": n, "height": h})
    cases = [
        ("v5 of seq(20): holes on both sides", (("seq", 20),), (50, 55), False),
        ("same, in RCU mode", (("seq", 20),), (50, 55), True),
        ("v8 of seq(20): last entry of the first leaf", (("seq", 20),), (80, 85), False),
        ("v10 of seq(20) after v9 was erased", (("seq", 20), ("erase", 90)), (100, 105), False),
    ]
    from mapletree.core.alloc import NodeAllocator
    for label, ops, (a, b), rcu in cases:
        alloc = NodeAllocator()
        tree = Recipe(ops=ops).build(alloc)
        if rcu:
            tree.set_rcu(True)
        h = tree.height
        a0 = alloc.allocated
        tree.store_range(a, b, None)
        rows.append({"case": label, "store_type": _short_type(tree.last_store_type),
                     "allocated": alloc.allocated - a0, "height": h})
    return rows


def transient_failure_demo():
    """Clear V4 in the child's copy (variant 'gap', where the clear needs nodes) while
    every GFP_NOWAIT allocation fails: ``mas_store`` fails, ``mas_store_gfp`` retries
    with GFP_KERNEL and succeeds. Returns lines of text. Mirrors the v2 vs 6.8
    difference in dup_mmap. Cost: two small trees."""
    from mapletree import mm
    from mapletree.core.errors import NoMemoryError
    from mapletree.core.state import MapleState
    lines = []
    for name in ("mas_store", "mas_store_gfp"):
        p = mm.reference_process(dontcopy_neighbour="gap")
        v4 = [v for v in p.vmas() if v.label == "V4"][0]
        tree = child_copy(p.tree)
        alloc = tree.allocator
        mas = MapleState(tree, v4.start, v4.end - 1)
        with alloc.inject("from", 1, only_nowait=True):
            try:
                if name == "mas_store":
                    mas.store(None)
                else:
                    mas.store_gfp(None)
                ok = True
            except NoMemoryError:
                ok = False
            attempts, failed = alloc.attempts, alloc.failed
        still = tree.load(v4.start)
        lines.append(f"{name + '(NULL)':<20} {'succeeds' if ok else 'fails -ENOMEM'}: "
                     f"{attempts} allocation attempt{'s' if attempts != 1 else ''}, {failed} failed; "
                     f"V4's range now holds {'NULL' if still is None else getattr(still, 'label', still)}")
    return lines


FAILURE_MOVES = (
    "write XA_ZERO_ENTRY over the failing VMA's range",
    "tear the copied VMAs down itself, at once",
    "leave the tree as the loop left it and return",
)


def next_after_failure(design, fault, proc=None):
    """The step ``dup_mmap()`` takes right after ``fault`` fires under ``design``:
    ``(move, (kind, func, text))`` where ``move`` is one of FAILURE_MOVES.
    Runs one fork of the reference process (or ``proc()``) without the teardown."""
    from mapletree import mm
    build = proc or mm.reference_process
    _, res = mm.fork(build(), design, fail=fault, walkers=False, exit_on_failure=False)
    events = list(res.events)
    fired = next((i for i, e in enumerate(events) if "fail" in e[2] and e[0] in ("fork", "failure")),
                 None)
    if fired is None or fired + 1 >= len(events):
        raise ExerciseError(f"{fault!r} did not make the fork fail under {design}")
    nxt = events[fired + 1]
    if nxt[0] == "marker":
        move = FAILURE_MOVES[0]
    elif nxt[0] == "teardown":
        move = FAILURE_MOVES[1]
    else:
        move = FAILURE_MOVES[2]
    return move, nxt


class FailureNextQuestion(Question):
    """"The fork just failed: what does dup_mmap() do next?" — read from the model's
    event log for ``design`` (one fork, no teardown)."""

    def __init__(self, design, fault, proc=None, prompt=None, title="Next step after a failure"):
        self.design = design
        self.fault = fault
        self.proc = proc
        if prompt is None:
            prompt = f"Design {design}: {describe_fault(fault, proc)}. What does dup_mmap() do next?"
        super().__init__(prompt, title)

    @property
    def options(self):
        return list(FAILURE_MOVES)

    def _solve(self):
        move, (kind, func, text) = next_after_failure(self.design, self.fault, self.proc)
        return move, f"Next step ({func}): {group_hex(text)}"


# ---------------------------------------------------------------------------

class Quiz:
    """A list of questions shown together, with a running score.

    Methods by purpose (cost; solving each question once, see the question classes):

    * checking: ``check_all(choices)`` — one Feedback per question (O(questions));
    * score: ``score_text()`` — answered so far and right at the first try (O(questions));
    * display: ``text()`` (stable, no answers), ``widget()``, ``_repr_mimebundle_``.
    """

    def __init__(self, questions, title="Self-check"):
        self.questions = list(questions)
        self.title = title
        self._results = {}
        for q in self.questions:
            q._quiz = self

    def _record(self, q, ok):
        first = id(q) not in self._results
        if first:
            self._results[id(q)] = ok
        if hasattr(self, "_score"):
            self._score.value = self.score_text()

    def score_text(self):
        right = sum(1 for v in self._results.values() if v)
        return (f"<b>{self.title}</b>: {len(self._results)} of {len(self.questions)} "
                f"answered, {right} right at the first try.")

    def check_all(self, choices):
        """Check a list of choices; returns the list of Feedback."""
        return [q.check(c) for q, c in zip(self.questions, choices)]

    def text(self):
        lines = [f"{self.title}: {len(self.questions)} questions"]
        for i, q in enumerate(self.questions, 1):
            lines.append(f"{i}. " + q.text())
        return "\n".join(lines)

    def __repr__(self):
        return self.text()

    def widget(self):
        import ipywidgets as W
        self._score = W.HTML(self.score_text())
        return W.VBox([self._score] + [q.widget() for q in self.questions])

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        data = self.widget()._repr_mimebundle_(include=include, exclude=exclude, **kwargs)
        if isinstance(data, tuple):
            data = data[0]
        data = dict(data)
        data["text/plain"] = self.text()
        return data
