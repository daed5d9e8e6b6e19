#!/usr/bin/env bash
# Build (or reuse) the app environment: Python 3.11 with our package and its dev tools.
# The virtualenv lives in a per-user cache keyed by the hash of pyproject.toml, so a fresh
# clone reuses it; `.venv` in the repository is a symlink to it.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${PETBOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/petbot}"
mkdir -p "$CACHE"

find_python311() {
    for cand in "${PETBOT_PYTHON:-}" python3.11 python3; do
        [ -n "$cand" ] || continue
        if command -v "$cand" >/dev/null 2>&1 &&
            "$cand" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)' 2>/dev/null; then
            command -v "$cand"; return 0
        fi
    done
    if command -v pyenv >/dev/null 2>&1; then
        for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[1-9])' | sort -rV); do
            p="$(pyenv prefix "$v")/bin/python3"; [ -x "$p" ] && { echo "$p"; return 0; }
        done
    fi
    return 1
}

# pip's output minus the noise of find-links folders this machine's pip config names but lacks.
quiet_pip() {
    "$@" 2>&1 | { grep -v -e "^WARNING: Location '" || true; }
}

PY="$(find_python311)" || { echo "Python >= 3.11 not found (set PETBOT_PYTHON)." >&2; exit 1; }
HASH="$( (cat pyproject.toml; "$PY" -V) | sha256sum | cut -c1-12)"
VENV="$CACHE/venv-app-$HASH"

# One builder at a time (two clones set up at once must not delete each other's install).
exec 9>"$CACHE/.app-env.lock"
flock 9

if [ ! -x "$VENV/bin/python" ] || [ ! -f "$VENV/.complete" ]; then
    echo ">> building the app environment in $VENV"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    quiet_pip "$VENV/bin/pip" install -q --upgrade pip
    quiet_pip "$VENV/bin/pip" install -q -e ".[dev]"
    touch "$VENV/.complete"
else
    # The editable install must point at this clone (a fresh clone has another path); check from
    # another folder so the current directory does not mask where the package really resolves.
    here="$(pwd -P)"
    # A clone that has since been deleted leaves the package unimportable: re-point then too.
    there="$(cd / && "$VENV/bin/python" -c \
        'import pathlib, scheduler_core; print(pathlib.Path(scheduler_core.__file__).resolve().parent.parent)' \
        2>/dev/null || true)"
    if [ "$there" != "$here" ]; then
        echo ">> pointing the app environment at $here"
        quiet_pip "$VENV/bin/pip" install -q --no-deps -e .
    fi
fi
ln -sfn "$VENV" .venv
