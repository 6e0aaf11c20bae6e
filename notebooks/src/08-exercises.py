# %% [markdown]
# # 08 · Exercises: test yourself
#
# Four kinds of questions, each with immediate feedback. No answer is written in this notebook:
# every question runs the model when you press a button and compares your choice with what the
# model did, then explains it.
#
# **Learning goals.** Check that you can
# 1. predict the next step of an operation (which kernel function acts next);
# 2. predict the store type of a write;
# 3. predict how many nodes a write allocates;
# 4. predict which fork-failure design leaks or crashes at a given failure point.
#
# **Prerequisites.** Notebooks 02–07 (each part says which).
#
# **Time to learn.** 15 minutes.
#
# **How it works.** Press an option. Green means right; orange means the model disagrees —
# read the explanation, change your answer if you like. The score at the top of each quiz counts
# first tries. Every question also prints as plain text (the cell below each quiz), so you can
# use them on paper or in a lecture.

# %% [markdown]
# ## 1. Predict the next step (notebooks 02, 04, 07)
#
# The first three questions show the narration of the first steps of a write and ask which
# kernel function does the next one. The last three fail a fork at `V6` and ask what
# `dup_mmap()` does next, in three designs. The stepper after the questions replays the first one, so you can
# check yourself step by step afterwards.

# %%
from mapletree.exercises import (Recipe, NextStepQuestion, StoreTypeQuestion,
                                 NodeCountQuestion, LeakQuestion, FailureNextQuestion, Quiz)

seq7 = Recipe(ops=(("seq", 7),), label="seq(7): a full-ish root leaf (15 slots)")
seq20 = Recipe(ops=(("seq", 20),), label="seq(20): three leaves under a range_64 root")

fail_v6 = ("vma_dup", "at", "V6")
next_steps = Quiz([
    NextStepQuestion(seq7, ("store", 80, 85, "v8"), step=2),
    NextStepQuestion(seq20, ("store", 85, 88, None), step=2),
    NextStepQuestion(seq20, ("store", 42, 42, None), step=3),
    FailureNextQuestion("6.8-marker", fail_v6),
    FailureNextQuestion("7.0-recovery", fail_v6),
    FailureNextQuestion("v2-marker:posted", fail_v6),
], title="Predict the next step")

# %% tags=["nbval-ignore-output"]
next_steps

# %%
print(next_steps.text())

# %% tags=["nbval-ignore-output"]
from mapletree.viz import Recorder, Stepper
t = seq7.build()
with Recorder(t) as rec:
    t.store_range(80, 85, "v8")
Stepper(rec, title="check question 1")

# %% [markdown]
# ## 2. Which store type will this be? (notebook 04)

# %%
from mapletree.core.constants import ULONG_MAX
small = Recipe(ops=(("store", 0, 0, "v4"), ("store", 3, 3, "v5")), label="a root leaf with 4 slots")
seq3w = Recipe(ops=(("seq", 3), ("store", 40, 45, "v4"), ("store", 50, ULONG_MAX, "v5")),
               label="seq(3), then [40, 45] and [50, ULONG_MAX]")
store_types = Quiz([
    StoreTypeQuestion(small, ("store", 10, 19, "v6")),
    StoreTypeQuestion(seq3w, ("store", 12, 21, "v9")),
    StoreTypeQuestion(seq20, ("store", 100, 105, "v88")),
    StoreTypeQuestion(seq20, ("store", 50, 150, "v99")),
    StoreTypeQuestion(Recipe(ops=(("seq", 20), ("erase", 90)), label="seq(20) after erasing v9"),
                      ("erase", 100)),
    StoreTypeQuestion(seq20, ("store", 0, ULONG_MAX, "everything")),
], title="Which store type?")

# %% tags=["nbval-ignore-output"]
store_types

# %%
print(store_types.text())

# %% [markdown]
# ## 3. How many nodes will this allocate? (notebooks 04, 06)
#
# Count the nodes the write takes from the allocator (what `mas_prealloc_calc` requests;
# worst-case nodes that end up unused are handed back afterwards, but they were allocated).

# %%
rcu20 = Recipe(ops=(("seq", 20), ("rcu", True)), label="seq(20) in RCU mode")
node_counts = Quiz([
    NodeCountQuestion(seq20, ("store", 91, 91, "x")),
    NodeCountQuestion(rcu20, ("store", 91, 91, "x")),
    NodeCountQuestion(seq7, ("store", 80, 85, "v8")),
    NodeCountQuestion(seq20, ("store", 85, 88, None)),
    NodeCountQuestion(seq20, ("store", 30, 35, "child VMA")),
], title="How many nodes?")

# %% tags=["nbval-ignore-output"]
node_counts

# %%
print(node_counts.text())

# %% [markdown]
# ## 4. Which design leaks here? (notebook 07)
#
# Each question fails the fork of the reference process (notebook 05) at one point, runs each
# design offered as an option through the failure and the teardown, and asks for the one that
# does *not* come out clean (or "none of them"). The explanation lists every design's outcome.

# %%
from mapletree import mm

leaks = Quiz([
    LeakQuestion.for_failure(("vma_dup", "at", "V3"),
                             designs=("6.7-bulk", "v2-marker:posted", "6.8-marker", "7.0-recovery")),
    LeakQuestion.for_failure(("anon_vma_fork", "at", "V2"), designs=("6.7-bulk", "v2-marker", "7.0-recovery")),
    LeakQuestion.for_failure(("anon_vma_fork", "at", "V0"), designs=("6.7-bulk", "v2-marker", "7.0-recovery")),
    LeakQuestion.for_failure(("copy_page_range", "at", "V7"), designs=("v2-marker", "v4-undo", "6.8-marker")),
    LeakQuestion.for_failure("F10", designs=("6.7-bulk", "v4-undo", "6.8-marker", "7.0-recovery")),
], title="Which design leaks?")

# %% tags=["nbval-ignore-output"]
leaks

# %%
print(leaks.text())

# %% [markdown]
# ## Summary
#
# If you got most of these at the first try, you can read `lib/maple_tree.c`'s write path and
# `dup_mmap()`'s error handling with a map in your head. If not, the notebook named in each
# part's heading steps through exactly that situation.
#
# **References:** the references of notebooks 02–07; the maple tree's own test suite,
# `lib/test_maple_tree.c` and `tools/testing/radix-tree/maple.c` (including
# `check_forking` and `bench_forking`), is full of further examples.
