"""``GET /healthz``: can this product answer tutors right now?

It looks at what a reply needs and reports each part with its state and latency::

    {"status": "ok" | "down",
     "checks": {"database": {"status": "ok", "latency_ms": 0.8},
                "engine":   {"status": "ok", "latency_ms": 4.1},        # RASA_URL/status
                "actions":  {"status": "down", "latency_ms": 1000.2,    # ACTION_PORT/health
                             "error": "tempo esgotado"},
                "redis":    {"status": "ok", "latency_ms": 0.3}}}       # only with REDIS_URL

Decisions:

- HTTP 200 when every check is ``ok`` or ``disabled``, 503 otherwise. Every part listed is
  needed for replies: the database (everything), the engine and the action server (every
  answer), Redis when configured (the engine's tracker and lock stores live there).
- Without the engine (``PETBOT_NO_ENGINE``: panel, API and simulator only) the engine and the
  action server are ``disabled`` and do not count: that product is healthy at 200.
- Cheap and safe to leave unauthenticated: a read-only ``SELECT 1``, one GET to each local
  server and a Redis PING, all at once with a 1 s time-out each; one probe at a time and its
  result reused for :data:`CACHE_S`, so a flood of health requests costs the dependencies
  nothing more. No URL, host, user or exception text in the answer (a database URL may hold a
  password): errors are short pt-BR categories.
- Codes (``ok``, ``down``, ``disabled``) are English like the REST API's error codes; the
  explanations are pt-BR.
- For monitoring and ``scripts/run.py``'s readiness wait. A load balancer should not take app
  workers out on a 503: the webhook still acknowledges and stores messages while the engine is
  down (they would all go out together, as the dependencies are shared).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import redis.exceptions as redis_errors
from aiohttp import web
from sqlalchemy import text

from app.keys import DB, SETTINGS

TIMEOUT_S = 1.0
CACHE_S = 1.0
OK, DOWN, DISABLED = "ok", "down", "disabled"


class Health:
    """The probes of one app, their cached last answer and the HTTP client they share."""

    def __init__(self, app: web.Application, cache_s: float = CACHE_S) -> None:
        self.app = app
        self.cache_s = cache_s
        self._last: tuple[float, dict[str, Any]] | None = None
        self._running: asyncio.Task | None = None
        self._http: aiohttp.ClientSession | None = None
        self._redis = None

    async def report(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        if self._last and loop.time() - self._last[0] < self.cache_s:
            return self._last[1]
        if self._running is None or self._running.done():
            self._running = loop.create_task(self._probe())
        result = await asyncio.shield(self._running)
        self._last = (loop.time(), result)
        return result

    async def _probe(self) -> dict[str, Any]:
        settings = self.app[SETTINGS]
        probes: dict[str, Callable[[], Awaitable[None]] | None] = {"database": self._database}
        if settings.engine_enabled:
            probes["engine"] = lambda: self._get(settings.rasa_url.rstrip("/") + "/status")
            probes["actions"] = lambda: self._get(
                f"http://127.0.0.1:{settings.action_port}/health")
        else:
            probes["engine"] = probes["actions"] = None
        if settings.redis_url:
            probes["redis"] = self._redis_ping
        names = list(probes)
        results = await asyncio.gather(*(_timed(probes[n]) for n in names))
        checks = dict(zip(names, results, strict=True))
        healthy = all(c["status"] != DOWN for c in checks.values())
        return {"status": OK if healthy else DOWN, "checks": checks}

    async def _database(self) -> None:
        def select_one() -> None:
            with self.app[DB].connect() as conn:
                conn.execute(text("SELECT 1"))

        await asyncio.to_thread(select_one)

    async def _get(self, url: str) -> None:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))
        async with self._http.get(url, allow_redirects=False) as resp:
            await resp.read()
            if resp.status != 200:
                raise _Refused(f"respondeu HTTP {resp.status}")

    async def _redis_ping(self) -> None:
        if self._redis is None:
            import redis.asyncio as aioredis

            self._redis = aioredis.from_url(
                self.app[SETTINGS].redis_url, socket_timeout=TIMEOUT_S,
                socket_connect_timeout=TIMEOUT_S,
            )
        await self._redis.ping()

    async def close(self) -> None:
        if self._running is not None:
            self._running.cancel()
        if self._http is not None:
            await self._http.close()
        if self._redis is not None:
            await self._redis.aclose()


class _Refused(Exception):
    """The dependency answered, but not "healthy"; the message is the pt-BR reason."""


async def _timed(probe: Callable[[], Awaitable[None]] | None) -> dict[str, Any]:
    if probe is None:
        return {"status": DISABLED}
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe(), TIMEOUT_S)
    except Exception as exc:  # any failure is "down", reported by category
        return {"status": DOWN, "latency_ms": _ms(started), "error": _reason(exc)}
    return {"status": OK, "latency_ms": _ms(started)}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _reason(exc: Exception) -> str:
    """A short pt-BR reason that never carries a URL, a host or a password."""
    if isinstance(exc, _Refused):
        return str(exc)
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "tempo esgotado"
    if isinstance(exc, aiohttp.ClientConnectionError | ConnectionError | OSError
                  | redis_errors.ConnectionError):
        return "sem conexão"
    return f"erro ({type(exc).__name__})"


HEALTH = web.AppKey("health", Health)


async def healthz(request: web.Request) -> web.Response:
    report = await request.app[HEALTH].report()
    return web.json_response(
        report, status=200 if report["status"] == OK else 503,
        headers={"Cache-Control": "no-store"},
    )


def setup(app: web.Application) -> None:
    """Register ``GET /healthz``."""
    app[HEALTH] = Health(app)

    async def _close(app: web.Application) -> None:
        await app[HEALTH].close()

    app.on_cleanup.append(_close)
    app.router.add_get("/healthz", healthz)


__all__ = ["CACHE_S", "HEALTH", "Health", "healthz", "setup"]
