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
# On the left, the 6.7 way: an empty tree, then one store per VMA (with bulk preallocation,
# `mas_expected_entries`). On the right, the 6.8 way: `__mt_dup()` allocates the root, copies
# it, allocates all its children in one bulk request, descends into the first child, and so on
# in pre-order. Step both at once.

# %%
from mapletree.core.tree import MapleTree
from mapletree.core.dup import mt_dup
from mapletree.viz import Recorder, Comparator
from mapletree import scenarios

parent = scenarios.small_program_tree()            # 44 VMAs, height 2
print("parent:", len(parent.ranges()), "VMAs,", parent.node_count(), "nodes, height", parent.height)

# %%
left, right = scenarios.build_both_ways(parent)   # (Recorder of the insert build, Recorder of __mt_dup)
cmp = Comparator(left, right, titles=("6.7: insert each VMA", "6.8: __mt_dup pre-order copy"))
cmp

# %%
print("insert build:", len(left.frames), "frames;", "__mt_dup:", len(right.frames), "frames")
print("node_copy frames:", sum(1 for f in right.frames if f.kind == "node_copy"))

# %% [markdown]
# What to look for:
#
# * **left**: every store walks down from the root, decides a store type, and from time to time
#   splits a leaf or pushes entries into a sibling. Leaves are filled, split, refilled.
# * **right**: no walk, no store type, no split: each frame copies one node (`node_copy`). The
#   children of an internal node are allocated together, in one bulk request
#   (`mt_alloc_bulk`), when that node is copied.
# * The copy has the same **shape** as the parent — same pivots, same gaps, same height — while
#   the insert build may end with a different shape (different split points).

# %% [markdown]
# ## After `__mt_dup()`: every entry is a parent VMA
#
# `__mt_dup()` copies leaf slots *as they are*: the child's tree now points at the **parent's**
# `vm_area_struct`s. `dup_mmap()` then walks the child's tree and, for each entry, allocates
# the child's own VMA (`vm_area_dup`), links it (anon_vma, file), stores it **over exactly the
# same range** — an exact-fit store that never allocates — and copies the page tables.
# Until the loop reaches an entry, that entry is a *stale pointer* into the parent.

# %%
from mapletree import mm

proc = mm.reference_process()
print(proc)

# %%
rec = Recorder()
with rec.recording(proc.tree):
    child, result = mm.fork(proc, design="6.8-marker", recorder=rec)
from mapletree.viz import Stepper
Stepper(rec)

# %%
print(result)
for f in rec.frames:
    if f.kind in ("fork", "node_copy"):
        print(f"{f.kind:<10} {f.func:<16} {f.text}")

# %% [markdown]
# The slot classification is the heart of notebooks 06 and 07: at any moment of the loop, the
# child's tree is *child VMAs below the cursor, stale parent pointers at and above it*. If the
# fork fails in the middle, the kernel must tear down the child without touching the parent
# VMAs the tree still points at.

# %% [markdown]
# ## What does it cost?
#
# The model counts node allocations and tree work for both builds, for growing numbers of VMAs
# (each VMA a few pages with a hole after most of them, as in the benchmark of the patch series).

# %%
rows = scenarios.dup_cost_table([21, 121, 421, 1621, 6421])
print(f"{'VMAs':>6} {'insert: nodes alloc':>20} {'insert: stores':>15} {'__mt_dup: nodes alloc':>22} {'tree nodes':>11}")
for r in rows:
    print(f"{r['vmas']:>6} {r['insert_allocated']:>20} {r['insert_stores']:>15} {r['dup_allocated']:>22} {r['nodes']:>11}")

# %% [markdown]
# `__mt_dup()` allocates exactly as many nodes as the tree has — about n/(b − 1) for a full tree
# with fan-out b — and copies each once. The insert build does one store (a walk, a store-type
# decision, often a node rebuild) per VMA and allocates worst-case preallocations that it hands
# back.
#
# The measured effect on fork() (UnixBench "spawn", fork calls per 10 s, one CPU; the d2406291483
# commit message and the v4–v7 cover letters):

# %%
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from mapletree.viz import plots

fig = plots.fork_gain_figure()
plt.show()

# %%
for vmas, before, after in plots.FORK_BENCH:
    print(f"{vmas:>6} VMAs: {before:>7} -> {after:>7} forks/10 s  ({100 * (after - before) / before:+.2f} %)")

# %% [markdown]
# The gain grows with the number of VMAs and levels off near 50 %: the tree work went from a
# per-VMA walk-and-store to a per-*node* copy, but the rest of the per-VMA work of fork
# (`vm_area_dup`, `anon_vma_fork`, file linkage, `copy_page_range`) is still O(n) and now
# dominates. At 21 VMAs (a tiny program) the tree is a single leaf and the two builds cost
# about the same: +2 %.

# %% [markdown]
# ## Summary
#
# * 6.7 built the child's tree with n stores; 6.8+ copies the parent's tree node by node
#   (`__mt_dup`, pre-order, children of each internal node in one bulk allocation) and then
#   overwrites each entry in place (exact fit, never allocates).
# * Right after the copy, every entry points at a *parent* VMA; the loop replaces them in
#   address order.
# * fork() got 2–53 % faster, more with more VMAs.
# * The price: a half-finished child tree mixes child VMAs and parent pointers. Notebooks 06
#   and 07 are about what that means when something fails.
#
# **What's next:** [06-dontcopy](06-dontcopy.ipynb): a VMA the child must not inherit.
#
# **References**
# * fd32e4e9b764 "maple_tree: introduce __mt_dup() for fork" (v6.8); d2406291483 "fork: use
#   __mt_dup() to duplicate maple tree in dup_mmap()" (v6.8).
# * Peng Zhang, "[PATCH v7 00/10] Introduce __mt_dup() to improve the performance of fork()",
#   LKML, Oct 2023 (v1: Jul 2023); benchmark tables in the cover letters.
# * `lib/maple_tree.c`: `__mt_dup`, `mtree_dup`, `mas_dup_build`, `mas_dup_alloc`,
#   `mas_copy_node`; `kernel/fork.c`: `dup_mmap` (moved to `mm/mmap.c` in v6.16).

# %% [markdown]
# ## Self-check

# %%
from mapletree.exercises import Quiz, DupAllocQuestion

quiz = Quiz([
    DupAllocQuestion(scenarios.small_program_tree, step="count"),
    DupAllocQuestion(scenarios.small_program_tree, step="second"),
], title="Self-check 05")
quiz

# %%
print(quiz.text())
