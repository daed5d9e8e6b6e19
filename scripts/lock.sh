#!/usr/bin/env bash
# Re-resolve both lock files after a dependency change: uv.lock (the app, from pyproject.toml) and
# scripts/engine-requirements.lock (the Rasa engine on Python 3.10, from
# scripts/engine-requirements.txt). Commit both.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="$(bash scripts/uv.sh)"
"$UV" lock
PY310="$(bash scripts/engine_env.sh --find-python)"
"$UV" pip compile --quiet scripts/engine-requirements.txt --python "$PY310" \
    --custom-compile-command scripts/lock.sh -o scripts/engine-requirements.lock
