# %% [markdown]
# # 06 · `VM_DONTCOPY`: when removing a VMA needs memory
#
# Some mappings must not be inherited by a child: a process marks them with
# `madvise(MADV_DONTFORK)`, which sets `VM_DONTCOPY`. Before 6.8, `dup_mmap()` simply skipped
# them while building the child's tree. With `__mt_dup()` the child's tree *already contains*
# them (as stale pointers to the parent's VMAs), so the fork loop must **remove** them: it
# stores NULL over their range. And a NULL store is an ordinary store — it can split,
# rebalance or span, and so it can need new nodes and fail.
#
# **Learning goals.** You will be able to
# 1. predict whether clearing a VMA's range allocates, from its neighbours and its position
#    in the leaf;
# 2. explain why the fork loop uses `mas_store_gfp(..., GFP_KERNEL)` and what a failure there
#    leaves behind;
# 3. connect this to the "removing an entry can need memory" point of the 2023 review.
#
# **Prerequisites.** [04-writes-in-depth](04-writes-in-depth.ipynb) (store types),
# [05-fork-and-mt-dup](05-fork-and-mt-dup.ipynb) (the fork loop).
#
# **Time to learn.** 20 minutes.

# %% [markdown]
# ## Clearing a VMA in the child's copy
#
# The reference process has one `VM_DONTCOPY` VMA, `V4`, between two other VMAs. Step through
# the fork loop: when the cursor reaches `V4`, `dup_mmap()` calls `vma_iter_clear_gfp()`, a
# NULL store over `[vm_start, vm_end − 1]`.

# %%
from mapletree import mm
from mapletree.viz import Recorder, Stepper
from mapletree.exercises import slot_roles, group_hex

proc = mm.reference_process()
rec = Recorder()
child, result = mm.fork(proc, design="6.12", recorder=rec)
clear = next(f.index for f in rec.frames if f.func == "vma_iter_clear_gfp")
print("outcome:", result.outcomes, "- the clear is frame", clear, "of", len(rec.frames))

# %% tags=["nbval-ignore-output"]
Stepper(rec, start=clear - 2, static=False)

# %%
for f in rec.frames[clear - 2: clear + 1]:
    print(f"{f.kind:<10} {f.func:<20} {group_hex(f.text)}")
print("child tree after the clear:", slot_roles(rec.frames[clear]))

# %% [markdown]
# Here the NULL store is an **exact fit**: `V4`'s neighbours on both sides are VMAs (no NULL to
# merge with), and `V4` is not the last slot of a non-right-most leaf. One slot changes from a
# pointer to NULL; no node is allocated.
#
# ## When the same removal needs nodes
#
# Change the neighbourhood and the same NULL store costs nodes. Each row below runs one NULL
# store on a fresh tree and counts the nodes taken from the allocator. The first two rows use
# the child's copy right after `__mt_dup()`, out of RCU mode as `dup_mmap()` has it; the
# variant `"gap"` of the reference process moves `V4` and `V5` up by 64 KiB: a hole opens
# between `V3` and `V4`, the tree splits into two leaves and `V4` becomes the last entry of the
# first one, so the NULL stored over `V4` ends at a leaf boundary and merges with the hole.

# %%
from mapletree.exercises import clear_cost_table

print(f"{'clearing ...':<52} {'store type':<15} {'height':>6} {'nodes allocated':>16}")
for row in clear_cost_table():
    print(f"{row['case']:<52} {row['store_type']:<15} {row['height']:>6} {row['allocated']:>16}")

# %% [markdown]
# The rules (maple tree spec §3.3):
#
# 1. A NULL next to a NULL range **merges** with it: the slot count shrinks. If the leaf would
#    keep 6 entries or fewer, that is a **rebalance**: request 2h − 1 nodes.
# 2. A NULL that ends **exactly at the end of a non-right-most leaf** is a **spanning store**,
#    so it can merge with the next leaf's first slot: request 3h + 1.
# 3. A NULL in the middle of a range (not the fork case) turns one slot into three: maybe a
#    split.
# 4. In RCU mode every node store needs a new node — which is why fork clears RCU mode first.
#
# ## Why `mas_store_gfp(GFP_KERNEL)`
#
# The first posted version (v2, Aug 2023) used `mas_store()`, which tries one allocation with
# `GFP_NOWAIT`: it cannot sleep, reclaim or compact, so it fails easily under memory pressure.
# In review, Liam Howlett asked for `mas_store_gfp(..., GFP_KERNEL)` — the same allocation
# flags as the VMAs themselves. `mas_store_gfp` first tries `GFP_NOWAIT`, and if that fails
# allocates with the caller's flags and **retries from the root**.
#
# The model's allocator can fail the *n*-th allocation attempt. Fail only the `GFP_NOWAIT` try
# ("transient" pressure): `mas_store` fails, `mas_store_gfp` succeeds on its retry.

# %%
from mapletree.exercises import transient_failure_demo
for line in transient_failure_demo():
    print(line)

# %% [markdown]
# The same pressure on a whole fork of the `"gap"` process: the v2 posting (`mas_store`, one
# `GFP_NOWAIT` try) fails the fork — and its teardown then trips over the marker it wrote
# (`CRASH_ZERO`, notebook 07) — while 6.12 forks without noticing.

# %%
for design in ("v2-marker:posted", "6.12"):
    r = mm.fork_and_exit(mm.reference_process(dontcopy_neighbour="gap"), design,
                         mm.Fault("F2", "V4", mode="transient"), walkers=False)
    print(f"{design:<17} fork {'succeeds' if r.success else 'fails (-ENOMEM)'} -> {', '.join(r.outcomes)}")

# %% [markdown]
# ## What happens when it fails anyway
#
# If the `GFP_KERNEL` retry fails too, the store returns `-ENOMEM` and **the tree is
# unchanged**: the stale pointer to the parent's `V4` is still there. `dup_mmap()` jumps to its
# error path with the cursor on `V4`. The child's tree now holds child VMAs below `V4`, the
# stale `V4`, and stale pointers above it. Step through such a failure (the allocator refuses
# every allocation from the clear on, so there are two `failure` frames: the `GFP_NOWAIT` try,
# then the `GFP_KERNEL` retry):

# %%
proc = mm.reference_process(dontcopy_neighbour="gap")    # clearing V4 needs a spanning store
rec = Recorder()
child, result = mm.fork(proc, design="6.12", fail=("clear", "from", 1), recorder=rec,
                        exit_on_failure=False)
failed = next(f.index for f in rec.frames if f.kind == "failure")
print("fork failed at", result.failed_at, "- retval", result.retval, "- child VMAs (map_count):", result.m)

# %% tags=["nbval-ignore-output"]
Stepper(rec, start=failed - 1, static=False)

# %%
for f in rec.frames[failed - 1:]:
    print(f"{f.kind:<10} {f.func:<20} {group_hex(f.text)}")
    print(f"{'':<10} child tree: {slot_roles(f)}")

# %% [markdown]
# Read the last lines: the failed store left the tree unchanged (`V4` is still the parent's
# pointer). The 6.8–6.19 error path then writes `XA_ZERO_ENTRY` over exactly `V4`'s range — an
# exact fit, the one store that is sure to need no memory — so that `exit_mmap()` knows where
# the child's VMAs end. Why that marker, and what replaced it in 7.0, is notebook 07.

# %% [markdown]
# ## Summary
#
# * With `__mt_dup()`, a `VM_DONTCOPY` VMA is *in* the child's tree and must be removed by a
#   NULL store.
# * That NULL store is free when both neighbours are VMAs and it does not end a non-right-most
#   leaf (exact fit); otherwise it can need a rebalance (2h − 1 nodes) or a spanning store
#   (3h + 1).
# * Fork uses `mas_store_gfp(GFP_KERNEL)`: a failed `GFP_NOWAIT` try is retried with reclaim.
#   Only when both fail does the fork fail — with a tree that is half child, half parent.
#
# **What's next:** [07-when-fork-fails](07-when-fork-fails.ipynb).
#
# **References**
# * `kernel/fork.c` (6.12) `dup_mmap`: `vma_iter_clear_gfp(&vmi, mpnt->vm_start, mpnt->vm_end,
#   GFP_KERNEL)`; `include/linux/mm.h`: `vma_iter_clear_gfp`; `lib/maple_tree.c`: `mas_store_gfp`,
#   `mas_nomem`, `mas_prealloc_calc`.
# * Peng Zhang, "[PATCH v2 6/6] fork: Use __mt_dup() to duplicate maple tree in dup_mmap()",
#   LKML, 30 Aug 2023; Liam R. Howlett's review, 7 Sep 2023
#   (https://lore.kernel.org/lkml/20230907201414.dagnqxfnu7f7qzxd@revolver/).
# * d2406291483 (v6.8): the merged loop with `mas_store_gfp`.

# %% [markdown]
# ## Self-check

# %%
from mapletree.exercises import Quiz, Recipe, StoreTypeQuestion, NodeCountQuestion

gappy = Recipe(ops=(("seq", 20),), label="seq(20), not in RCU mode")
quiz = Quiz([
    NodeCountQuestion(gappy, ("store", 50, 55, None),
                      prompt="Clear v5 = [50, 55] (NULL on both sides, leaf stays full enough): "
                             "how many nodes are allocated?"),
    StoreTypeQuestion(gappy, ("store", 80, 85, None),
                      prompt="Clear v8 = [80, 85], the last entry of the first leaf [0, 85]: "
                             "which store type?"),
], title="Self-check 06")

# %% tags=["nbval-ignore-output"]
quiz

# %%
print(quiz.text())
