#!/usr/bin/env bash
# Start the Rasa engine on loopback (exec, so the caller's pid is the engine's).
#
#   scripts/run_engine.sh [extra `rasa run` args]
#
# Environment: RASA_PORT (default 5005), ACTION_SERVER_URL (default
# http://127.0.0.1:${ACTION_PORT:-5055}/webhook), PETBOT_MODEL (default: scripts/train.sh's model,
# trained if its inputs changed), REDIS_URL (when set: Redis tracker and lock stores through
# endpoints.redis.yml; otherwise in-process stores through endpoints.yml).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export RASA_TELEMETRY_ENABLED=false
ENGINE_PY="$(bash scripts/engine_env.sh | tail -1)"
MODEL="${PETBOT_MODEL:-$(bash scripts/train.sh | tail -1)}"
export ACTION_SERVER_URL="${ACTION_SERVER_URL:-http://127.0.0.1:${ACTION_PORT:-5055}/webhook}"
ENDPOINTS=endpoints.yml
if [ -n "${REDIS_URL:-}" ]; then
    eval "$("$ENGINE_PY" - <<'PY'
import os, shlex
from urllib.parse import urlparse
u = urlparse(os.environ["REDIS_URL"])
db = (u.path or "/0").strip("/") or "0"
for k, v in {"REDIS_HOST": u.hostname or "127.0.0.1", "REDIS_PORT": str(u.port or 6379),
             "REDIS_DB": db, "REDIS_PASSWORD": u.password or ""}.items():
    print(f"export {k}={shlex.quote(v)}")
PY
)"
    ENDPOINTS=endpoints.redis.yml
fi
# rasa run, through scripts/engine_boot.py (the action server's answers checked by a validator
# built once: see there).
exec "$ENGINE_PY" scripts/engine_boot.py run --enable-api -i 127.0.0.1 -p "${RASA_PORT:-5005}" \
    -m "$MODEL" --endpoints "$ENDPOINTS" "$@"
