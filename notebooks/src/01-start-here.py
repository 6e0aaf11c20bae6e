# %% [markdown]
# # 01 · Start here: the maple tree and fork(), one step at a time
#
# This suite is an executable model of two pieces of Linux 6.12:
#
# * the **maple tree** (`lib/maple_tree.c`), the B-tree of ranges that holds every process's
#   virtual memory areas (VMAs), and
# * how **fork()** copies that tree for the child with `__mt_dup()` (`kernel/fork.c`,
#   `dup_mmap()`), and what the kernel does when that copy fails half-way.
#
# Every diagram is drawn from the model while it runs the same steps as the kernel, and every
# step names the kernel function it mirrors, so you can open the C source next to it.
#
# **Learning goals.** After this notebook you can
# 1. drive a *stepper*: next, back, play, and jump with the slider;
# 2. read one frame: the tree diagram, the narration, the kernel function and its callers;
# 3. pick the notebook that answers your question.
#
# **Prerequisites.** Python basics; a rough idea of what a B-tree is. No kernel knowledge needed.
#
# **Time to learn.** 10 minutes.

# %% [markdown]
# ## A first stepper
#
# Run the next cell (Shift+Enter). It stores three ranges into an empty maple tree and records
# every step the model takes. Use the buttons:
#
# | control | what it does |
# |---|---|
# | **▶** / **■** | play through the steps / stop |
# | **◀ prev**, **next ▶** | one step back / forward |
# | **step** slider | jump to any step (click its handle, then use the arrow keys) |
# | **« event**, **event »** | jump to the previous / next step of interest (a split, a node copy, a failure, ...) |
# | **ms/step** | playing speed |
#
# Above the diagram you read the narration: what happened, in which kernel function, and the
# chain of callers (outermost first).

# %% tags=["nbval-ignore-output"]
from mapletree.core.tree import MapleTree
from mapletree.viz import Recorder, Stepper

tree = MapleTree()
with Recorder(tree) as rec:
    tree.store_range(10, 15, "A")
    tree.store_range(20, 25, "B")
    tree.store_range(30, 35, "C")
stepper = Stepper(rec)
stepper

# %% [markdown]
# The widget above cannot be checked by the notebook tests, so the next cell prints what it
# holds: the number of frames and the narration of each. (Everything you see in the widget is
# also available as plain data.)

# %%
print(len(rec.frames), "frames")
for i, f in enumerate(rec.frames):
    print(i, f.func, "-", f.text)

# %% [markdown]
# ### Reading one frame
#
# Each frame is one event of the model:
#
# * **the diagram** — each node is a table of *slots*: the entry of the slot (or, in an internal
#   node, an arrow to a child), and next to it `≤ pivot`, the slot's inclusive upper bound.
#   The node's header names its type, its number and the index range it covers. The legend
#   beside the diagram gives the colours: new nodes, the node the step works on, nodes
#   changed in place, freed nodes (dashed "ghosts");
# * **the narration** — one sentence saying what happened and why;
# * **the kernel function** at work, e.g. `mas_wr_append`, and its **caller chain**, e.g.
#   `mtree_store_range → mas_store_gfp → mas_wr_store_entry → mas_wr_append`.
#
# Try it: go back to frame 0 and step forward with **next ▶** until you see the first node
# being created (`mas_root_expand`).

# %% [markdown]
# ## The tree at rest
#
# A `MapleTree` shows itself as a diagram when it is the last value of a cell. `tree.ranges()`
# lists its non-NULL ranges, and `tree.dump()` prints text in the style of the kernel's
# `mt_dump()`.

# %% tags=["nbval-ignore-output"]
tree

# %%
for first, last, entry in tree.ranges():
    print(f"[{first}, {last}] -> {entry!r}")
print("height", tree.height, "- nodes", tree.node_count())

# %% [markdown]
# ## Map of the suite
#
# | notebook | question it answers | time |
# |---|---|---|
# | **01-start-here** | how do I use these notebooks? | 10 min |
# | **02-address-space-to-tree** | how do a process's VMAs become a maple tree? slots, pivots, implied min/max, NULL ranges, gaps | 25 min |
# | **03-walking-and-searching** | how does the kernel find a VMA, iterate, and find free space for `mmap()`? | 20 min |
# | **04-writes-in-depth** | which of the eight store paths does a write take, and how many nodes does it cost? | 35 min |
# | **05-fork-and-mt-dup** | how does fork() copy the tree, and why is `__mt_dup()` faster? | 25 min |
# | **06-dontcopy** | why can *removing* a VMA from the child's tree need memory? | 20 min |
# | **07-when-fork-fails** | what happens when fork fails half-way: markers, leaks, races, the 7.0 fix | 40 min |
# | **08-exercises** | test yourself, with immediate feedback | 15 min |
#
# Paths through the suite:
#
# * *Maple tree only*: 02 → 03 → 04 → 08.
# * *fork() and its failure paths*: 02 (first half) → 05 → 06 → 07 → 08.
# * *A 50-minute lecture*: 02 (the first stepper), 05, 07 (the design table), run from the
#   "next" button.

# %% [markdown]
# ## How the model relates to the kernel
#
# * The core (`mapletree.core`) mirrors `lib/maple_tree.c` of Linux 6.12: same node geometry
#   (16-slot leaves and range nodes, 10-slot `arange_64` nodes with gaps), same store-type
#   choice, same split points and rebalancing, same `__mt_dup()` order of allocation. It is
#   checked against cases recorded from the real kernel code (`python -m mapletree conformance`).
# * Node "addresses" are small integers (`nid`), stable between runs.
# * The process model (`mapletree.mm`) is much smaller than the kernel: VMAs, page tables as
#   sets of table pages, committed memory, and the fork designs of 2023–2026.
# * Nothing here is kernel code; the docstrings name the C function each piece mirrors.

# %% [markdown]
# ## Summary
#
# * A stepper replays a recorded operation: **next/back/play/slider**; each frame shows the
#   tree, one sentence of narration, and the kernel function with its callers.
# * `rec.frames` holds the same content as plain data; `tree.dump()` prints the tree.
#
# **What's next:** [02-address-space-to-tree](02-address-space-to-tree.ipynb) builds a process's
# address space VMA by VMA.
#
# **References**
# * Linux 6.12 `lib/maple_tree.c`, `include/linux/maple_tree.h`, `Documentation/core-api/maple_tree.rst`.
# * "Introducing maple trees", LWN.net, February 2021; Liam R. Howlett's patch series
#   "Introducing the Maple Tree" (LKML), merged for v6.1.
# * fork() with `__mt_dup()`: commits fd32e4e9b764 and d2406291483 (v6.8); recovery rework
#   43873af772f8 (v7.0).

# %% [markdown]
# ## Self-check
#
# Press a button; the feedback appears at once and is computed by running the model.

# %%
from mapletree.exercises import Recipe, StoreTypeQuestion, NodeCountQuestion, Quiz

quiz = Quiz([
    NodeCountQuestion(Recipe(), ("store", 10, 15, "A"),
                      prompt="The tree is empty. How many nodes does storing [10, 15] allocate?"),
    StoreTypeQuestion(Recipe(ops=(("store", 10, 15, "A"),)), ("store", 10, 15, "Z"),
                      prompt="Storing over exactly the range [10, 15] that 'A' occupies: "
                             "which store type is that?"),
], title="Self-check 01")

# %% tags=["nbval-ignore-output"]
quiz

# %%
print(quiz.text())
