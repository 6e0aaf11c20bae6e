import json
import os
import shutil

import pytest

CONF = os.environ.get("MAPLETREE_CONFORMANCE", "/work/shared/conformance")


def pytest_collection_modifyitems(config, items):
    if shutil.which("dot") is None:
        pytest.exit("Graphviz 'dot' not found on PATH. Install it: apt-get install -y graphviz",
                    returncode=1)


@pytest.fixture
def golden():
    def load(name):
        path = os.path.join(CONF, "hand", name + ".json")
        if not os.path.exists(path):
            pytest.skip(f"golden case {name} not available at {path}")
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    return load
