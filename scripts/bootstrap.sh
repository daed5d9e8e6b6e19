#!/usr/bin/env bash
# Build (or bring up to date) this clone's app environment: Python >= 3.11, our package (editable)
# and its dev tools, exactly as pinned in uv.lock.
#
# `.venv` belongs to this clone alone, so two clones never import each other's code. uv keeps its
# downloads in ${PETBOT_CACHE:-~/.cache/petbot}/uv-cache and links them into `.venv`: a fresh clone
# on a machine that has built once takes a few seconds. After changing dependencies in
# pyproject.toml, run `scripts/lock.sh` and commit uv.lock.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${PETBOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/petbot}"
export UV_CACHE_DIR="${UV_CACHE_DIR:-$CACHE/uv-cache}"

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

PY="$(find_python311)" || { echo "Python >= 3.11 not found (set PETBOT_PYTHON)." >&2; exit 1; }
UV="$(bash scripts/uv.sh)"
# Earlier set-ups linked `.venv` to one environment shared by every clone: replace the link.
[ -L .venv ] && rm .venv
"$UV" sync --quiet --frozen --extra dev --python "$PY"
