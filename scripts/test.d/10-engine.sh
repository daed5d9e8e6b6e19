#!/usr/bin/env bash
# Before pytest (make test): build the Rasa engine env, validate the Rasa data and train the
# model when its inputs changed, so the engine-marked tests find everything ready.
set -euo pipefail
cd "$(dirname "$0")/../.."
export RASA_TELEMETRY_ENABLED=false
ENGINE_PY="$(bash scripts/engine_env.sh | tail -1)"
echo ">> rasa data validate"
if ! out="$("$(dirname "$ENGINE_PY")/rasa" data validate --fail-on-warnings --domain domain.yml \
        --data data/nlu.yml data/rules.yml 2>&1)"; then
    echo "$out" | grep -v -E "DeprecationWarning|MovedIn20Warning|declare_namespace|pkg_resources" >&2
    echo "rasa data validate failed" >&2
    exit 1
fi
bash scripts/train.sh >/dev/null
