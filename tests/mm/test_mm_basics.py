"""VMAs, page tables (free_pgd_range floor/ceiling rules), /proc/PID/maps parsing,
and the process builders."""

import pytest

from mapletree import mm
from mapletree.mm.constants import (VM_ACCOUNT, VM_DONTCOPY, VM_EXEC, VM_GROWSDOWN, VM_READ,
                                    VM_WIPEONFORK, VM_WRITE)
from mapletree.mm.pagetables import PageTables
from mapletree.mm.procmaps import ProcMapsError, parse


# --------------------------------------------------------------------------- page tables

def _worked_example():
    """§5.5: A = [0x4000_0000, 0x4010_0000) and L = [0x4030_0000, 0x4038_0000)."""
    pt = PageTables()
    pt.add(0x4000_0000, 0x4010_0000)
    pt.add(0x4030_0000, 0x4038_0000)
    return pt


def test_worked_example_tables():
    pt = _worked_example()
    assert pt.tables() == {"pud": [0], "pmd": [0x4000_0000],
                           "pte": [0x4000_0000, 0x4020_0000]}
    assert pt.pgtables_bytes == 16384


def test_false_ceiling_keeps_three_tables():
    pt = _worked_example()
    pt.zap(0x4000_0000, 0x4038_0000)
    freed = pt.free_pgd_range(0x4000_0000, 0x4038_0000, 0, 0x4039_0000)
    assert freed == [("pte", 0x4000_0000)]
    assert pt.tables() == {"pud": [0], "pmd": [0x4000_0000], "pte": [0x4020_0000]}
    assert pt.pgtables_bytes == 12288


def test_ceiling_zero_frees_everything():
    pt = _worked_example()
    pt.zap(0x4000_0000, 0x4038_0000)
    freed = pt.free_pgd_range(0x4000_0000, 0x4038_0000, 0, 0)
    assert freed == [("pte", 0x4000_0000), ("pte", 0x4020_0000), ("pmd", 0x4000_0000),
                     ("pud", 0)]
    assert pt.count == 0 and pt.leaked_entries == {}


def test_ceiling_inside_first_2mib_frees_nothing():
    pt = PageTables()
    pt.add(0x1000, 0x3000)
    assert pt.free_pgd_range(0x1000, 0x3000, 0, 0x10_0000) == []
    assert pt.count == 3


def test_floor_above_keeps_shared_first_block():
    pt = PageTables()
    pt.add(0x40_0000, 0x40_2000)
    assert pt.free_pgd_range(0x40_0000, 0x40_2000, 0x40_1000, 0) == []
    assert pt.count == 3


def test_freeing_a_table_with_present_entries_leaks_them():
    pt = PageTables()
    pt.add(0x60_0000, 0x60_3000, "anon")
    pt.free_pgd_range(0x60_0000, 0x60_3000, 0, 0)
    assert pt.leaked_entries == {"anon": 3}


def test_zap_counts_by_kind():
    pt = PageTables()
    pt.add(0x60_0000, 0x60_2000, "anon")
    pt.add(0x60_2000, 0x60_3000, "swap")
    assert pt.zap(0x60_1000, 0x60_3000) == {"anon": 1, "swap": 1}
    assert pt.present_pages() == 1


# --------------------------------------------------------------------------- VMAs

def test_vma_rejects_bad_ranges():
    with pytest.raises(mm.VmaError, match="not page aligned"):
        mm.VMA(0x1001, 0x3000)
    with pytest.raises(mm.VmaError, match="empty"):
        mm.VMA(0x3000, 0x3000)
    with pytest.raises(mm.VmaError, match="int"):
        mm.VMA(1.5, 0x3000)


# --------------------------------------------------------------------------- procmaps

MAPS = """\
55d6b9a00000-55d6b9a02000 r--p 00000000 08:02 1311209                    /usr/bin/cat
55d6b9a02000-55d6b9a07000 r-xp 00002000 08:02 1311209                    /usr/bin/cat
55d6b9a07000-55d6b9a0a000 r--p 00007000 08:02 1311209                    /usr/bin/cat
55d6b9a0a000-55d6b9a0b000 rw-p 00009000 08:02 1311209                    /usr/bin/cat
55d6bb1a4000-55d6bb1c5000 rw-p 00000000 00:00 0                          [heap]
7f3c5a600000-7f3c5a628000 r--p 00000000 08:02 1315362                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f3c5a628000-7f3c5a7bd000 r-xp 00028000 08:02 1315362                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f3c5a7bd000-7f3c5a815000 r--p 001bd000 08:02 1315362                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f3c5a815000-7f3c5a816000 ---p 00215000 08:02 1315362                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f3c5a816000-7f3c5a81a000 r--p 00215000 08:02 1315362                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f3c5a81a000-7f3c5a81c000 rw-p 00219000 08:02 1315362                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f3c5a81c000-7f3c5a829000 rw-p 00000000 00:00 0 
7ffd2c8f1000-7ffd2c912000 rw-p 00000000 00:00 0                          [stack]
7ffd2c9a4000-7ffd2c9a8000 r--p 00000000 00:00 0                          [vvar]
7ffd2c9a8000-7ffd2c9aa000 r-xp 00000000 00:00 0                          [vdso]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
"""


def test_procmaps_parses_real_lines():
    lines = parse(MAPS)
    assert len(lines) == 15                      # [vsyscall] is not a VMA of the mm
    first = lines[0]
    assert (first.start, first.end, first.perms, first.offset, first.dev, first.inode,
            first.path) == (0x55D6B9A00000, 0x55D6B9A02000, "r--p", 0, "08:02", 1311209,
                            "/usr/bin/cat")
    assert lines[1].flags == VM_READ | VM_EXEC
    assert lines[3].flags == VM_READ | VM_WRITE | VM_ACCOUNT
    assert lines[11].path == "" and lines[11].flags & VM_ACCOUNT
    assert lines[12].flags & VM_GROWSDOWN


def test_from_procmaps_builds_the_process():
    p = mm.from_procmaps(MAPS)
    vmas = p.vmas()
    assert len(vmas) == 15 and p.map_count == 15
    assert vmas[0].file.path == "/usr/bin/cat"
    assert vmas[1].anon_vma is None              # text: private read-only
    assert vmas[3].anon_vma is not None          # private writable data
    assert vmas[8].resident == 0                 # ---p
    child, res = mm.fork(p, "7.0-recovery")
    assert res.success and res.problems == []


@pytest.mark.parametrize("line, lineno, reason", [
    ("55d6b9a00000-55d6b9a02000 r--p 00000000", 1, "expected at least 5 fields"),
    ("55d6b9a00000 r--p 00000000 08:02 1 /x", 1, "must be 'start-end'"),
    ("55d6b9a00000-55d6b9a02000 r--x 00000000 08:02 1 /x", 1, "permissions"),
    ("55d6b9a0000g-55d6b9a02000 r--p 00000000 08:02 1 /x", 1, "not hexadecimal"),
    ("55d6b9a02000-55d6b9a00000 r--p 00000000 08:02 1 /x", 1, "not above start"),
    ("55d6b9a00100-55d6b9a02000 r--p 00000000 08:02 1 /x", 1, "page aligned"),
    ("55d6b9a00000-55d6b9a02000 r--p 0000000z 08:02 1 /x", 1, "offset"),
    ("55d6b9a00000-55d6b9a02000 r--p 00000000 0802 1 /x", 1, "device"),
    ("55d6b9a00000-55d6b9a02000 r--p 00000000 08:02 x1 /x", 1, "inode"),
])
def test_procmaps_rejects_malformed_lines(line, lineno, reason):
    with pytest.raises(ProcMapsError) as ei:
        parse(line)
    assert ei.value.lineno == lineno
    assert reason in ei.value.reason
    assert f"line {lineno}:" in str(ei.value)
    assert isinstance(ei.value, ValueError)


def test_procmaps_names_the_bad_line_number():
    bad = MAPS.splitlines()
    bad[6] = bad[6].replace("r-xp", "rwz?")
    with pytest.raises(ProcMapsError) as ei:
        mm.from_procmaps("\n".join(bad))
    assert ei.value.lineno == 7 and "permissions" in ei.value.reason


def test_procmaps_rejects_overlap():
    text = ("00400000-00402000 r--p 00000000 08:02 1 /x\n"
            "00401000-00403000 r--p 00000000 08:02 1 /x\n")
    with pytest.raises(ProcMapsError, match="line 2: range starts at 0x401000"):
        parse(text)


# --------------------------------------------------------------------------- builders

def test_reference_process_layout():
    p = mm.reference_process()
    vmas = p.vmas()
    assert [v.label for v in vmas] == [f"V{i}" for i in range(9)]
    assert [(v.start, v.end) for v in vmas][:3] == [(0x40_0000, 0x40_8000),
                                                    (0x60_0000, 0x60_2000),
                                                    (0x60_2000, 0x62_3000)]
    assert vmas[4].flags & VM_DONTCOPY and vmas[5].flags & VM_WIPEONFORK
    assert vmas[8].flags & VM_GROWSDOWN and vmas[8].end == 0x7FFE_0000_0000
    assert vmas[0].file is not None and vmas[0].anon_vma is None
    assert p.map_count == 9 and p.tree.height == 1


def test_reference_process_child_has_twelve_table_pages():
    p = mm.reference_process()
    child, res = mm.fork(p, "6.8-marker")
    assert res.success and res.problems == []
    t = child.pgtables.tables()
    assert len(t["pud"]) + len(t["pmd"]) + len(t["pte"]) == 12
    assert t["pud"] == [0, 0x7F00_0000_0000, 0x7F80_0000_0000]


def test_random_process_is_seeded_and_exact():
    a = mm.random_process(200, seed=5)
    b = mm.random_process(200, seed=5)
    c = mm.random_process(200, seed=6)
    key = lambda p: [(v.start, v.end, v.flags, v.label) for v in p.vmas()]  # noqa: E731
    assert key(a) == key(b) != key(c)
    assert a.map_count == 200 and len(a.vmas()) == 200
    vmas = a.vmas()
    assert any(v.flags & VM_DONTCOPY for v in vmas)
    assert any(v.file is not None for v in vmas)
    assert any(v.flags & VM_ACCOUNT for v in vmas)
    assert vmas[-1].label.endswith("[vdso]")
    assert all(x.end <= y.start for x, y in zip(vmas, vmas[1:]))


def test_from_ranges_and_overlap():
    p = mm.from_ranges([(0x1000, 0x3000), (0x5000, 0x6000, "rw,dontcopy", "D")])
    v = p.vmas()
    assert v[1].label == "D" and v[1].flags & VM_DONTCOPY
    assert v[0].flags & VM_ACCOUNT and v[0].anon_vma is not None
    with pytest.raises(mm.LayoutError, match="overlaps"):
        mm.from_ranges([(0x1000, 0x3000), (0x2000, 0x4000)])
    with pytest.raises(mm.LayoutError, match="unknown flag word"):
        mm.from_ranges([(0x1000, 0x3000, "rw,bogus")])
    with pytest.raises(mm.LayoutError, match="range #0"):
        mm.from_ranges([(0x1000,)])


def test_add_vma_overlap_changes_nothing():
    p = mm.reference_process()
    before = p.fingerprint()
    with pytest.raises(mm.VmaOverlapError):
        p.add_vma(mm.VMA(0x40_4000, 0x40_6000, VM_READ))
    assert p.fingerprint() == before and p.map_count == 9


def test_design_names_and_errors():
    assert mm.get_design("6.12").name == "6.8-marker@6.12.117"
    assert mm.get_design("D5").name == "7.0-recovery"
    with pytest.raises(mm.UnknownDesignError):
        mm.get_design("6.9-foo")
    with pytest.raises(mm.UnknownDesignError):
        mm.get_design("v2-marker", no_such_switch=True)
    d = mm.get_design("v2-marker", false_ceiling=False)
    assert d.false_ceiling is False and "false_ceiling=False" in d.name


def test_fault_labels_and_errors():
    assert mm.parse_fault("F7@12") == mm.Fault("F7", 12)
    assert mm.parse_fault("F1#3").label == "F1#3"
    assert mm.parse_fault(("vma_dup", "at", "V6")) == mm.Fault("F5", "V6")
    with pytest.raises(mm.FaultError):
        mm.parse_fault("F11@2")
    with pytest.raises(mm.FaultError):
        mm.Fault("F3")
    with pytest.raises(mm.FaultError):
        mm.Fault("F10", 3)
    p = mm.reference_process()
    with pytest.raises(mm.FaultError, match="out of range"):
        mm.fork(p, "6.8-marker", "F3@9")


def test_procmaps_of_a_live_process():
    """The maps of this very process parse, build, fork and exit cleanly."""
    try:
        with open("/proc/self/maps") as fh:
            text = fh.read()
    except OSError:
        pytest.skip("no /proc/self/maps here")
    lines = parse(text)
    p = mm.from_procmaps(text)
    assert p.map_count == len(lines) > 10
    res = mm.fork_and_exit(p, "7.0-recovery")
    assert res.outcomes == ["CLEAN"]
