#!/usr/bin/env bash
# Command 2: set up what is missing, then lint and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh
if ! command -v chromium >/dev/null 2>&1; then
    echo ">> installing Debian's chromium for the browser tests"
    (apt-get update -q && apt-get install -y -q chromium) >/dev/null
fi
for hook in scripts/test.d/*.sh; do
    [ -e "$hook" ] && bash "$hook"
done

.venv/bin/ruff check .
.venv/bin/lint-imports
# Two workers (pytest-xdist); each starts its own Rasa engine for the engine tests it draws
# (tests/conftest.py). PETBOT_TEST_WORKERS=0 runs everything in this process.
.venv/bin/python -m pytest -p no:cacheprovider -n "${PETBOT_TEST_WORKERS:-2}" --dist load "$@"
