"""Replay the golden cases recorded from the real Linux 6.12.117 maple tree.

Every step's ret, store type, allocation counts, node counts, height and both
hashes (and full dumps where present) must match, and validate() must pass
after every operation.
"""

import glob
import os
import subprocess
import sys

import pytest

from mapletree.conformance import load_case, run_case

HERE = os.path.dirname(__file__)
VECTORS = os.path.join(HERE, "..", "conformance", "vectors")
CASES = sorted(glob.glob(os.path.join(VECTORS, "*", "*.json.xz")))


def test_vectors_are_present():
    kinds = {os.path.basename(os.path.dirname(p)) for p in CASES}
    assert kinds == {"hand", "failure", "public"}
    assert len([p for p in CASES if "/hand/" in p]) == 36
    assert len([p for p in CASES if "/failure/" in p]) == 21
    assert len([p for p in CASES if "/public/" in p]) == 50


@pytest.mark.parametrize("path", CASES, ids=lambda p: "/".join(p.split(os.sep)[-2:]))
def test_golden_case(path):
    assert run_case(load_case(path), validate=True) is None


def test_cli_prints_summary_line():
    hand = os.path.join(VECTORS, "failure")
    out = subprocess.run([sys.executable, "-m", "mapletree", "conformance", hand],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1] == "21 passed, 0 failed"


def test_cli_reports_first_differing_field(tmp_path):
    import json
    import lzma
    src = os.path.join(VECTORS, "hand", "exact_fit.json.xz")
    data = json.loads(lzma.open(src, "rt").read())
    data["steps"][2]["allocated"] += 1
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(data))
    out = subprocess.run([sys.executable, "-m", "mapletree", "conformance", str(bad)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 1
    assert "step 2" in out.stdout and "allocated" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "0 passed, 1 failed"


def test_cli_rejects_malformed_case(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{\"ops\": [1], \"steps\": []}")
    out = subprocess.run([sys.executable, "-m", "mapletree", "conformance", str(bad)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 1
    assert "1 ops but 0 steps" in out.stdout
