import json
import os
import shutil

import pytest

CONF = os.environ.get("MAPLETREE_CONFORMANCE", "/work/shared/conformance")


@pytest.fixture(autouse=True)
def _need_dot():
    """The visual layer needs Graphviz: fail (not skip) with the install hint."""
    if shutil.which("dot") is None:
        pytest.fail("Graphviz 'dot' not found on PATH. Install it: apt-get install -y graphviz"
                    " | conda install -c conda-forge graphviz python-graphviz"
                    " | pip install graphviz-pure && ln -s $(command -v graphviz-pure) "
                    "$VIRTUAL_ENV/bin/dot")


@pytest.fixture
def golden():
    def load(name):
        path = os.path.join(CONF, "hand", name + ".json")
        if not os.path.exists(path):
            pytest.skip(f"golden case {name} not available at {path}")
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    return load
