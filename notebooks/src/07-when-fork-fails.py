# %% [markdown]
# # 07 · When fork fails half-way
#
# fork() can fail at many points: a VMA cannot be allocated, the anon_vma cannot be forked, the
# page tables cannot be copied, a `VM_DONTCOPY` clear cannot get nodes. With `__mt_dup()` such a
# failure leaves the child's tree **half child, half parent** (notebook 05). The child must then
# be torn down without touching the parent, without leaking, and without letting anybody else
# see the broken tree. Five designs tried to do that between 2023 and 2026; this notebook runs
# all five at every failure point.
#
# **Learning goals.** You will be able to
# 1. describe what the 6.8 marker design (`XA_ZERO_ENTRY`) and the 7.0 recovery leave for
#    `exit_mmap()`, at the same failure point;
# 2. explain the "last false VMA" page-table leak found in Sept 2023 and its fix;
# 3. name the walkers that met the marker in 2024–2025 and the fix for each;
# 4. read the outcome table per design and say why 7.0 removed the marker.
#
# **Prerequisites.** [05](05-fork-and-mt-dup.ipynb), [06](06-dontcopy.ipynb).
#
# **Time to learn.** 40 minutes.

# %% [markdown]
# ## The same failure, two recoveries
#
# The reference process has nine VMAs `V0..V8`. We make `vm_area_dup()` fail when the fork loop
# reaches `V6` (failure point F3): `V0..V5` are already copied (`V4` cleared, being
# `VM_DONTCOPY`), `V6..V8` are still stale parent pointers.
#
# * **left, 6.8–6.19 (`6.8-marker`)**: `dup_mmap()` writes `XA_ZERO_ENTRY` over exactly `V6`'s
#   range (an exact fit: no memory needed) and returns. Later `exit_mmap()` walks the tree and
#   **stops at the marker**.
# * **right, 7.0 (`7.0-recovery`, 43873af772f8)**: `dup_mmap()` unmaps and frees the copied
#   prefix *itself*, under its locks, with explicit limits (`unmap_region` with a tree limit of
#   `V6.vm_start`), then destroys the whole tree. `exit_mmap()` finds an empty tree.

# %%
from mapletree import mm
from mapletree.viz import Recorder, Comparator, Stepper

proc = mm.reference_process()
fail = ("vma_dup", "at", "V6")
left, right = Recorder(), Recorder()
res_marker = mm.fork_and_exit(proc, design="6.8-marker", fail=fail, recorder=left)
res_70 = mm.fork_and_exit(mm.reference_process(), design="7.0-recovery", fail=fail, recorder=right)
Comparator(left, right, titles=("6.8 marker + exit_mmap", "7.0 recovery in dup_mmap"))

# %%
print("6.8-marker:  ", res_marker.outcomes, "| frames:", len(left.frames))
print("7.0-recovery:", res_70.outcomes, "| frames:", len(right.frames))
for title, rec in (("6.8-marker", left), ("7.0-recovery", right)):
    print(f"--- {title}")
    for f in rec.frames:
        if f.kind in ("marker", "teardown", "failure"):
            print(f"  {f.kind:<9} {f.func:<18} {f.text}")

# %% [markdown]
# ## What `exit_mmap()` does with a marked tree (6.8–6.19)
#
# ```
# vma = first entry
# if no VMA or vma is the marker:      # the failure hit the very first VMA
#     destroy the tree; return
# unmap_vmas(...)        # zap each VMA, stop at NULL or the marker
# free_pgtables(...)     # free page tables per batch; a marker "next" counts as no next
# remove each VMA, count them, stop at NULL or the marker
# BUG_ON(count != map_count)
# __mt_destroy()         # frees the nodes; the marker and stale pointers are just slot values
# ```
#
# Three walkers test `xa_is_zero()` on **every** VMA of **every** process that exits — about
# 3n + 1 tests per exit — for a failure that almost never happens. That was the objection in
# the 2023 review ("don't use the exit_mmap() path to undo a failed fork").

# %% [markdown]
# ## The sweep: every design, every failure point
#
# `fork_test` in the 2023 thread injected failures into a task of that name at a chosen
# interval. The model does the same systematically: for each design, fail at each point of the
# loop (the `VM_DONTCOPY` clear F2, `vm_area_dup` F3, `anon_vma_fork` F6, `copy_page_range`
# F9, `arch_dup_mmap` F10, …) at each VMA, run `exit_mmap()`, and check the invariants: no
# maple node, VMA or page table left, committed memory balanced, the parent untouched.

# %%
from mapletree.mm import sweep

table = sweep.run(proc=mm.reference_process)
print(sweep.format_summary(table))

# %% [markdown]
# Reading the table (one row per design, one column per outcome):
#
# * **6.7-bulk** (D1) builds the child tree by inserting child VMAs only: whatever fails, the tree
#   holds only child VMAs. Clean — but slow (notebook 05).
# * **v2-marker** (D2, the Aug 2023 posting) leaves stale parent pointers with no marker after
#   most failures: `exit_mmap()` would zap and free **parent** VMAs (`PARENT_HIT`) and count
#   more VMAs than `map_count` (`BUG_COUNT`). With the marker everywhere but early exits and
#   the false ceiling, it leaks nodes and page tables.
# * **v4-undo** (D3, Oct 2023) undoes the copy inside `dup_mmap()` with a new search limit for
#   `free_pgtables()`; rejected for the API churn.
# * **6.8-marker** (D4, as merged) is clean at every point.
# * **7.0-recovery** (D5) is clean at every point *and* leaves an empty tree.

# %% [markdown]
# ## The "last false VMA": a page-table leak
#
# While implementing the undo-in-`dup_mmap()` idea in September 2023, Peng Zhang found that the
# teardown leaked page-table pages. `free_pgtables()` frees the tables of a batch of nearby
# VMAs with `free_pgd_range(start, end, floor, ceiling)`, where the ceiling is the start of the
# **next** VMA: a table shared with the next VMA must be kept. In a failed child, the "next VMA"
# after the last copied one is `F`, the VMA where the fork failed — a *false* VMA: the child
# never copied anything there, but its start still clamps the ceiling. The tables that the last
# batch shares with `F`'s address are kept, and nobody will ever free them.
#
# The model counts the leaked table pages, with the false ceiling and with the fix (a marker or
# stale `next` counts as "no next": ceiling = top of the address space):

# %%
rows = sweep.false_ceiling_table(proc=mm.reference_process)
print(f"{'fails at':<9} {'last copied':<12} {'tables before':>13} {'leaked (false ceiling)':>23} {'leaked (fixed)':>15}")
for r in rows:
    print(f"{r['fails_at']:<9} {r['last']:<12} {r['tables']:>13} {r['leaked_false']:>23} {r['leaked_fixed']:>15}")

# %% [markdown]
# The rule: a page-table page of the last batch leaks exactly when its coverage also contains
# `F`'s start. A PTE table covers 2 MiB, a PMD table 1 GiB, a PUD table 512 GiB, so the leak is
# 3, 2, 1 or 0 pages depending on the smallest block the last copied byte and `F` share.
# 6.8's `free_pgtables()` turns a zero "next" into NULL; 7.0 passes the tree limit and the
# page-table ceiling separately (`struct unmap_desc`).

# %% [markdown]
# ## The race window: who else can see the broken tree?
#
# Between `dup_mmap()` unlocking and `exit_mmap()` locking again, the half-built mm can be
# reached through rmap (a child VMA is linked to the parent's anon_vma and to the file), through
# the swapoff `mmlist`, or through registrations made during the fork. Every walker that reaches
# it and uses the advanced maple API gets `XA_ZERO_ENTRY` back as if it were a VMA.

# %%
wt = mm.walkers.table()
print(mm.walkers.format_table(wt))

# %% [markdown]
# The fixes, in order: f64e67e5d3a4 (no userfaultfd fork event on failure), 985da552a98e
# (khugepaged/ksm registration only on success), 8ac662f5da19 (uprobe `dup_mmap_sem` held across
# the failed teardown; syzbot), 64c37e134b12 (`MMF_OOM_SKIP` with the marker, `MMF_UNSTABLE` on
# any failure), 1367da7eb875 (swapoff skips unstable mms; CVE-2025-39992). Each fix teaches one
# more walker about one more flag — "whack-a-mole", as it was called in the August 2025 thread.
#
# ## Why 7.0 removed the marker
#
# 43873af772f8 ("mm: change dup_mmap() recovery") tears the copied prefix down in
# `dup_mmap()`, under the same locks, with explicit limits — the idea of the 2023 review that was
# dropped then because it needed a new `free_pgtables()` argument. Bundling the limits into
# `struct unmap_desc` made that change acceptable. The result: an empty tree for every failure,
# nothing for a walker to trip over, and no zero-entry test left in `exit_mmap()`.

# %%
print(sweep.format_outcome_table(table))

# %% [markdown]
# ## Summary
#
# * After a mid-loop failure, the child's tree is child VMAs, then (6.8+) a marker over `F`,
#   then stale parent pointers.
# * 6.8–6.19: `exit_mmap()` stops at the marker — clean, but every exit pays 3n + 1 zero tests,
#   and walkers in the race window crashed on the marker (2024–2025 fixes).
# * The "last false VMA" clamps the page-table ceiling and leaks up to 3 table pages; the fix
#   ignores a false `next`.
# * 7.0 tears the prefix down inside `dup_mmap()` and leaves an empty tree.
#
# **What's next:** [08-exercises](08-exercises.ipynb).
#
# **References**
# * Commits: d2406291483 (6.8 marker), f64e67e5d3a4, 985da552a98e, 8ac662f5da19, 64c37e134b12,
#   1367da7eb875, 43873af772f8 (7.0 recovery; series bed76bec3111..a8700d42b0af).
# * Peng Zhang, seed mail on "the last false VMA", 18 Sep 2023:
#   https://lore.kernel.org/lkml/7f0db16b-609c-7504-bd5b-52a76e0200b3@bytedance.com/
# * Liam R. Howlett, review of v4 10/10, 11 Oct 2023:
#   https://lore.kernel.org/lkml/20231011012849.3awzg5sfdk3sqmvo@revolver/
# * Liam R. Howlett, "[PATCH v1 0/9] Remove XA_ZERO from error recovery of dup_mmap()", 9 Sep
#   2025: https://lore.kernel.org/lkml/20250909190945.1030905-1-Liam.Howlett@oracle.com/
# * Kernel files: `kernel/fork.c` / `mm/mmap.c` (`dup_mmap`, `exit_mmap`), `mm/memory.c`
#   (`free_pgtables`, `free_pgd_range`, `unmap_vmas`), `mm/swapfile.c` (`unuse_mm`),
#   `kernel/events/uprobes.c`, `mm/oom_kill.c`.

# %% [markdown]
# ## Self-check

# %%
from mapletree.exercises import Quiz, LeakQuestion

quiz = Quiz([
    LeakQuestion.for_failure(("vma_dup", "at", "V6"), designs=("v2-marker", "6.8-marker", "7.0-recovery")),
    LeakQuestion.for_failure(("copy_page_range", "at", "V7"), designs=("v2-marker", "6.8-marker", "7.0-recovery")),
], title="Self-check 07")
quiz

# %%
print(quiz.text())
