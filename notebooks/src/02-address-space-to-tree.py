# %% [markdown]
# # 02 · From an address space to a maple tree
#
# A process's memory is a list of **VMAs** (virtual memory areas): non-overlapping ranges
# `[vm_start, vm_end)` such as the program text, the heap, a few libraries and the stack. Since
# Linux 6.1 each process keeps them in a maple tree, `mm->mm_mt`, indexed by address. This
# notebook builds such a tree, VMA by VMA, and takes its nodes apart.
#
# **Learning goals.** You will be able to
# 1. read a maple node: slots, pivots, the implied minimum and maximum, the metadata end;
# 2. explain why the tree stores the *holes* between VMAs as NULL ranges, and what the gap
#    numbers in the internal (`arange_64`) nodes mean;
# 3. predict how a growing tree changes: appends, node stores, and the first split.
#
# **Prerequisites.** [01-start-here](01-start-here.ipynb) (how to use a stepper).
#
# **Time to learn.** 25 minutes.

# %% [markdown]
# ## A small process, VMA by VMA
#
# The process below has nine VMAs (program text and data, heap, some anonymous mappings, the
# stack). The kernel stores a VMA covering `[vm_start, vm_end)` as the inclusive range
# `[vm_start, vm_end − 1]`. The tree uses `MM_MT_FLAGS` (0x303): it tracks gaps
# (`MT_FLAGS_ALLOC_RANGE`), is read under RCU (`MT_FLAGS_USE_RCU`) and is locked by the mm's
# `mmap_lock` (`MT_FLAGS_LOCK_EXTERN`). Addresses are printed with `_` every four hex digits.

# %%
from mapletree.core.tree import MapleTree
from mapletree.core.constants import MM_MT_FLAGS, MT_FLAGS_ALLOC_RANGE, ULONG_MAX
from mapletree.viz import Recorder, Stepper
from mapletree import scenarios
from mapletree.exercises import layout_text

vmas = scenarios.reference_vmas()          # the reference process of the suite
for v in vmas:
    print(f"{v.name}  [{v.start:#_x}, {v.end:#_x})  {v.kind}")

# %% [markdown]
# Step through the build. The first store turns the empty tree into a root leaf
# (`mas_root_expand`). Every later store rebuilds that leaf (`mas_wr_node_store`): in RCU mode
# a reader may be looking at the old leaf, so each change writes a **new** node and frees the
# old one after a grace period — watch the node number change.

# %% tags=["nbval-ignore-output"]
tree = MapleTree(flags=MM_MT_FLAGS)
with Recorder(tree) as rec:
    for v in vmas:
        tree.store_range(v.start, v.end - 1, v.name)
Stepper(rec)

# %%
print(len(rec.frames), "frames")
print("store types:", [f.info.get("store_type") for f in rec.frames if f.kind == "store_type"])

# %% [markdown]
# ## Reading a node
#
# Nine VMAs fit in a single node, the root, which is a **leaf** (`maple_leaf_64`). A leaf has
# 16 slots and 15 pivots:
#
# * **slot *i*** holds an entry (here: the VMA's name; in the kernel a `struct vm_area_struct *`)
#   or NULL;
# * **pivot *i*** is the *inclusive upper bound* of slot *i*. Slot *i* starts one past pivot
#   *i − 1*; slot 0 starts at the node's minimum.
# * A node does **not** store its own minimum and maximum. They are *implied* by the parent:
#   the root covers `[0, ULONG_MAX]`; child *i* of a parent covers `[pivot[i-1] + 1, pivot[i]]`.
# * The **data end** is the offset of the last used slot (`ma_data_end`).
#
# Here is the root leaf slot by slot, with each slot's range derived from the pivots:

# %%
root = tree.root_node
end = root.data_end(ULONG_MAX)            # the root's implied max is ULONG_MAX
print(root.type_name, "- data end:", end, "- slots used:", end + 1, "of", len(root.slots))
lo = 0
for i in range(end + 1):
    hi = root.pivots[i] if i < end else ULONG_MAX       # the last used slot ends at the node max
    entry = root.slots[i]
    print(f"slot {i:2}: [{lo:#_x}, {hi:#_x}]  {'NULL' if entry is None else entry}")
    lo = hi + 1

# %% [markdown]
# ### The holes are ranges too
#
# Between two VMAs the leaf holds a **NULL range**: a slot whose entry is NULL. Every index of
# `[0, ULONG_MAX]` belongs to exactly one slot, so a lookup never "falls between" slots. NULL
# ranges are kept **maximal**: two neighbouring slots are never both NULL; when a VMA is
# removed, its NULL merges with the NULL ranges around it (`mas_wr_extend_null`).
#
# Count the slots: 9 VMAs + 7 holes = **16: the leaf is full**. `V1`/`V2` and `V3`/`V4`/`V5`
# touch, so there is no hole between them. A full node has no room for a last pivot: slot 15
# ends at the node's implied maximum, and its 16th pointer overwrites the metadata bytes
# (`meta_end`), which is why the data end is worked out from the pivots instead
# (`ma_data_end`: pivot 14 is neither 0 nor the node max, so the node is full).
#
# ## The first split
#
# The process now maps a library between `V5` and `V6`. The hole there becomes
# *hole, library, hole*: 18 slots. The leaf **splits** (`mas_split`) and a new root is made
# above the two halves: the tree's height goes from 1 to 2.

# %% tags=["nbval-ignore-output"]
with Recorder(tree) as rec_split:
    tree.store_range(0x7F00_0020_0000, 0x7F00_0030_0000 - 1, "libc")
Stepper(rec_split)

# %%
print("store type:", tree.last_store_type, "- height:", tree.height, "- nodes:", tree.node_count())
for f in rec_split.frames:
    print(f"{f.kind:<10} {f.func:<20} {f.text}")

# %% [markdown]
# ## Outside RCU mode: appends, and where the split falls
#
# The same mechanics are easier to see with small numbers. `seq(n)` stores `[10k, 10k + 5]`
# for k = 1..n: each entry is followed by a 4-index hole. This tree is *not* in RCU mode, so a
# write that starts in the leaf's last slot is an **append**, done in place (`mas_wr_append`) —
# except while the root leaf is tiny (a write that leaves at most 6 slots rebuilds it).

# %%
t2 = MapleTree()
kinds = []
for k in range(1, 8):
    t2.store_range(10 * k, 10 * k + 5, f"v{k}")
    kinds.append(t2.last_store_type)
print("store types of seq(7):", kinds)
print("slots used:", t2.root_node.data_end(ULONG_MAX) + 1)

# %% [markdown]
# Seven entries and their holes fill 15 slots. The eighth needs 17 and the leaf splits. Step
# through it and find the frame that reports the split point.

# %% tags=["nbval-ignore-output"]
with Recorder(t2) as rec2:
    t2.store_range(80, 85, "v8")
Stepper(rec2)

# %%
print(len(rec2.frames), "frames:", [f.kind for f in rec2.frames])
for leaf in t2.root_node.slots[:2]:
    print(leaf.type_name, "slots:", leaf.slots[: leaf.data_end(ULONG_MAX) + 1])

# %% [markdown]
# What happened (`mas_split`):
#
# 1. The store needs 17 slots (`new_end` = 16), more than a leaf holds: store type
#    `split_store`.
# 2. The 17 resulting entries are collected in a temporary *big node*.
# 3. The split point is the middle, entry 8 — but entry 8 is the NULL range `[46, 49]`, and a
#    left node must never end with NULL (the NULL could not merge with the next leaf's first
#    slot). `mab_no_null_split` moves the split one to the right: the left leaf gets 10
#    entries, the right leaf 7.
# 4. The old leaf was the root, so a new root is created above the two leaves: height 2.
#
# Without `MT_FLAGS_ALLOC_RANGE` the new root is a `maple_range_64` node (16 slots). In a VMA
# tree it is a `maple_arange_64`: 10 slots, 9 pivots, and a **gap** per child.

# %% [markdown]
# ## Gaps in `arange_64` nodes
#
# In an allocation-range tree each internal node stores, for each child, the size of the
# largest NULL range (the largest *gap*) in that child's subtree, and `meta_gap`, the offset of
# the child with the largest gap. `get_unmapped_area()` uses them to skip whole subtrees that
# have no hole big enough (notebook 03).

# %%
t3 = MapleTree(flags=MT_FLAGS_ALLOC_RANGE)
for k in range(1, 11):
    t3.store_range(10 * k, 10 * k + 5, f"v{k}")
r = t3.root_node
print(r.type_name, "pivots", r.pivots[: r.meta_end], "gaps", r.gaps[: r.meta_end + 1], "meta_gap", r.meta_gap)
print("ULONG_MAX - 105 =", ULONG_MAX - 105)

# %% tags=["nbval-ignore-output"]
t3

# %% [markdown]
# Read the gaps: the left leaf `[0, 55]` has the holes `[0, 9]` (size 10) and several of size
# 4, so its gap is 10. The right leaf ends with the NULL range `[106, ULONG_MAX]`, which counts
# `ULONG_MAX − 105` indices. `meta_gap = 1` points at that child.

# %% [markdown]
# ## A larger address space
#
# A real program has dozens of VMAs. The "small program" below (a tiny C program with five
# shared libraries, modelled on a real `/proc/PID/maps`) gives a height-2 tree: one
# `arange_64` root over a handful of leaves.

# %%
big = scenarios.small_program_tree()
print("VMAs:", len(big.ranges()), "height:", big.height, "nodes:", big.node_count())

# %% tags=["nbval-ignore-output"]
big

# %% [markdown]
# ## Your own process
#
# On Linux, `/proc/self/maps` lists the VMAs of the process that reads it — here the Python
# process behind this notebook (the "Jupyter kernel"). The cell reads it and draws the tree
# Linux holds for that process. Its output is
# different on every machine and every run, so the notebook tests do not compare it.

# %% tags=["nbval-ignore-output"]
import os
if os.path.exists("/proc/self/maps"):
    mine = scenarios.tree_from_proc_maps("/proc/self/maps")
    print("my VMAs:", len(mine.ranges()), "height:", mine.height, "nodes:", mine.node_count())
    display(mine)
else:
    print("no /proc/self/maps on this platform")

# %% [markdown]
# ## Summary
#
# * Each VMA `[vm_start, vm_end)` is the range `[vm_start, vm_end − 1]`; the holes between VMAs
#   are NULL ranges, kept maximal.
# * A node stores pivots (inclusive upper bounds) and slots; its own min and max are implied by
#   the parent; the data end (`ma_data_end`) is the last used slot. A full node has no room
#   for its last pivot nor for its metadata.
# * Leaves (`maple_leaf_64`) have 16 slots; internal nodes of a VMA tree (`maple_arange_64`)
#   have 10 slots and a gap per child.
# * In RCU mode (every VMA tree) a change to a leaf writes a new node (`node_store`); outside
#   RCU mode a write at the end of a leaf is an in-place `append`. A leaf that would need 17
#   slots splits, at a point chosen so the left node does not end with NULL.
#
# **What's next:** [03-walking-and-searching](03-walking-and-searching.ipynb): how the kernel
# finds things in this tree.
#
# **References**
# * `lib/maple_tree.c`: `mas_root_expand`, `mas_wr_node_store`, `mas_split`, `mab_calc_split`,
#   `mab_no_null_split`, `mas_leaf_max_gap`, `mas_update_gap`.
# * `include/linux/maple_tree.h` (node layouts, `MAPLE_RANGE64_SLOTS`, `MAPLE_ARANGE64_SLOTS`),
#   `include/linux/mm_types.h` (`MM_MT_FLAGS`).
# * Liam R. Howlett, "Introducing the Maple Tree" patch series (LKML, 2020–2022), merged for
#   v6.1; "Introducing maple trees", LWN.net, February 2021.

# %% [markdown]
# ## Self-check

# %%
from mapletree.exercises import Recipe, StoreTypeQuestion, NodeCountQuestion, Quiz

seq7 = Recipe(ops=(("seq", 7),), label="seq(7): 15 slots used in one leaf")
seq3 = Recipe(ops=(("seq", 3),), label="seq(3): 7 slots used in one root leaf")
quiz = Quiz([
    StoreTypeQuestion(seq3, ("store", 40, 45, "v4"),
                      prompt="A root leaf with 7 used slots; store [40, 45] after the last entry."),
    StoreTypeQuestion(seq7, ("store", 80, 85, "v8")),
    NodeCountQuestion(seq7, ("store", 80, 85, "v8"),
                      prompt="And how many nodes does that store allocate?"),
], title="Self-check 02")

# %% tags=["nbval-ignore-output"]
quiz

# %%
print(quiz.text())
