#!/usr/bin/env bash
# Train the Rasa model only when its inputs changed; print the model path as the last stdout line.
#
# Inputs hashed: config.yml, domain.yml (or domain/), data/ (nlu, rules, stories; not data/tests)
# and the engine requirements. The model is cached as $PETBOT_CACHE/models/<hash>.tar.gz (survives
# fresh clones) and copied to models/<hash>.tar.gz. Progress goes to stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
CACHE="${PETBOT_CACHE:-$HOME/.cache/petbot}"
export RASA_TELEMETRY_ENABLED=false

ENGINE_PY="$(bash scripts/engine_env.sh | tail -1)"
RASA="$(dirname "$ENGINE_PY")/rasa"

inputs() {
    { ls config.yml; [ -f domain.yml ] && ls domain.yml; [ -d domain ] && find domain -type f;
      find data -type f -not -path 'data/tests/*'; echo scripts/engine-requirements.lock; } | LC_ALL=C sort
}
HASH="$(inputs | while read -r f; do echo "== $f"; cat "$f"; done | sha256sum | cut -c1-16)"
CACHED="$CACHE/models/$HASH.tar.gz"
mkdir -p "$CACHE/models" models

# One trainer per model at a time; a second caller waits and then reuses the cached model.
exec 8>"$CACHE/models/.train-$HASH.lock"
flock 8

if [ ! -f "$CACHED" ]; then
    echo ">> training the Rasa model ($HASH): inputs changed; about 1-3 minutes" >&2
    start=$(date +%s)
    tmpdir="$(mktemp -d)"
    mapfile -t DATA < <(find data -type f \( -name '*.yml' -o -name '*.yaml' \) -not -path 'data/tests/*' | LC_ALL=C sort)
    "$RASA" train --fixed-model-name "$HASH" --out "$tmpdir" \
        --domain "$( [ -d domain ] && echo domain || echo domain.yml )" \
        --config config.yml --data "${DATA[@]}" 1>&2
    mv "$tmpdir/$HASH.tar.gz" "$CACHED.part" && mv "$CACHED.part" "$CACHED"
    rm -rf "$tmpdir"
    echo ">> trained in $(( $(date +%s) - start )) s" >&2
else
    echo ">> model up to date ($HASH)" >&2
fi
if [ ! -f "models/$HASH.tar.gz" ]; then
    cp "$CACHED" "models/$HASH.tar.gz"
    # Keep only the current model in the checkout.
    find models -name '*.tar.gz' ! -name "$HASH.tar.gz" -delete
fi
echo "$ROOT/models/$HASH.tar.gz"
