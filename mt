#!/usr/bin/env bash
# mt: set up and run mapletree. `make lab` / `make test` call this; it works
# the same without make (`./mt lab`, `./mt test`).
#
#   ./mt lab [jupyter lab args]   set up, then open the notebooks in JupyterLab
#   ./mt test [pytest args]       set up, then run every test (unit, notebooks
#                                 with nbval, browser); with args: just those
#   ./mt notebooks [NB.ipynb...]  re-execute notebooks and store canonical outputs
#   ./mt setup                    only the set-up steps (add --browser for chromium)
#
# Set-up is idempotent: .venv/ (uv, or pip as a fallback), Graphviz `dot` and,
# for tests, Debian's chromium (both via apt-get when run as root).
set -euo pipefail

MT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$MT_ROOT"
# shellcheck source=scripts/setup.sh
. "$MT_ROOT/scripts/setup.sh"

usage() {
    sed -n '2,12p' "$MT_ROOT/mt" | sed 's/^# \{0,1\}//'
}

cmd=${1:-help}
[ $# -gt 0 ] && shift

case $cmd in
    lab)
        mt_dot
        mt_venv
        lab_args=(--ServerApp.root_dir="$MT_ROOT" --LabApp.default_url=/lab/tree/notebooks)
        mt_is_root && lab_args+=(--allow-root)
        mt_say "starting JupyterLab (Ctrl-C twice to stop)"
        exec "$MT_VENV/bin/jupyter" lab "${lab_args[@]}" "$@"
        ;;
    test)
        mt_dot
        mt_venv
        mt_chromium
        # Same str hashes in every run, so printed sets match stored outputs.
        export PYTHONHASHSEED=0
        if [ $# -eq 0 ]; then
            # --durations: the slowest tests, at the end of every full run.
            set -- --durations=15 tests
            if compgen -G "notebooks/*.ipynb" >/dev/null; then
                set -- "$@" --nbval notebooks
            fi
        fi
        rc=0
        "$MT_VENV/bin/python" -m pytest "$@" || rc=$?
        if [ "$rc" = 5 ]; then
            mt_say "pytest collected no tests (exit 5): nothing matched; treating as success."
            rc=0
        fi
        exit "$rc"
        ;;
    notebooks)
        mt_dot
        mt_venv
        export PYTHONHASHSEED=0
        exec "$MT_VENV/bin/python" "$MT_ROOT/tools/regen_notebooks.py" "$@"
        ;;
    setup)
        mt_dot
        mt_venv
        if [ "${1:-}" = --browser ]; then mt_chromium; fi
        mt_say "ready: $MT_VENV"
        ;;
    help | -h | --help)
        usage
        ;;
    *)
        usage >&2
        mt_die "unknown command '$cmd'"
        ;;
esac
