# shellcheck shell=bash
# Idempotent set-up shared by `./mt lab`, `./mt test` and `./mt notebooks`.
#
# Sourced by ./mt (the functions below are not run on their own). Each step
# checks first and does nothing when its work is already done:
#
#   mt_python      find a Python >= 3.10 (PYTHON=/path overrides)
#   mt_venv        .venv/ with this package and its [dev] extras, installed
#                  with uv (itself pip-installed into the venv: one wheel),
#                  or with pip when uv cannot be had (or MT_NO_UV=1); redone only when
#                  pyproject.toml or the Python changes (.venv/.mt-stamp)
#   mt_dot         Graphviz `dot`: apt-get install graphviz when root,
#                  else stop with one line saying what to install
#   mt_chromium    Debian's chromium for the browser tests: apt-get install
#                  when root, else a note (those tests then skip)

MT_ROOT=${MT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
MT_VENV=${MT_VENV:-$MT_ROOT/.venv}
MT_PY=""
MT_APT_UPDATED=0

mt_say() { printf 'mt: %s\n' "$*" >&2; }
mt_die() { printf 'mt: %s\n' "$*" >&2; exit 1; }

mt_is_root() { [ "$(id -u)" = 0 ]; }
# An executable program of that name on PATH (bash's `command -v` alone also
# reports files without the execute bit).
mt_have() {
    local path
    path=$(command -v "$1" 2>/dev/null) || return 1
    case $path in /*) [ -x "$path" ] ;; *) return 0 ;; esac
}
mt_can_apt() { mt_is_root && mt_have apt-get; }

# apt-get install, running `apt-get update` at most once per run.
mt_apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    if [ "$MT_APT_UPDATED" = 0 ]; then
        mt_say "apt-get update"
        apt-get -o DPkg::Lock::Timeout=300 update -qq </dev/null >/dev/null || return 1
        MT_APT_UPDATED=1
    fi
    mt_say "apt-get install -y $*"
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$@" </dev/null >/dev/null
}

# Prints "X.Y" for a Python interpreter, or nothing.
mt_pyver() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

mt_pyok() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null
}

mt_python() {
    local cand found=""
    if [ -n "${PYTHON:-}" ]; then
        mt_have "$PYTHON" || [ -x "$PYTHON" ] || mt_die "PYTHON=$PYTHON is not a program."
        mt_pyok "$PYTHON" || mt_die "Python >= 3.10 is needed; PYTHON=$PYTHON is $(mt_pyver "$PYTHON" || echo 'not runnable')."
        MT_PY=$PYTHON
        return
    fi
    if ! mt_have python3 && mt_can_apt; then
        mt_apt_install python3 python3-venv || mt_die "apt-get install python3 python3-venv failed."
    fi
    for cand in python3 python3.13 python3.12 python3.11 python3.10; do
        if mt_have "$cand" && mt_pyok "$cand"; then found=$cand; break; fi
    done
    if [ -z "$found" ]; then
        if mt_have python3; then
            mt_die "Python >= 3.10 is needed but python3 is $(mt_pyver python3); install a newer one (e.g. apt-get install python3.11 python3.11-venv) or run with PYTHON=/path/to/python3.X."
        fi
        mt_die "Python >= 3.10 is needed and python3 was not found: apt-get install python3 python3-venv (Debian/Ubuntu) or conda install python=3.11."
    fi
    MT_PY=$(command -v "$found")
}

# What the installed environment was built from; a change reinstalls.
mt_stamp() {
    {
        "$MT_VENV/bin/python" -c 'import sys; print(sys.version)'
        cat "$MT_ROOT/pyproject.toml"
    } | cksum
}

mt_make_venv() {
    local ver
    ver=$(mt_pyver "$MT_PY")
    mt_say "creating .venv with $MT_PY (Python $ver)"
    if [ -e "$MT_VENV" ]; then
        rm -rf "$MT_VENV" 2>/dev/null || mt_die "cannot remove the broken $MT_VENV (owned by another user?); remove it and retry."
    fi
    if "$MT_PY" -m venv "$MT_VENV" >/dev/null 2>&1; then
        return
    fi
    rm -rf "$MT_VENV" 2>/dev/null || true
    # Debian/Ubuntu ship venv's pip bootstrap separately.
    if mt_can_apt; then
        mt_apt_install "python$ver-venv" || mt_apt_install python3-venv \
            || mt_die "could not install python$ver-venv."
        "$MT_PY" -m venv "$MT_VENV" || mt_die "python3 -m venv failed (see above)."
    else
        mt_die "python3 -m venv failed: install the venv module (sudo apt-get install python$ver-venv) and retry."
    fi
}

mt_venv() {
    local stamp start vpy=$MT_VENV/bin/python
    # An existing, working .venv on Python >= 3.10 is kept whichever python3
    # is on PATH now; only a change of pyproject.toml reinstalls into it.
    if [ -x "$vpy" ] && mt_pyok "$vpy"; then
        stamp=$(mt_stamp)
        if [ -f "$MT_VENV/.mt-stamp" ] && [ "$(cat "$MT_VENV/.mt-stamp")" = "$stamp" ] \
            && "$vpy" -c 'import mapletree' >/dev/null 2>&1; then
            return
        fi
    else
        mt_python
        mt_make_venv
    fi
    [ -w "$MT_VENV" ] || mt_die "$MT_VENV is not writable by $(id -un); run as its owner or remove it."
    start=$SECONDS
    rm -f "$MT_VENV/.mt-stamp"
    # uv resolves and installs the stack in seconds; pip takes minutes.
    if [ -n "${MT_NO_UV:-}" ]; then
        mt_say "MT_NO_UV is set: using pip"
    elif [ ! -x "$MT_VENV/bin/uv" ]; then
        mt_say "installing uv into .venv"
        "$vpy" -m pip install -q --disable-pip-version-check uv </dev/null >/dev/null 2>&1 \
            || mt_say "uv could not be installed; falling back to pip (slower)"
    fi
    if [ -z "${MT_NO_UV:-}" ] && [ -x "$MT_VENV/bin/uv" ]; then
        mt_say "installing mapletree[dev] into .venv with uv"
        if ! "$MT_VENV/bin/uv" pip install -q --python "$vpy" -e "$MT_ROOT[dev]" </dev/null; then
            mt_say "uv failed; falling back to pip (slower)"
            "$vpy" -m pip install -q --disable-pip-version-check -e "$MT_ROOT[dev]" </dev/null \
                || mt_die "pip install -e '.[dev]' failed (see above)."
        fi
        # rfc3987-syntax (pulled in via jupyter-events -> jsonschema[format-nongpl])
        # builds a grammar at import: ~3 s on every Jupyter start. Nothing here
        # needs it; jsonschema just skips the IRI format check without it.
        "$MT_VENV/bin/uv" pip uninstall -q --python "$vpy" rfc3987-syntax </dev/null >/dev/null 2>&1 || true
    else
        mt_say "installing mapletree[dev] into .venv with pip"
        "$vpy" -m pip install -q --disable-pip-version-check -e "$MT_ROOT[dev]" </dev/null \
            || mt_die "pip install -e '.[dev]' failed (see above)."
        "$vpy" -m pip uninstall -q -y rfc3987-syntax </dev/null >/dev/null 2>&1 || true
    fi
    mt_stamp >"$MT_VENV/.mt-stamp"
    mt_say "environment ready in $((SECONDS - start)) s"
}

mt_dot() {
    if mt_have dot; then return; fi
    if mt_can_apt; then
        mt_apt_install graphviz || mt_die "apt-get install graphviz failed (see above)."
        mt_have dot || mt_die "graphviz installed but 'dot' is still not on PATH."
        return
    fi
    mt_die "Graphviz 'dot' is missing: install it with 'sudo apt-get install graphviz' (Debian/Ubuntu) or 'conda install -c conda-forge graphviz python-graphviz' (conda), then retry."
}

# The browser tests' Chromium. Never fatal: without it those tests skip.
mt_chromium() {
    if [ -n "${MAPLETREE_CHROMIUM:-}" ] || mt_have chromium; then return; fi
    if mt_can_apt; then
        mt_apt_install chromium || true
    fi
    if ! mt_have chromium; then
        mt_say "note: Debian's chromium is not installed (apt-get install chromium); the browser tests will skip."
    fi
}
