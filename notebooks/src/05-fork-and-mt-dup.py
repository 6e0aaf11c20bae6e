# %% [markdown]
# # 05 · fork() and `__mt_dup()`: copying the VMA tree
#
# When a process forks, the child needs its own copy of the parent's address space:
# its own VMAs, in its own maple tree. Up to Linux 6.7, `dup_mmap()` built the child's tree
# **one VMA at a time**, as if the child had called `mmap()` n times. Since 6.8 (commit
# d2406291483, using `__mt_dup()` from fd32e4e9b764) it **copies the parent's tree node by
# node** and then replaces the entries in place. This notebook shows both, side by side, and
# what the change bought.
#
# **Learning goals.** You will be able to
# 1. describe the two ways of building the child's tree and their costs;
# 2. explain the order in which `__mt_dup()` allocates nodes (pre-order, children in bulk);
# 3. explain why, right after `__mt_dup()`, **every** entry of the child's tree still points
#    at a *parent* VMA, and how the `dup_mmap()` loop replaces them;
# 4. relate the model's node counts to the published fork() speed-ups (+2 % at 21 VMAs to
#    +53 % at 25,621 VMAs).
#
# **Prerequisites.** [02](02-address-space-to-tree.ipynb) (tree layout) and
# [04](04-writes-in-depth.ipynb) (store types; what is free and what allocates).
#
# **Time to learn.** 25 minutes.

# %% [markdown]
# ## Two ways to build the child's tree
#
# On the left, one store per VMA into an empty tree — what `dup_mmap()` did from 6.1 to 6.7
# (there with a bulk preallocation, `mas_expected_entries`). On the right, the 6.8 way:
# `__mt_dup()` allocates the root, copies it, allocates all its children in one bulk request,
# descends into the first child, and so on in pre-order. One slider steps both.

# %%
from mapletree.core.tree import MapleTree
from mapletree.core.dup import mt_dup
from mapletree.viz import Recorder, Stepper, Comparator
from mapletree import scenarios, mm
from mapletree.exercises import layout_text, slot_roles

# the first 20 VMAs of a small program: its text, data, heap and first libraries
parent = scenarios.tree_of(scenarios.small_program_vmas()[:20])
print("parent:", len(parent.ranges()), "VMAs,", parent.node_count(), "nodes, height", parent.height)
left, right = scenarios.build_both_ways(parent)   # Recorders: insert build, __mt_dup

# %% tags=["nbval-ignore-output"]
Comparator(left, right, titles=("one store per VMA", "__mt_dup: pre-order node copy"))

# %%
print("insert build:", len(left.frames), "frames (splits, pushes, allocations);",
      "__mt_dup:", len(right.frames), "frames")
print("__mt_dup steps:", [f.func for f in right.frames])

# %% [markdown]
# What to look for:
#
# * **left**: every store walks down from the root and decides a store type; from time to
#   time a leaf splits or pushes entries into a sibling, and the root grows. Here each store
#   shows as one frame (its end), and splits, pushes and allocations get frames of their own.
# * **right**: no walk, no store type, no split: each frame copies one node (`mas_copy_node`).
#   The children of an internal node are allocated together, in one bulk request
#   (`mas_dup_alloc`), when that node is copied.
# * The copy has exactly the parent's **shape** — same pivots, same gaps, same height —
#   history included. Rebuilding with one store per VMA gives a *fresh* shape. Below, the
#   parent first unmaps a few VMAs (as a real process does over its life); then both copies
#   are compared with it:

# %%
aged = scenarios.small_program_tree()
for v in scenarios.small_program_vmas()[5:30:3]:      # munmap() every third library VMA
    aged.erase(v.start)
copy = MapleTree(flags=aged.flags & ~0x7C)
mt_dup(aged, copy)
rebuilt = MapleTree(flags=aged.flags & ~0x7C)
for first, last, entry in aged.ranges():
    rebuilt.store_range(first, last, entry)
print("same entries in all three:            ", aged.ranges() == copy.ranges() == rebuilt.ranges())
print("__mt_dup copy has the parent's layout:", layout_text(copy) == layout_text(aged))
print("insert build has the parent's layout: ", layout_text(rebuilt) == layout_text(aged))
print("root pivots: parent ", [f"{p:#_x}" for p in aged.root_node.pivots[:3]])
print("             rebuilt", [f"{p:#_x}" for p in rebuilt.root_node.pivots[:3]])

# %% [markdown]
# ## After `__mt_dup()`: every entry is a parent VMA
#
# `__mt_dup()` copies leaf slots *as they are*: the child's tree now points at the **parent's**
# `vm_area_struct`s. `dup_mmap()` then walks the child's tree and, for each entry, allocates
# the child's own VMA (`vm_area_dup`), links it (anon_vma, file), stores it **over exactly the
# same range** — an exact-fit store that never allocates — and copies the page tables.
# Until the loop reaches an entry, that entry is a *stale pointer* into the parent.
#
# Step through the fork of the reference process (nine VMAs `V0..V8`; `V4` is
# `VM_DONTCOPY`). In the child tree, stale parent pointers and the child's own VMAs are drawn
# in different colours.

# %%
proc = mm.reference_process()
rec = Recorder()
child_mm, result = mm.fork(proc, design="6.8-marker", recorder=rec)
print("outcome:", result.outcomes, "- child VMAs:", result.m, "- frames:", len(rec.frames))

# %% tags=["nbval-ignore-output"]
Stepper(rec, static=False)          # frames are drawn on demand, as you step

# %% [markdown]
# The same recording as text: the child tree's entries after each step of the loop.

# %%
for f in rec.frames:
    if f.kind == "fork":
        print(f"{f.index:2} {f.func:<18} {slot_roles(f)}")

# %% [markdown]
# At every moment of the loop the child's tree is *child VMAs below the cursor, stale parent
# pointers at and above it* (and NULL where a `VM_DONTCOPY` VMA was cleared). If the fork fails
# in the middle, the kernel must tear down the child without touching the parent VMAs the tree
# still points at — notebooks 06 and 07.

# %% [markdown]
# ## What does it cost?
#
# The model counts node allocations for both builds, for growing numbers of VMAs (each VMA a
# few pages, with a one-page hole after most of them, as in the benchmark of the patch series).

# %%
rows = scenarios.dup_cost_table([21, 121, 421, 1621])
print(f"{'VMAs':>6} {'tree nodes':>11} {'insert: stores':>15} {'insert: nodes allocated':>24} {'__mt_dup: nodes allocated':>26}")
for r in rows:
    print(f"{r['vmas']:>6} {r['nodes']:>11} {r['insert_stores']:>15} {r['insert_allocated']:>24} {r['dup_allocated']:>26}")

# %% [markdown]
# `__mt_dup()` allocates exactly as many nodes as the tree has — about n/(b − 1) for n entries
# and fan-out b — and copies each once. The insert build does one store per VMA (a walk, a
# store-type decision, sometimes a split) and allocates worst-case preallocations, most of which
# it hands back. Both are O(n); the difference is the constant.
#
# On the left, the model's counts against the number of VMAs; on the right, the measured effect
# on fork() (UnixBench "spawn", fork calls per 10 s on one CPU, from the d2406291483 commit
# message and the v4–v7 cover letters). The grey lines on the left mark the VMA counts of the
# published benchmark.

# %% tags=["nbval-ignore-output"]
%matplotlib inline
import matplotlib.pyplot as plt
from mapletree.viz import plots

fig, (ax_model, ax_kernel) = plt.subplots(1, 2, figsize=(12, 3.8))
xs = [r["vmas"] for r in rows]
plots.cost_figure(xs, {"insert build: nodes allocated": [r["insert_allocated"] for r in rows],
                       "insert build: stores": [r["insert_stores"] for r in rows],
                       "copy with __mt_dup: nodes allocated": [r["dup_allocated"] for r in rows]},
                  ylabel="count (model)", title="the model: tree work per fork", ax=ax_model)
plots.fork_gain_figure(ax=ax_kernel);

# %%
for vmas, before, after in plots.FORK_BENCH:
    print(f"{vmas:>6} VMAs: {before:>7} -> {after:>7} forks/10 s  ({100 * (after - before) / before:+.2f} %)")

# %% [markdown]
# The gain grows with the number of VMAs and levels off near 50 %: the tree work went from a
# per-VMA walk-and-store to a per-*node* copy, but the rest of the per-VMA work of fork
# (`vm_area_dup`, `anon_vma_fork`, file linkage, `copy_page_range`) is still O(n) and now
# dominates. At 21 VMAs (a tiny program) the tree has a handful of nodes and the two builds
# cost about the same: +2 %.

# %% [markdown]
# ## Summary
#
# * Up to 6.7 the child's tree was built with n stores; since 6.8 `__mt_dup()` copies the
#   parent's tree node by node (pre-order, the children of each internal node in one bulk
#   allocation) and `dup_mmap()` then overwrites each entry in place (exact fit, never
#   allocates).
# * Right after the copy, every entry points at a *parent* VMA; the loop replaces them in
#   address order.
# * fork() got 2–53 % faster, more with more VMAs.
# * The price: a half-finished child tree mixes child VMAs and parent pointers. Notebooks 06
#   and 07 are about what that means when something fails.
#
# **What's next:** [06-dontcopy](06-dontcopy.ipynb): a VMA the child must not inherit.
#
# **References**
# * fd32e4e9b764, the commit that adds `__mt_dup()` and `mtree_dup()` (v6.8); d2406291483
#   "fork: use __mt_dup() to duplicate maple tree in dup_mmap()" (v6.8).
# * Peng Zhang, "[PATCH v7 00/10] Introduce __mt_dup() to improve the performance of fork()",
#   LKML, Oct 2023 (v1: Jul 2023); benchmark tables in the cover letters.
# * `lib/maple_tree.c`: `__mt_dup`, `mtree_dup`, `mas_dup_build`, `mas_dup_alloc`,
#   `mas_copy_node`; `kernel/fork.c`: `dup_mmap` (moved to `mm/mmap.c` in v6.16).

# %% [markdown]
# ## Self-check

# %%
from mapletree.exercises import ChoiceQuestion, Quiz
from mapletree.core.alloc import NodeAllocator


def dup_allocations():
    alloc = NodeAllocator()
    src = scenarios.small_program_tree(allocator=alloc)
    dst = MapleTree(flags=src.flags & ~0x7C, allocator=alloc)
    before = alloc.allocated
    mt_dup(src, dst)
    n = alloc.allocated - before
    return n, f"__mt_dup allocated {n} nodes for a tree of {src.node_count()} nodes: one per node."


def slot_after_dup():
    p = mm.reference_process()
    v3 = [v for v in p.vmas() if v.label == "V3"][0]
    dst = MapleTree(flags=p.tree.flags & ~0x7C)
    mt_dup(p.tree, dst)
    got = dst.load(v3.start)
    answer = "the parent's V3" if got is v3 else "something else"
    return answer, "__mt_dup copies leaf slots as they are: the child's slot holds the very same object."


quiz = Quiz([
    ChoiceQuestion(f"The whole small program's tree has {scenarios.small_program_tree().node_count()} "
                   "nodes. How many nodes does __mt_dup() allocate to copy it?",
                   [1, 4, 5, 10, 44], dup_allocations, title="__mt_dup"),
    ChoiceQuestion("Right after __mt_dup(), before the dup_mmap() loop, what does the child "
                   "tree's slot for V3 hold?",
                   ["the parent's V3", "a new child VMA", "NULL", "XA_ZERO_ENTRY", "something else"],
                   slot_after_dup, title="Stale pointers"),
], title="Self-check 05")

# %% tags=["nbval-ignore-output"]
quiz

# %%
print(quiz.text())
