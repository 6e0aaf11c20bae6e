# %% [markdown]
# # 03 · Walking and searching
#
# Every page fault asks the maple tree "which VMA contains this address?", every `mmap()` asks
# "where is a hole big enough?", and `/proc/PID/maps` asks "give me every VMA in order". This
# notebook steps through the read paths node by node.
#
# **Learning goals.** You will be able to
# 1. follow a lookup (`mtree_load`, `mas_walk`) from the root to a leaf using the pivots;
# 2. iterate with a maple state (`mas_find`, `mas_next`, `mas_prev`) and say what `index` and
#    `last` hold afterwards;
# 3. explain how the gap search behind `get_unmapped_area()` (`mas_empty_area`,
#    `mas_empty_area_rev`) uses the gaps stored in `arange_64` nodes to skip subtrees.
#
# **Prerequisites.** [02-address-space-to-tree](02-address-space-to-tree.ipynb) (slots, pivots,
# gaps).
#
# **Time to learn.** 20 minutes.

# %% [markdown]
# ## A lookup, node by node
#
# The tree below holds `seq(20)`: entries `v1..v20` at `[10k, 10k+5]` with holes between them,
# in a tree that tracks gaps. It has a root and three leaves. A lookup of index 102 starts at
# the root, takes the first slot whose pivot is ≥ 102, follows that child and repeats in the
# leaf. `mtree_load()` and `mas_walk()` descend the same way; the recording below is of
# `mas_walk()`, which reports each node it passes (`walk` events, which recordings leave out
# unless asked for).

# %%
from mapletree.core.tree import MapleTree
from mapletree.core.state import MapleState
from mapletree.core.constants import MM_MT_FLAGS, MT_FLAGS_ALLOC_RANGE, ULONG_MAX
from mapletree.core.errors import NoGapError
from mapletree.viz import Recorder, Stepper, DEFAULT_KINDS

WALKS = DEFAULT_KINDS | {"walk"}           # also record the read paths' steps
tree = MapleTree(flags=MT_FLAGS_ALLOC_RANGE)
for k in range(1, 21):
    tree.store_range(10 * k, 10 * k + 5, f"v{k}")

with Recorder(tree, kinds=WALKS) as rec:
    found = MapleState(tree, 102).walk()
print("mas_walk(102) ->", found, "| mtree_load(102) ->", tree.load(102))

# %% tags=["nbval-ignore-output"]
Stepper(rec)

# %%
print(len(rec.frames), "frames")
for f in rec.frames:
    print(f.func, "-", f.text)

# %% [markdown]
# ## The maple state: where am I?
#
# Most kernel code does not call `mtree_load`; it uses a **maple state** (`struct ma_state`,
# here `MapleState`): a cursor that remembers the node it is in, so the next step does not
# start again at the root. After each call, `mas.index` and `mas.last` hold the bounds of the
# range found — NULL ranges included.

# %%
mas = MapleState(tree, 68)
print("walk(68)   ->", mas.walk(), (mas.index, mas.last))   # inside the NULL range after v6
mas = MapleState(tree, 68)
print("find(MAX)  ->", mas.find(ULONG_MAX), (mas.index, mas.last))
print("next(MAX)  ->", mas.next(ULONG_MAX), (mas.index, mas.last))
print("prev(0)    ->", mas.prev(0), (mas.index, mas.last))

# %% [markdown]
# * `mas_walk` returns whatever is at the index — here NULL — and sets `index`/`last` to the
#   whole NULL range `[66, 69]`.
# * `mas_find` returns the first *non-NULL* entry at or after the index.
# * `mas_next` / `mas_prev` move to the next / previous non-NULL entry; they cross from one
#   leaf to the next by climbing to the parent and descending again (`mas_next_node`).
#
# This is how `for_each_vma()` walks a process: one `mas_find` after another.

# %%
mas = MapleState(tree, 0)
entries = []
while True:
    e = mas.find(ULONG_MAX)
    if e is None:
        break
    entries.append((e, mas.index, mas.last))
print(len(entries), "entries; first", entries[0], "last", entries[-1])

# %% [markdown]
# ## Finding a hole: the search behind `get_unmapped_area()`
#
# When a program calls `mmap(NULL, length, ...)`, the kernel must find an unused range of
# `length` bytes. In 6.12, `vma_iter_area_lowest()` calls `mas_empty_area(min, max − 1, size)`
# (lowest fit), and the usual top-down layout uses `mas_empty_area_rev` (highest fit).
#
# The search reads the **gaps** of the internal nodes: if a child's largest gap is smaller than
# the request, the whole subtree is skipped without being visited. In a leaf it checks the NULL
# slots one by one. Step through a lowest-fit search for 11 indices in `[0, 300]`:

# %%
mas = MapleState(tree)
with Recorder(tree, kinds=WALKS) as rec3:
    mas.empty_area(0, 300, 11)
print("empty_area(0, 300, 11) ->", (mas.index, mas.last))

# %% tags=["nbval-ignore-output"]
Stepper(rec3)

# %%
print(len(rec3.frames), "frames")
for f in rec3.frames:
    print(f.func, "-", f.text)

# %% [markdown]
# The root's gaps say it all: the first leaf's largest hole is `[0, 9]` (10 indices, one too
# few), the second leaf's is 4. The search reads those two numbers, never visits the two
# leaves, and descends into the right-most leaf, whose trailing NULL range `[206, ULONG_MAX]`
# fits. The answer is `[206, 216]`.
#
# The reverse search starts from the top of the window and moves left:

# %%
mas = MapleState(tree)
mas.empty_area_rev(0, 300, 11)
print("empty_area_rev(0, 300, 11) ->", (mas.index, mas.last))
mas = MapleState(tree)
mas.empty_area_rev(0, 100, 4)
print("empty_area_rev(0, 100, 4)  ->", (mas.index, mas.last))
try:
    MapleState(tree).empty_area(0, 100, 11)
except NoGapError as e:
    print("empty_area(0, 100, 11)     -> NoGapError:", e)

# %% [markdown]
# ### A gap number says "somewhere in this child", not "in your window"
#
# A gap stored in an internal node is the largest hole *anywhere* in that child. When the search
# window starts in the middle of a child, the hole it advertises may lie outside the window:
# the search descends, finds nothing usable in the leaf, climbs back (`mas_skip_node`) and goes
# on with the next child. Search 5 indices from index 12: the first leaf advertises 10 (the hole
# `[0, 9]`, below the window), the second only 4.

# %%
mas = MapleState(tree)
with Recorder(tree, kinds=WALKS) as rec4:
    mas.empty_area(12, ULONG_MAX, 5)
print("empty_area(12, ULONG_MAX, 5) ->", (mas.index, mas.last))
for f in rec4.frames:
    print(f.func, "-", f.text)

# %% tags=["nbval-ignore-output"]
Stepper(rec4)

# %% [markdown]
# ## The same on a process
#
# On the reference process of notebook 02, look for 1 MiB (256 pages) below the stack, the way
# a top-down `mmap()` would:

# %%
from mapletree import scenarios
proc = MapleTree(flags=MM_MT_FLAGS)
for v in scenarios.reference_vmas():
    proc.store_range(v.start, v.end - 1, v.name)
mas = MapleState(proc)
mas.empty_area_rev(0x10000, 0x7FFDFFFE0000 - 1, 1 << 20)
print(f"1 MiB hole (highest): [{mas.index:#_x}, {mas.last:#_x}]")
mas = MapleState(proc)
mas.empty_area(0x10000, 0x7FFDFFFE0000 - 1, 1 << 20)
print(f"1 MiB hole (lowest):  [{mas.index:#_x}, {mas.last:#_x}]")

# %% [markdown]
# ## Summary
#
# * A lookup follows, in each node, the first pivot ≥ the index; a node's bounds come from
#   its parent.
# * A maple state remembers where it is; `index`/`last` always describe the whole range found.
# * `mas_find`/`mas_next`/`mas_prev` skip NULL ranges; the advanced API returns *everything*
#   else as is — including the `XA_ZERO_ENTRY` marker of notebook 07, which `mtree_load` hides.
# * The gap search skips every subtree whose stored max gap is too small; a big enough gap
#   may still lie outside the window, and then the search climbs back and moves on.
#
# **What's next:** [04-writes-in-depth](04-writes-in-depth.ipynb): every write path.
#
# **References**
# * `lib/maple_tree.c`: `mtree_load`, `mtree_lookup_walk`, `mas_walk`, `mas_find`, `mas_next`,
#   `mas_prev`, `mas_next_node`, `mas_empty_area`, `mas_empty_area_rev`, `mas_awalk`,
#   `mas_rev_awalk`, `mas_skip_node`.
# * `mm/vma.h`: `vma_iter_area_lowest`, `vma_iter_area_highest`; `mm/mmap.c`:
#   `unmapped_area`, `unmapped_area_topdown`.
# * `include/linux/mm.h`: `for_each_vma`, `vma_lookup`, `find_vma`.

# %% [markdown]
# ## Self-check

# %%
from mapletree.exercises import Recipe, WalkQuestion, Quiz

seq20 = Recipe(ops=(("seq", 20),), flags=MT_FLAGS_ALLOC_RANGE, label="seq(20), as above")
quiz = Quiz([
    WalkQuestion(seq20, 72, [(72, 72), (66, 69), (70, 75), (66, 75)]),
    WalkQuestion(seq20, 98, [(98, 98), (96, 99), (96, 105), (90, 99)]),
    WalkQuestion(seq20, 500, [(500, 500), (206, 500), (206, ULONG_MAX), (500, ULONG_MAX)]),
], title="Self-check 03")

# %% tags=["nbval-ignore-output"]
quiz

# %%
print(quiz.text())
