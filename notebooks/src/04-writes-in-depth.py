# %% [markdown]
# # 04 · Writes in depth: the store types
#
# Every write into a maple tree — a new VMA, an `munmap()`, an `mprotect()` that splits a VMA
# — goes through one function that looks at the leaf and picks a **store type**
# (`mas_wr_store_type`). The store type decides what the write costs: some rewrite one pointer
# in place, others build new nodes and can therefore fail for lack of memory. This is the
# single most important fact for the fork story of notebooks 05–07.
#
# **Learning goals.** You will be able to
# 1. name the store types and the condition that selects each (the decision table of
#    `mas_wr_store_type`);
# 2. predict, for a given tree and write, which type is chosen and how many nodes it allocates;
# 3. explain the split point rule that avoids ending a node with NULL, pushing into a sibling,
#    spanning stores and rebalancing.
#
# **Prerequisites.** [02-address-space-to-tree](02-address-space-to-tree.ipynb).
#
# **Time to learn.** 35 minutes.

# %% [markdown]
# ## The decision, in one table
#
# After the walk finds the leaf, the model computes `new_end` (the last slot the leaf would use
# after the write) and takes the first matching row:
#
# | # | condition | store type | kernel function | nodes requested (h = height) |
# |---|---|---|---|---|
# | 0 | empty tree or single root entry | `store_root` | `mas_store_root` | 0–1 |
# | 0' | the write crosses the end of a node | `spanning_store` | `mas_wr_spanning_store` | 3h + 1 |
# | 1 | the write covers exactly one existing slot | `exact_fit` | `mas_wr_store_entry` | 0 |
# | 2 | the write covers `[0, ULONG_MAX]` | `new_root` | `mas_new_root` | 1 |
# | 3 | `new_end` < 6 in a non-root leaf | `rebalance` | `mas_wr_bnode` → `mas_rebalance` | 2h − 1 |
# | 4 | `new_end` ≥ 16 | `split_store` | `mas_wr_bnode` → `mas_split` | 2h + 1 |
# | 5 | not RCU, write starts in the last slot | `append` | `mas_wr_append` | 0 |
# | 6 | same number of slots | `slot_store` | `mas_wr_slot_store` | 0 |
# | 7 | otherwise | `node_store` | `mas_wr_node_store` | 0 (1 in RCU mode) |
#
# The rest of the notebook triggers each row on a small tree. The trees use `seq(n)`: entries
# `v1..vn` at `[10k, 10k + 5]`, with 4-index holes between them (the examples of §9 of the
# specification).

# %%
from mapletree.core.tree import MapleTree
from mapletree.core.constants import ULONG_MAX
from mapletree.viz import Recorder, Stepper
from mapletree.exercises import Recipe, measure, measure_text, layout_text


def seq(n, flags=0):
    t = MapleTree(flags=flags)
    for k in range(1, n + 1):
        t.store_range(10 * k, 10 * k + 5, f"v{k}")
    return t


def stepped(tree, first, last, entry):
    """Record one store and return (stepper, recorder)."""
    with Recorder(tree) as rec:
        tree.store_range(first, last, entry)
    return Stepper(rec), rec

# %% [markdown]
# ## Append (in place, free)
#
# `seq(3)` fills a root leaf up to slot 6 (the last slot is the NULL range `[36, ULONG_MAX]`).
# Storing `[40, 45]` starts in that last slot: the leaf gains two slots at its end, written in
# place. No node is allocated.

# %% tags=["nbval-ignore-output"]
t = seq(3)
st, rec = stepped(t, 40, 45, "v4")
st

# %%
print(t.last_store_type, "|", [f.func for f in rec.frames])
print(layout_text(t))

# %% [markdown]
# ## Slot store and exact fit (in place, free)
#
# A write that keeps the number of slots the same rewrites a slot and one or two pivots in place
# (`mas_wr_slot_store`). A write over *exactly* one slot's range is an **exact fit**: a single
# pointer store. This is the write fork relies on: putting the child's VMA (or a marker) over
# the parent's VMA pointer needs no memory.

# %% tags=["nbval-ignore-output"]
t = seq(5)
st, rec = stepped(t, 12, 21, "v9")      # v1 shrinks to [10, 11], v9 takes the hole and the start of v2
print(t.last_store_type)
st

# %%
print(measure_text(Recipe(ops=(("seq", 5),)), ("store", 12, 21, "v9")))
print(measure_text(Recipe(ops=(("seq", 5),)), ("store", 30, 35, "child-VMA")))

# %% [markdown]
# ## Node store (rebuild one node)
#
# When the slot count changes somewhere in the middle, the leaf is rebuilt
# (`mas_wr_node_store`). Outside RCU mode the kernel rebuilds it in a scratch node and copies the
# result back over the *same* node (0 nodes allocated). In RCU mode — the normal mode of a VMA
# tree — readers may be looking at the old node, so a new node is allocated and the old one is
# freed after a grace period.

# %%
for rcu in (False, True):
    ops = (("seq", 20),) + ((("rcu", True),) if rcu else ())
    print("RCU:   " if rcu else "no RCU:", measure_text(Recipe(ops=ops), ("store", 91, 91, "x")))

# %% [markdown]
# ## Split, with the NULL-avoiding split point
#
# `seq(7)` uses 15 of the 16 slots of the root leaf. Storing `[80, 85]` needs 17. The leaf
# splits (`mas_split`): the middle of the 17 entries is entry 8, the NULL range `[46, 49]`; a
# left node must not end with NULL, so `mab_no_null_split` moves the split to entry 9. The left
# leaf gets 10 entries, the right one 7, and a new root is made above them. Step through it and
# watch the frame that reports the split point.

# %% tags=["nbval-ignore-output"]
t = seq(7)
st, rec = stepped(t, 80, 85, "v8")
st

# %%
for f in rec.frames:
    print(f"{f.kind:<10} {f.func:<22} {f.text}")

# %% [markdown]
# ## Push into a sibling instead of splitting
#
# Before splitting, `mas_split` tries to **push** entries into the left, then the right sibling
# (`mas_push_data`): if the two nodes together have room, the data is redistributed between
# them and the parent keeps its number of children. In `seq(20)` (three leaves), writing NULL
# at 42 — in the middle of `v4` — turns one slot into three, so the first leaf would need 17
# slots. It has no left sibling; the right sibling has room: **push right**.

# %% tags=["nbval-ignore-output"]
t = seq(20)
print(layout_text(t))
st, rec = stepped(t, 42, 42, None)
st

# %%
print(t.last_store_type, "|", sorted({f.kind for f in rec.frames}))
print(layout_text(t))

# %% [markdown]
# Note what this shows: **removing** something (storing NULL) can need new nodes. Notebook 06
# comes back to this.
#
# ## Spanning store
#
# A write that crosses the end of a node cannot be done in one leaf: the model collects the
# left part of the first leaf, the new entry and the right part of the last leaf, drops
# everything in between, and rebuilds the affected nodes level by level
# (`mas_wr_spanning_store` → `mas_spanning_rebalance`). A NULL write that ends *exactly* at
# the end of a non-right-most leaf is also spanning, so that the NULL can merge with the next
# leaf's first slot.

# %% tags=["nbval-ignore-output"]
t = seq(20)
st, rec = stepped(t, 85, 88, None)      # crosses the end of the first leaf [0, 85]
st

# %%
print(t.last_store_type)
print(layout_text(t))
print(measure_text(Recipe(ops=(("seq", 20),)), ("store", 85, 88, None)))

# %% [markdown]
# ## Rebalance
#
# A non-root leaf that a write would leave with 6 entries or fewer (`new_end` < 6,
# `mt_min_slots`) is rebalanced: it takes all the entries of a sibling (the right one if it has
# one) and the two are rebuilt, as one node or split again (`mas_wr_bnode` →
# `mas_rebalance`). Below, erasing `v9` leaves the middle leaf with 8 entries (a node store);
# erasing `v10` then would leave 6 — a rebalance with the right-hand leaf.

# %% tags=["nbval-ignore-output"]
t = seq(20)
t.erase(90)
print("erase 90:", t.last_store_type)
st, rec = stepped(t, 100, 105, None)
st

# %%
print(t.last_store_type)
print(layout_text(t))

# %% [markdown]
# ## Every type at a glance: what does it cost?
#
# `measure(recipe, op)` runs one write on a fresh tree and reports the store type, the nodes
# taken from the allocator (the worst-case request of `mas_prealloc_calc`), the nodes freed
# (old nodes replaced, plus requested nodes that were not needed, handed back by
# `mas_destroy`), and the tree's node count and height before and after.

# %%
cases = [
    ("seq(3)", Recipe(ops=(("seq", 3),)), ("store", 40, 45, "v4")),
    ("seq(5)", Recipe(ops=(("seq", 5),)), ("store", 12, 21, "v9")),
    ("seq(5)", Recipe(ops=(("seq", 5),)), ("store", 30, 35, "new")),
    ("seq(20)", Recipe(ops=(("seq", 20),)), ("store", 91, 91, "x")),
    ("seq(20)+RCU", Recipe(ops=(("seq", 20), ("rcu", True))), ("store", 91, 91, "x")),
    ("seq(7)", Recipe(ops=(("seq", 7),)), ("store", 80, 85, "v8")),
    ("seq(20)", Recipe(ops=(("seq", 20),)), ("store", 42, 42, None)),
    ("seq(20)", Recipe(ops=(("seq", 20),)), ("store", 85, 88, None)),
    ("seq(20)-v9", Recipe(ops=(("seq", 20), ("erase", 90))), ("store", 100, 105, None)),
    ("seq(5)", Recipe(ops=(("seq", 5),)), ("store", 0, ULONG_MAX, "all")),
    ("seq(20)", Recipe(ops=(("seq", 20),)), ("store", 0, ULONG_MAX, "all")),
]
print(f"{'tree':<12} {'write':<26} {'store type':<15} {'alloc':>5} {'freed':>5} {'nodes':>7} {'height':>7}")
for name, recipe, op in cases:
    m = measure(recipe, op)
    w = f"[{op[1]}, {op[2]}] = {op[3]!r}"
    print(f"{name:<12} {w[:26]:<26} {m['store_type']:<15} {m['allocated']:>5} {m['freed']:>5} "
          f"{m['nodes_before']:>3}->{m['nodes_after']:<3} {m['height_before']:>3}->{m['height_after']}")

# %% [markdown]
# ## Summary
#
# * `exact_fit`, `append`, `slot_store` and (outside RCU) `node_store` change one node in place
#   and **never allocate**; they cannot fail.
# * `split_store`, `rebalance`, `spanning_store`, `new_root` and RCU node stores build new nodes
#   first and switch over at the end, so a failed allocation leaves the tree unchanged
#   (`-ENOMEM`).
# * A write of `[0, ULONG_MAX]` is a `new_root` in a one-leaf tree; in a taller tree the walk
#   first sees it cross the root's children, so it is classified `spanning_store`, which then
#   calls `mas_new_root` (last two rows of the table).
# * Storing NULL is an ordinary store: it can split (NULL in the middle of a range), rebalance
#   (too few entries left) or span (NULL reaching a node's end).
#
# **What's next:** [05-fork-and-mt-dup](05-fork-and-mt-dup.ipynb): copying a whole tree at fork.
#
# **References**
# * `lib/maple_tree.c`: `mas_wr_store_type`, `mas_wr_store_entry`, `mas_wr_append`,
#   `mas_wr_slot_store`, `mas_wr_node_store`, `mas_split`, `mas_push_data`, `mab_calc_split`,
#   `mab_no_null_split`, `mas_rebalance`, `mas_wr_spanning_store`, `mas_spanning_rebalance`,
#   `mas_prealloc_calc`.
# * The store-type enum these notebooks use: Sidhartha Kumar, "Introduce a store type enum for
#   the Maple tree" (LKML, 2024; merged for v6.12).

# %% [markdown]
# ## Self-check

# %%
from mapletree.exercises import StoreTypeQuestion, NodeCountQuestion, Quiz

s20 = Recipe(ops=(("seq", 20),), label="seq(20): three leaves under one root")
quiz = Quiz([
    StoreTypeQuestion(s20, ("store", 206, 300, "v77")),
    StoreTypeQuestion(Recipe(ops=(("seq", 20), ("rcu", True)), label="seq(20) in RCU mode"),
                      ("store", 206, 300, "v77")),
    StoreTypeQuestion(s20, ("erase", 80),
                      prompt="Erase v8, the last entry of the full first leaf [0, 85]."),
    NodeCountQuestion(s20, ("store", 50, 150, "v99")),
], title="Self-check 04")

# %% tags=["nbval-ignore-output"]
quiz

# %%
print(quiz.text())
