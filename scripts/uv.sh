#!/usr/bin/env bash
# Print the path of a pinned uv (https://docs.astral.sh/uv/), installing it once from PyPI into
# ${PETBOT_CACHE:-~/.cache/petbot}/uv-<version> with the machine's Python. uv builds both virtual
# environments (from uv.lock and scripts/engine-requirements.lock) far faster than pip.
set -euo pipefail
UV_VERSION=0.13.9
CACHE="${PETBOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/petbot}"
HOME_UV="$CACHE/uv-$UV_VERSION"
mkdir -p "$CACHE"
exec 7>"$CACHE/.uv.lock"
flock 7
if [ ! -x "$HOME_UV/bin/uv" ] || [ ! -f "$HOME_UV/.complete" ]; then
    PY="$(command -v python3 || command -v python)"
    echo ">> installing uv $UV_VERSION into $HOME_UV" >&2
    rm -rf "$HOME_UV"
    "$PY" -m venv "$HOME_UV"
    "$HOME_UV/bin/pip" install -q "uv==$UV_VERSION" 2>&1 | { grep -v -e "^WARNING: Location '" || true; } >&2
    touch "$HOME_UV/.complete"
fi
echo "$HOME_UV/bin/uv"
