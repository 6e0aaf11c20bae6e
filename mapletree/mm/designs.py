"""The five fork designs (D1..D5) and their variants, as named in the fork notes.

A :class:`Design` is a bundle of switches read by ``fork.dup_mmap`` (kernel/fork.c) and
``exit.exit_mmap`` (mm/mmap.c). Names accepted by :func:`get_design`:

=================  ======  ==================================================================
name               key     what it is
=================  ======  ==================================================================
6.7-bulk           D1      v6.1-v6.7: bulk-insert child VMAs into an empty tree
v2-marker          D2b     the suite's reconstruction of the v2 idea (marker at every loop
                           failure, buggy switches; see ``switches``)
v2-marker:posted   D2a     "[PATCH v2 6/6]" as posted (marker on the DONTCOPY failure only)
v4-undo            D3      v4 ``undo_dup_mmap()`` with the new ``tree_end`` argument
v4-undo:sketch     D3s     the untested undo sketch of 7 Sep 2023 (ceiling = f)
6.8-marker         D4      as merged in 6.8 (d2406291483); walker fixes per ``@version``
7.0-recovery       D5      43873af772f8: tear down in dup_mmap, leave an empty tree
=================  ======  ==================================================================

``6.8-marker@6.12.0`` and ``6.8-marker@6.12.117`` pick the walker fixes of those releases
(default ``@6.8``: none of the race fixes); ``6.12`` is an alias of ``6.8-marker@6.12.117``.
D2b and D3s take switch overrides: ``get_design("v2-marker", false_ceiling=False)``.
"""

from dataclasses import dataclass, replace, fields


class UnknownDesignError(ValueError):
    """The design name (or a switch) is not known."""


@dataclass(frozen=True)
class Design:
    """Switches of one design. Read-only; make variants with ``with_switches``."""

    key: str
    name: str
    title: str
    build: str = "dup"                  # "bulk" (D1) or "dup" (__mt_dup)
    dup_gfp: str = "kernel"             # gfp of __mt_dup: "kernel" or "nowait" (D2a)
    clear: str = "store_gfp"            # DONTCOPY: "skip" (D1), "store" (D2a), "store_gfp"
    stat_before_clear: bool = False     # D2a: vm_stat_account before the clear
    error: str = "marker"               # "none", "marker", "undo", "undo_sketch", "recovery"
    marker_scope: str = "every"         # "dontcopy" (D2a) or "every"
    advance_after_copy_fail: bool = True
    first_zero: str = "destroy"         # exit_mmap on a marker first: "none", "return", "destroy"
    walkers_stop_at_zero: bool = True   # unmap_vmas / free_pgtables stop at the marker
    removal_stops_at_zero: bool = True
    false_ceiling: bool = False         # last batch's ceiling = the marker's / F's start
    exit_era: str = "6.8"               # "6.7", "6.8", "7.0"
    count_check: str = "BUG"            # BUG_ON (stops) or WARN (7.0)
    version: str = ""
    hooks_before_copy: bool = True      # ksm_fork/khugepaged_fork before the copy (<= 6.11)
    uffd_event_on_failure: bool = True  # dup_userfaultfd_complete even on failure (<= 6.11)
    dup_mmap_sem_across: bool = False   # 8ac662f5da19
    flags_on_failure: bool = False      # 64c37e134b12 (OOM_SKIP with marker, UNSTABLE)
    uprobe_checks_unstable: bool = False  # 64c37e134b12
    swapoff_checks_unstable: bool = False  # 1367da7eb875

    SWITCHES = ("marker_scope", "advance_after_copy_fail", "first_zero",
                "walkers_stop_at_zero", "false_ceiling")

    def with_switches(self, **kw):
        """A variant with some switches changed (UnknownDesignError for unknown ones)."""
        names = {f.name for f in fields(self)}
        for k in kw:
            if k not in names or k in ("key", "name", "title"):
                raise UnknownDesignError(f"unknown design switch {k!r}")
        changed = ",".join(f"{k}={v}" for k, v in sorted(kw.items()))
        return replace(self, name=f"{self.name}[{changed}]" if kw else self.name, **kw)

    @property
    def zero_checks_per_exit(self):
        """xa_is_zero tests a successful exit of an n-VMA process makes: (a, b) = a*n + b."""
        if self.exit_era != "6.8" and self.first_zero == "none":
            return (0, 0)
        if self.key == "D2a":
            return (1, 1)
        return (3, 1)

    def __str__(self):
        return self.name


D1 = Design("D1", "6.7-bulk", "insert each VMA into an empty tree (v6.1-v6.7)",
            build="bulk", clear="skip", error="none", first_zero="none",
            walkers_stop_at_zero=False, removal_stops_at_zero=False, exit_era="6.7",
            advance_after_copy_fail=False, version="6.7")
D2A = Design("D2a", "v2-marker:posted", "[PATCH v2 6/6] as posted (Aug 2023)",
             dup_gfp="nowait", clear="store", stat_before_clear=True, error="marker",
             marker_scope="dontcopy", advance_after_copy_fail=False, first_zero="return",
             walkers_stop_at_zero=False, removal_stops_at_zero=True, exit_era="6.7",
             version="v2")
D2B = Design("D2b", "v2-marker", "marker at every failure, seed-thread reconstruction",
             error="marker", marker_scope="every", advance_after_copy_fail=False,
             first_zero="return", walkers_stop_at_zero=True, removal_stops_at_zero=True,
             false_ceiling=True, exit_era="6.8", version="v2")
D3 = Design("D3", "v4-undo", "undo_dup_mmap() with a tree_end limit (v4, Oct 2023)",
            error="undo", first_zero="none", walkers_stop_at_zero=False,
            removal_stops_at_zero=False, exit_era="6.7", version="v4")
D3S = Design("D3s", "v4-undo:sketch", "the undo sketch of 7 Sep 2023 (next = F)",
             error="undo_sketch", first_zero="none", walkers_stop_at_zero=False,
             removal_stops_at_zero=False, false_ceiling=True, exit_era="6.7", version="v3")
D4 = Design("D4", "6.8-marker", "XA_ZERO_ENTRY marker, exit_mmap stops at it (6.8-6.19)",
            version="6.8")
D4_6120 = replace(D4, name="6.8-marker@6.12.0", version="6.12.0", hooks_before_copy=False,
                  uffd_event_on_failure=False)
D4_612 = replace(D4_6120, name="6.8-marker@6.12.117", version="6.12.117",
                 dup_mmap_sem_across=True, flags_on_failure=True, uprobe_checks_unstable=True,
                 swapoff_checks_unstable=True)
D5 = Design("D5", "7.0-recovery", "tear down in dup_mmap under the locks (43873af772f8)",
            error="recovery", first_zero="none", walkers_stop_at_zero=False,
            removal_stops_at_zero=False, exit_era="7.0", count_check="WARN", version="7.0",
            hooks_before_copy=False, uffd_event_on_failure=False, dup_mmap_sem_across=True,
            flags_on_failure=True, uprobe_checks_unstable=True, swapoff_checks_unstable=True)

DESIGNS = {d.name: d for d in (D1, D2A, D2B, D3, D3S, D4, D4_6120, D4_612, D5)}
ALIASES = {"D1": D1, "D2a": D2A, "D2b": D2B, "D2": D2B, "D3": D3, "D3s": D3S,
           "D3-sketch": D3S, "D4": D4, "D5": D5, "6.12": D4_612, "6.8": D4, "7.0": D5,
           "6.7": D1, "D2b-fixed": D2B.with_switches(
               advance_after_copy_fail=True, first_zero="destroy", false_ceiling=False),
           "D3s-fixed": D3S.with_switches(false_ceiling=False)}
#: the designs a sweep of "every design" runs, in the order of the notes
MAIN_DESIGNS = ("6.7-bulk", "v2-marker:posted", "v2-marker", "v4-undo:sketch", "v4-undo",
                "6.8-marker", "7.0-recovery")


def get_design(name, **switches):
    """The Design called ``name`` (see the module table), with optional switch overrides."""
    if isinstance(name, Design):
        d = name
    else:
        if not isinstance(name, str):
            raise UnknownDesignError(f"design must be a name, got {type(name).__name__}")
        d = DESIGNS.get(name) or ALIASES.get(name)
        if d is None:
            known = ", ".join(list(DESIGNS) + list(ALIASES))
            raise UnknownDesignError(f"unknown design {name!r}; known: {known}")
    return d.with_switches(**switches) if switches else d


def design_names():
    return list(DESIGNS)
