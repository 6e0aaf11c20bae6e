"""Session-wide checks for the whole suite.

Graphviz's ``dot`` program is needed by every diagram, so a machine without it
stops the run at once with the install commands, instead of failing dozens of
tests (or notebook cells) with ``ExecutableNotFound``. ``make test`` installs it
by itself when it runs as root on Debian/Ubuntu.
"""

import os
import shutil

import pytest

DOT_HINT = (
    "Graphviz 'dot' was not found on PATH; the diagrams need it. Install it with one of:\n"
    "  Debian/Ubuntu:  sudo apt-get install -y graphviz\n"
    "  conda:          conda install -c conda-forge graphviz python-graphviz\n"
    "  pip only:       pip install graphviz-pure && ln -s \"$(command -v graphviz-pure)\" \"$VIRTUAL_ENV/bin/dot\"\n"
    "(`make test` does the apt step itself when run as root.)"
)

# Same str hashes in the kernels nbval and the browser tests start, so printed
# sets come out in the order the stored outputs have.
os.environ.setdefault("PYTHONHASHSEED", "0")


def pytest_sessionstart(session):
    if shutil.which("dot") is None:
        pytest.exit(DOT_HINT, returncode=1)
