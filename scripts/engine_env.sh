#!/usr/bin/env bash
# Build (once) the Rasa engine's Python 3.10 virtualenv and print its python.
#
# The venv lives in ${PETBOT_CACHE:-$HOME/.cache/petbot}/venv-engine-<hash>, keyed by the hash of
# scripts/engine-requirements.lock (every package pinned; made from engine-requirements.txt by
# scripts/lock.sh), so fresh clones reuse it; uv installs it. Python 3.10 is found from
# PETBOT_PYTHON310, python3.10 on PATH, or pyenv (3.10.13 or any 3.10.x).
# Usage: scripts/engine_env.sh                -> progress on stderr; the engine's python
#                                                ($VENV/bin/python) as the last line of stdout
#        scripts/engine_env.sh --find-python  -> only the Python 3.10 interpreter
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${PETBOT_CACHE:-$HOME/.cache/petbot}"
LOCK="$ROOT/scripts/engine-requirements.lock"
export RASA_TELEMETRY_ENABLED=false

is_py310() { [ -n "${1:-}" ] && [ -x "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

find_python310() {
    local cand
    if [ -n "${PETBOT_PYTHON310:-}" ]; then
        is_py310 "$PETBOT_PYTHON310" && { echo "$PETBOT_PYTHON310"; return; }
        echo "PETBOT_PYTHON310=$PETBOT_PYTHON310 is not a Python 3.10 interpreter" >&2
        return 1
    fi
    cand="$(command -v python3.10 2>/dev/null || true)"
    # pyenv shims exist even when the selected version lacks 3.10: resolve them.
    if [ -n "$cand" ] && is_py310 "$cand"; then
        if command -v pyenv >/dev/null 2>&1 && [[ "$cand" == *shims* ]]; then
            local real
            real="$(PYENV_VERSION="$(pyenv versions --bare | grep -E '^3\.10\.' | sort -V | tail -1)" pyenv which python3.10 2>/dev/null || true)"
            [ -n "$real" ] && is_py310 "$real" && cand="$real"
        fi
        echo "$cand"; return
    fi
    if command -v pyenv >/dev/null 2>&1; then
        local prefix ver
        prefix="$(pyenv prefix 3.10.13 2>/dev/null || true)"
        if [ -n "$prefix" ] && is_py310 "$prefix/bin/python3.10"; then echo "$prefix/bin/python3.10"; return; fi
        for ver in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10\.[0-9]+$' | sort -rV); do
            prefix="$(pyenv prefix "$ver" 2>/dev/null || true)"
            if [ -n "$prefix" ] && is_py310 "$prefix/bin/python3.10"; then echo "$prefix/bin/python3.10"; return; fi
        done
    fi
    for cand in /usr/bin/python3.10 /usr/local/bin/python3.10; do
        is_py310 "$cand" && { echo "$cand"; return; }
    done
    cat >&2 <<'MSG'
Python 3.10 was not found, and the Rasa engine (rasa 3.6.21) needs it (it supports 3.8-3.10 only).
Install it (e.g. `pyenv install 3.10.13`, or `apt-get install python3.10 python3.10-venv`)
or point PETBOT_PYTHON310 at a Python 3.10 interpreter.
MSG
    return 1
}

if [ "${1:-}" = "--find-python" ]; then
    find_python310
    exit
fi

HASH="$( (cat "$LOCK"; echo "py310-uv") | sha256sum | cut -c1-12)"
VENV="$CACHE/venv-engine-$HASH"

# One builder at a time: a second clone (or a test fixture) waits here instead of deleting the
# environment another process is still installing.
mkdir -p "$CACHE"
exec 9>"$CACHE/.engine-env.lock"
flock 9

if [ ! -x "$VENV/bin/rasa" ] || [ ! -f "$VENV/.complete" ]; then
    PY="$(find_python310)"
    UV="$(bash "$ROOT/scripts/uv.sh")"
    export UV_CACHE_DIR="${UV_CACHE_DIR:-$CACHE/uv-cache}"
    echo ">> building the Rasa engine environment in $VENV (Python: $PY); first time only, 1-2 minutes" >&2
    rm -rf "$VENV"
    "$UV" venv --quiet --python "$PY" "$VENV" >&2
    "$UV" pip sync --quiet --python "$VENV/bin/python" "$LOCK" >&2
    "$VENV/bin/python" -c 'import rasa, sys; print(">> rasa", rasa.__version__, "on Python", sys.version.split()[0])' >&2
    touch "$VENV/.complete"
fi

echo "$VENV/bin/python"
