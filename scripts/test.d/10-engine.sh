#!/usr/bin/env bash
# Before pytest (make test): build the Rasa engine env, validate the Rasa data and train the
# model when its inputs changed, so the engine-marked tests find everything ready.
set -euo pipefail
cd "$(dirname "$0")/../.."
export RASA_TELEMETRY_ENABLED=false
ENGINE_PY="$(bash scripts/engine_env.sh | tail -1)"
echo ">> rasa data validate"
# Warnings we accept (any other warning fails make test):
# - "The utterance 'utter_ask_pet_...' is not used in any story or rule": pet_form asks these
#   questions itself (utter_ask_<slot>); Rasa's validator does not count a form's asks as uses.
# - The same for the state machine's texts that the action server renders (flow.render): the
#   names written in actions/*.py. A response neither in a rule nor in that code fails.
RENDERED="$(grep -ohE "utter_[a-z_]+" actions/*.py | sort -u | paste -sd'|')"
ACCEPTED="The utterance '(utter_ask_pet_[a-z_]+|${RENDERED})' is not used in any story or rule\."
if ! out="$("$(dirname "$ENGINE_PY")/rasa" data validate --domain domain.yml \
        --data data/nlu.yml data/rules.yml 2>&1)"; then
    echo "$out" | grep -v -E "DeprecationWarning|MovedIn20Warning|declare_namespace|pkg_resources" >&2
    echo "rasa data validate failed" >&2
    exit 1
fi
NOISE="DeprecationWarning|MovedIn20Warning|declare_namespace|pkg_resources"
unexpected="$(echo "$out" | grep -v -E "$NOISE" | grep -E "UserWarning|WARNING" \
    | grep -v -E "$ACCEPTED" || true)"
if [ -n "$unexpected" ]; then
    echo "$unexpected" >&2
    echo "rasa data validate: warnings not accepted in scripts/test.d/10-engine.sh" >&2
    exit 1
fi
bash scripts/train.sh >/dev/null
