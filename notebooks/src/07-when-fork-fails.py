# %% [markdown]
# # 07 · When fork fails half-way
#
# fork() can fail at many points: a VMA cannot be allocated, the anon_vma cannot be forked, the
# page tables cannot be copied, a `VM_DONTCOPY` clear cannot get nodes. With `__mt_dup()` such a
# failure leaves the child's tree **half child, half parent** (notebook 05). The child must then
# be torn down without touching the parent, without leaking, and without letting anybody else
# see the broken tree. Five designs tried to do that between 2023 and 2026; this notebook runs
# all five (and two historical variants) at every failure point.
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
# The reference process has nine VMAs `V0..V8` (notebook 05). We make `vm_area_dup()` fail when
# the fork loop reaches `V6` (failure point F5): `V0..V5` are already copied (`V4` cleared,
# being `VM_DONTCOPY`), `V6..V8` are still stale parent pointers.
#
# * **left, 6.8–6.19 (`6.8-marker`, d2406291483)**: `dup_mmap()` writes `XA_ZERO_ENTRY` over
#   exactly `V6`'s range (an exact fit: no memory needed) and returns. Later `exit_mmap()`
#   walks the tree and **stops at the marker**.
# * **right, 7.0 (`7.0-recovery`, 43873af772f8)**: `dup_mmap()` unmaps and frees the copied
#   prefix *itself*, under its locks, with explicit limits (nothing at or above `V6`'s start),
#   then destroys the whole tree. `exit_mmap()` finds an empty tree.
#
# One slider steps both; the narration above each diagram names the kernel function. The
# slider starts at the last step the two designs share — just before the failure; drag it to
# the left to replay the copy, or press **next ▶** to watch them part ways.

# %%
from mapletree import mm
from mapletree.mm import sweep
from mapletree.viz import Recorder, Comparator
from mapletree.exercises import slot_roles, group_hex

fail = ("vma_dup", "at", "V6")
left, right = Recorder(), Recorder()
res_68 = mm.fork_and_exit(mm.reference_process(), design="6.8-marker", fail=fail, recorder=left)
res_70 = mm.fork_and_exit(mm.reference_process(), design="7.0-recovery", fail=fail, recorder=right)

# %%
start = next(i for i, (a, b) in enumerate(zip(left.frames, right.frames)) if a.text != b.text) - 1
print("the designs part ways after step", start, "-", left.frames[start].text)

# %% tags=["nbval-ignore-output"]
Comparator(left, right, titles=("6.8 marker, then exit_mmap", "7.0 recovery in dup_mmap"), start=start)

# %%
for title, res, rec in (("6.8-marker", res_68, left), ("7.0-recovery", res_70, right)):
    print(f"--- {title}: {', '.join(res.outcomes)}; {len(rec.frames)} frames; "
          f"zero-entry tests in exit_mmap: {res.zero_checks}")
    for f in rec.frames:
        if f.kind in ("marker", "teardown"):
            print(f"  {f.index:2} {f.func:<18} {group_hex(f.text)}")

# %% [markdown]
# Compare the two columns:
#
# * **who tears down**: `exit_mmap()` (left), later, after the locks were dropped and taken
#   again; `dup_mmap()` itself (right), at once, under the same locks;
# * **where it stops**: at the marker (left: `unmap_vmas meets XA_ZERO_ENTRY and stops`); at
#   an explicit tree limit, `V6.vm_start` (right);
# * **what is left in between**: a tree of child VMAs, a marker and stale parent pointers
#   (left); an empty tree with `MMF_OOM_SKIP | MMF_UNSTABLE` set (right);
# * **the cost on every normal exit**: the left design's `exit_mmap()` tests each entry for
#   `xa_is_zero()` in three walks — about three tests per VMA on every exit of *every*
#   process, for a failure that almost never happens. That was the objection in the 2023 review: "don't use the
#   exit_mmap() path to undo a failed fork".
#
# Both end `CLEAN`: no node, VMA or page table left, committed memory balanced, the parent
# untouched.
#
# The price of the marker on the *normal* path, measured: a successful fork of the reference
# process and the child's ordinary exit, counting the `xa_is_zero()` tests `exit_mmap()` runs
# (8 child VMAs):

# %%
for design in mm.MAIN_DESIGNS:
    r = mm.fork_and_exit(mm.reference_process(), design, walkers=False)
    print(f"{design:<17} fork {'ok' if r.success else 'FAILED'}; zero-entry tests at exit: {r.zero_checks:>2}")

# %% [markdown]
# ## The sweep: every design, every failure point
#
# `fork_test` in the 2023 thread injected failures into a task of that name at a chosen
# interval. The model does it exhaustively: for each design, fail at each point of `dup_mmap()`
# at each VMA — F1 `__mt_dup`, F2 the `VM_DONTCOPY` clear, F3 a fatal signal, F4 the
# `VM_ACCOUNT` charge, F5 `vm_area_dup`, F6 the policy copy, F7 `anon_vma_fork`,
# F9 `copy_page_range`, F10 `arch_dup_mmap` — run the teardown, and check what is left.
#
# | outcome | meaning |
# |---|---|
# | `CLEAN` | nothing of the child is left, and the parent is untouched |
# | `LEAK_NODES` | maple nodes of the child's tree are never freed |
# | `LEAK_PGT` | page-table pages are never freed |
# | `LEAK_RSS` | copied page-table entries are never zapped (page references, RSS counters) |
# | `LEAK_VMA` | a child VMA is never freed (with its file reference) |
# | `LEAK_COMMIT` | committed memory (`VM_ACCOUNT`) is not given back |
# | `DANGLING_RMAP` | an anon_vma or file rmap tree still points at a freed child VMA |
# | `CRASH_ZERO` | code uses the marker as if it were a VMA (an oops near address 0x406) |
# | `PARENT_HIT` | the child's teardown zaps or frees a *parent* VMA through a stale pointer |
# | `BUG_COUNT` | teardown counts a different number of VMAs than `map_count` (`BUG_ON`) |

# %%
table = sweep.run(proc=mm.reference_process)
print(sweep.format_summary(table))

# %%
from IPython.display import Markdown
Markdown(sweep.format_outcome_table(table))

# %% [markdown]
# Reading the table (one row per design; each cell counts the failure points with that
# outcome):
#
# * **6.7-bulk** (D1) builds the child's tree by inserting child VMAs only: after any failure
#   the tree holds only child VMAs, and teardown is ordinary. The two `DANGLING_RMAP` rows are
#   F8, a store failure that cannot happen in practice (its error label forgets the file rmap).
# * **v2-marker:posted** (D2a, the Aug 2023 posting) writes a marker only when the DONTCOPY
#   clear fails. After every other failure the tree holds stale parent pointers and no marker:
#   `exit_mmap()` zaps and frees **parent** VMAs (`PARENT_HIT`) and counts more VMAs than
#   `map_count` (`BUG_COUNT`).
# * **v2-marker** (D2b: a marker at every failure, with the 2023 gaps) leaks nodes when the very
#   first VMA fails (the early return skips `__mt_destroy`), leaks page tables through the
#   "last false VMA" (below), and loses the half-copied VMA after a `copy_page_range` failure.
# * **v4-undo** (D3, Oct 2023) undoes the copy inside `dup_mmap()` with a new search limit for
#   `free_pgtables()` — clean except an RSS leak when the *last* VMA fails (a reading of the
#   posted code; the series was dropped before it mattered). Rejected for the API churn.
# * **6.8-marker** (D4, as merged) and **7.0-recovery** (D5) are clean at every point.

# %% [markdown]
# ## The "last false VMA": a page-table leak
#
# While implementing the undo-in-`dup_mmap()` idea in September 2023, Peng Zhang found that the
# teardown leaked page-table pages. `free_pgtables()` frees the tables of a batch of nearby
# VMAs with `free_pgd_range(start, end, floor, ceiling)`, where the ceiling is the start of the
# **next** VMA: a table shared with the next VMA must be kept. In a failed child, the "next VMA"
# after the last copied one is `F`, the VMA where the fork failed — a *false* VMA: the child
# never copied anything there, but its start still lowers the ceiling. The tables that the last
# batch shares with `F`'s address are kept, and nobody will ever free them.
#
# The model counts the leaked table pages with the false ceiling (the undo sketch of 7 Sep 2023,
# and the marker design with the same hazard) and with the fix (a marker or stale "next" counts
# as no next: ceiling = top of the address space):

# %%
rows = sweep.false_ceiling_table(proc=mm.reference_process)
print(f"{'fails at':<11} {'table pages':>11} {'leaked, false ceiling':>22} {'leaked, fixed':>14}")
for r in rows:
    note = "" if r["triggered"] else "   (the clear needs no memory here: no failure)"
    print(f"{r['fails_at']:<11} {r['tables']:>11} {r['leaked_false']:>22} {r['leaked_fixed']:>14}{note}")

# %% [markdown]
# The rule: a page-table page of the last batch leaks exactly when its coverage also contains
# `F`'s start. A PTE table covers 2 MiB, a PMD table 1 GiB, a PUD table 512 GiB, so the leak is
# 3, 2, 1 or 0 pages, depending on the smallest block the last copied byte and `F` share:
#
# * `V2` fails: the last copied VMA `V1` ends in the 2 MiB block where `V2` starts — 3 pages;
# * `V6` fails: `V5` and `V6` share a 1 GiB block but not a 2 MiB one — 2 pages (PMD and PUD);
# * `V7` fails: `V6` and `V7` share only the 512 GiB block — 1 page;
# * `V3` or `V8` fails: nothing shared — 0.
#
# 6.8's `free_pgtables()` turns a zero "next" into NULL; 7.0 passes the tree limit and the
# page-table ceiling separately (`struct unmap_desc`).

# %% [markdown]
# ## The race window: who else can see the broken tree?
#
# Between `dup_mmap()` unlocking and `exit_mmap()` locking again, the half-built mm can be
# reached: through rmap (a child VMA is linked into the parent's anon_vma and into the file),
# through the swapoff `mmlist`, or through registrations made during the fork. A walker that
# reaches it with the advanced maple API gets `XA_ZERO_ENTRY` back as if it were a VMA. The
# model runs five walkers at every failure point of the sweep (entries: how many failure points
# made the walker misread the tree, out of all):

# %%
wt = mm.walkers.table(proc=mm.reference_process)
Markdown(mm.walkers.format_table(wt))

# %% [markdown]
# The fixes, in order: f64e67e5d3a4 (no userfaultfd fork event on failure) and 985da552a98e
# (khugepaged/ksm registration only on success), both for 6.12; 8ac662f5da19 (uprobe
# `dup_mmap_sem` held across the failed teardown; a syzbot report); 64c37e134b12
# (`MMF_OOM_SKIP` with the marker, `MMF_UNSTABLE` on any failure, and the uprobe check);
# 1367da7eb875 (swapoff skips unstable mms; CVE-2025-39992). Compare the rows `6.8-marker`,
# `6.8-marker@6.12.0` and `6.8-marker@6.12.117`. Each fix teaches one more walker about one more
# flag — "whack-a-mole", as it was called in the August 2025 discussion.
#
# ## Why 7.0 removed the marker
#
# 43873af772f8 ("mm: change dup_mmap() recovery") tears the copied prefix down in `dup_mmap()`,
# under the same locks, with explicit limits: the idea of the 2023 review, dropped then because
# it needed a new `free_pgtables()` argument. Bundling the limits into `struct unmap_desc` made
# that change acceptable. The result: an empty tree for every failure, nothing for a walker to
# trip over, and no zero-entry test left in `exit_mmap()`. Its only cost is on the rare failure
# path.
#
# | design | tree left for `exit_mmap()` after a mid-loop failure | who frees child VMAs | zero tests per normal exit | outcome |
# |---|---|---|---|---|
# | 6.7-bulk | child VMAs only | `exit_mmap` | 0 | clean (slow fork) |
# | v2-marker (posted) | child VMAs + stale parent pointers | `exit_mmap` (and parent VMAs!) | about n | parent damage |
# | v2-marker (marker everywhere) | child VMAs + marker + stale | `exit_mmap` | about 3n | leaks (nodes, page tables, VMA) |
# | v4-undo | empty | `dup_mmap` | 0 | clean but for a corner case; API churn |
# | 6.8-marker | child VMAs + marker + stale | `exit_mmap` | about 3n | clean; walkers exposed until 2025 |
# | 7.0-recovery | empty | `dup_mmap` | 0 | clean |

# %% [markdown]
# ## Summary
#
# * After a mid-loop failure, the child's tree is child VMAs, then (6.8+) a marker over `F`,
#   then stale parent pointers.
# * 6.8–6.19: `exit_mmap()` stops at the marker — clean, but every exit pays about 3n zero tests,
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

three = ("v2-marker", "6.8-marker", "7.0-recovery")
quiz = Quiz([
    LeakQuestion.for_failure(("vma_dup", "at", "V7"), designs=three),
    LeakQuestion.for_failure(("vma_dup", "at", "V3"), designs=three),
    LeakQuestion.for_failure("F10", designs=("v2-marker", "v4-undo", "6.8-marker")),
], title="Self-check 07")

# %% tags=["nbval-ignore-output"]
quiz

# %%
print(quiz.text())
