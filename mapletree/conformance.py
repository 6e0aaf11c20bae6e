"""Replay golden cases recorded from the real Linux 6.12 maple tree.

``python -m mapletree conformance PATH...`` replays case files (JSON, or
JSON compressed with gzip/xz) or folders of them, and prints, per failing case,
the first step and field that differ, then ``N passed, M failed``.
"""

import argparse
import gzip
import json
import lzma
import os
import sys

from .core.alloc import GFP_KERNEL, GFP_NOWAIT
from .core.constants import ENOMEM, EINVAL
from .core.dump import entry_to_json, ranges_sha1, tree_sha1, tree_to_dict
from .core.dup import mt_destroy, mt_dup
from .core.entries import XA_ZERO_ENTRY
from .core.errors import DumpFormatError, FlagsMismatchError, MapleError, NoMemoryError
from .core.alloc import NodeAllocator
from .core.mas import MaState
from .core.store import mas_store, mas_store_gfp
from .core.tree import MapleTree

COMPARED = ("ret", "store_type", "allocated", "freed", "nodes", "height",
            "tree_sha1", "ranges_sha1")


class CaseError(DumpFormatError):
    """A case file is malformed."""


def load_case(path):
    """Read one case file (.json, .json.gz, .json.xz)."""
    opener = gzip.open if path.endswith(".gz") else lzma.open if path.endswith(".xz") else open
    try:
        with opener(path, "rt") as f:
            data = json.load(f)
    except (OSError, ValueError, EOFError, lzma.LZMAError) as exc:
        raise CaseError(f"{path}: cannot read a JSON case: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("ops"), list) \
            or not isinstance(data.get("steps"), list):
        raise CaseError(f"{path}: a case needs 'ops' and 'steps' lists")
    if len(data["ops"]) != len(data["steps"]):
        raise CaseError(f"{path}: {len(data['ops'])} ops but {len(data['steps'])} steps")
    return data


class Replayer:
    """Runs ops against up to eight trees sharing one allocator."""

    def __init__(self):
        self.alloc = NodeAllocator()
        self.trees = {}

    def tree(self, op, key="tree"):
        t = op.get(key)
        if t not in self.trees:
            raise CaseError(f"op {op.get('op')!r}: tree {t!r} was not init-ed")
        return self.trees[t]

    def run(self, op):
        """Execute one op; returns the step record the model produces."""
        name = op.get("op")
        a = self.alloc
        before_alloc, before_freed = a.allocated, a.freed
        fail = op.get("fail")
        gfp = GFP_NOWAIT if op.get("gfp") == "nowait" else GFP_KERNEL
        if fail:
            a.arm(fail.get("mode"), fail.get("n"), fail.get("cap", 1000))
        rec = {"op": name}
        try:
            ret, store_type, primary, touched = self._do(name, op, gfp)
        finally:
            a.disarm()
        rec["ret"] = ret
        if store_type is not None:
            rec["store_type"] = store_type
        rec["allocated"] = a.allocated - before_alloc
        rec["freed"] = a.freed - before_freed
        rec["nodes"] = {str(k): self.trees[k].node_count() for k in touched}
        if primary is not None:
            rec["height"] = self.trees[primary].height
            rec["tree_sha1"] = tree_sha1(self.trees[primary])
            rec["ranges_sha1"] = ranges_sha1(self.trees[primary])
            rec["_tree"] = self.trees[primary]
        if name in ("dup", "mtree_dup"):
            rec["src_tree_sha1"] = tree_sha1(self.trees[op["src"]])
        return rec

    def _do(self, name, op, gfp):
        if name == "init":
            t = op.get("tree")
            self.trees[t] = MapleTree(op.get("flags", 0), self.alloc)
            return 0, None, t, [t]
        if name in ("dup", "mtree_dup"):
            src, dst = op["src"], op["dst"]
            try:
                mt_dup(self.trees[src], self.trees[dst], gfp)
                ret = 0
            except NoMemoryError:
                ret = -ENOMEM
            except FlagsMismatchError:
                ret = -EINVAL
            return ret, None, dst, [src, dst]
        tid = op.get("tree")
        t = self.tree(op)
        if name == "destroy":
            mt_destroy(t)
            return 0, None, tid, [tid]
        if name == "rcu_on":
            t.set_rcu(True)
            return 0, None, tid, [tid]
        if name == "rcu_off":
            t.set_rcu(False)
            return 0, None, tid, [tid]
        if name == "dump":
            return 0, None, tid, [tid]
        if name == "load":
            return entry_to_json(t.load(op["index"])), None, tid, [tid]
        if name in ("store", "store_null"):
            value = op.get("value") if name == "store" else None
            ret = _errno_of(t.store_range, op["first"], op["last"], value, gfp)
            return ret, t.last_store_type, tid, [tid]
        if name == "insert":
            ret = _errno_of(t.insert_range, op["first"], op["last"], op.get("value"), gfp)
            return ret, t.last_store_type, tid, [tid]
        if name == "erase":
            try:
                old = t.erase(op["index"], gfp)
            except NoMemoryError as exc:
                old = exc.entry
            return entry_to_json(old), t.last_store_type, tid, [tid]
        if name in ("clear", "mas_store"):
            mas = MaState(t, op["first"], op["last"])
            ret = mas_store_gfp(mas, op.get("value") if name == "mas_store" else None, gfp)
            return ret, mas.store_type, tid, [tid]
        if name == "zero":
            mas = MaState(t, op["first"], op["last"])
            _old, err = mas_store(mas, XA_ZERO_ENTRY)
            return err, mas.store_type, tid, [tid]
        if name == "fork_walk":
            return self._fork_walk(t, op), None, tid, [tid]
        raise CaseError(f"unknown op {name!r}")

    def _fork_walk(self, t, op):
        """The maple-tree calls of dup_mmap()'s loop (see the conformance README), made
        through one maple state as the kernel's VMA iterator does."""
        from .core.state import MapleState
        offset = op.get("offset", 0)
        fail_value = op.get("fail_value")
        dontcopy = set(op.get("dontcopy") or [])
        was_rcu = t.in_rcu
        t.set_rcu(False)
        vmi = MapleState(t, 0, 0)
        ret = 0
        while True:
            entry = vmi.find()
            if entry is None:
                break
            first, last = vmi.index, vmi.last
            if entry in dontcopy and entry != fail_value:
                ret = _errno_of(vmi.store_gfp, None)          # vma_iter_clear_gfp()
                if not ret:
                    continue
            elif entry != fail_value:
                _errno_of(vmi.store, entry + offset)          # vma_iter_bulk_store()
                continue
            else:
                ret = -ENOMEM
            vmi.set_range(first, last)                        # the failure marker
            _errno_of(vmi.store, XA_ZERO_ENTRY)
            break
        if ret == 0 and was_rcu:
            t.set_rcu(True)
        return ret


def _errno_of(call, *args):
    """0, or the negated errno of the MapleError the call raised."""
    try:
        call(*args)
        return 0
    except MapleError as exc:
        return -exc.errno


def compare(step, got, deep=True):
    """First differing field between a golden step and the model's, or None."""
    for key in COMPARED:
        if key not in step:
            continue
        if key == "store_type" and key not in got:
            continue
        if step[key] != got.get(key):
            return key, step[key], got.get(key)
    if deep and "tree" in step:
        mine = tree_to_dict(got["_tree"])
        if mine != step["tree"]:
            return "tree", "(golden dump)", "(differs)"
    if "src_tree_sha1" in step and step["src_tree_sha1"] != got.get("src_tree_sha1"):
        return "src_tree_sha1", step["src_tree_sha1"], got.get("src_tree_sha1")
    return None


def run_case(data, validate=False):
    """Replay one case; returns None on success or (step number, op, field, want, got)."""
    rp = Replayer()
    for i, (op, step) in enumerate(zip(data["ops"], data["steps"])):
        try:
            got = rp.run(op)
        except CaseError:
            raise
        except Exception as exc:  # a model bug: report, do not crash the run
            return i, op, "exception", "-", f"{type(exc).__name__}: {exc}"
        diff = compare(step, got)
        if diff:
            return (i, op) + diff
        if validate:
            for t in rp.trees.values():
                t.validate()
    return None


def iter_case_files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _dirs, files in os.walk(p):
                for f in sorted(files):
                    if f.endswith((".json", ".json.gz", ".json.xz")) and f not in (
                            "index.json", "costs.json"):
                        yield os.path.join(root, f)
        elif os.path.exists(p):
            yield p
        else:
            raise CaseError(f"{p}: no such file or folder")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m mapletree conformance",
                                 description="Replay golden cases recorded from Linux 6.12.117.")
    ap.add_argument("paths", nargs="+", help="case files or folders")
    ap.add_argument("--validate", action="store_true", help="also run validate() after every op")
    ap.add_argument("-q", "--quiet", action="store_true", help="only the summary line")
    args = ap.parse_args(argv)
    passed = failed = 0
    try:
        files = sorted(set(iter_case_files(args.paths)))
    except CaseError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 2
    for path in files:
        try:
            data = load_case(path)
            res = run_case(data, args.validate)
        except CaseError as exc:
            print(f"FAIL {path}: {exc}")
            failed += 1
            continue
        if res is None:
            passed += 1
        else:
            failed += 1
            i, op, field, want, got = res
            if not args.quiet:
                print(f"FAIL {path}: step {i} ({json.dumps(op)}): {field}: "
                      f"expected {want!r}, got {got!r}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
