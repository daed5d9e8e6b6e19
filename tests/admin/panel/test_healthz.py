"""``GET /healthz`` reports the database, the engine, the action server and Redis.

The engine and the action server are small local HTTP servers of the test that answer like
Rasa's ``/status`` and rasa_sdk's ``/health``, and can be stopped, broken or slowed down.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web

from app.server import create_app
from scheduler_core.kernel import settings as settings_mod
from tests.actions.engine import REDIS_URL

from .conftest import make_settings

ROOT = Path(__file__).resolve().parents[3]


class FakeServer:
    """Answers ``path`` with 200, ``status`` or after ``delay`` seconds; counts the calls."""

    def __init__(self, path: str) -> None:
        self.path, self.status, self.delay, self.calls = path, 200, 0.0, 0
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> FakeServer:
        async def handler(request: web.Request) -> web.Response:
            self.calls += 1
            if self.delay:
                await asyncio.sleep(self.delay)
            return web.json_response({"status": "ok"}, status=self.status)

        app = web.Application()
        app.router.add_get(self.path, handler)
        self.runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        await self.runner.cleanup()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def deps():
    engine = await FakeServer("/status").start()
    actions = await FakeServer("/health").start()
    yield engine, actions
    await engine.stop()
    await actions.stop()


@pytest.fixture
def health_client(panel_db, aiohttp_client, deps):
    """A factory: the whole app wired to the fake engine / action server, plus overrides."""
    db_engine, url, _ = panel_db
    engine, actions = deps

    async def make(**overrides):
        settings = dataclasses.replace(
            make_settings(url), rasa_url=f"http://127.0.0.1:{engine.port}",
            action_port=actions.port, **overrides)
        return await aiohttp_client(create_app(settings, db_engine))

    return make


async def _health(client) -> tuple[int, dict]:
    response = await client.get("/healthz")
    return response.status, await response.json()


async def test_all_up_is_200_with_each_part_and_its_latency(health_client):
    client = await health_client(redis_url=REDIS_URL)
    status, body = await _health(client)
    assert status == 200 and body["status"] == "ok"
    assert set(body["checks"]) == {"database", "engine", "actions", "redis"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert 0 <= check["latency_ms"] < 1000
    # A monitor or a proxy must never be shown a stale answer.
    assert (await client.get("/healthz")).headers["Cache-Control"] == "no-store"


async def test_redis_is_not_reported_when_not_configured(health_client):
    status, body = await _health(await health_client())
    assert status == 200 and set(body["checks"]) == {"database", "engine", "actions"}


async def test_engine_down_is_503_and_says_which_part(health_client, deps):
    engine, _ = deps
    client = await health_client()
    await engine.stop()
    status, body = await _health(client)
    assert status == 503 and body["status"] == "down"
    assert body["checks"]["engine"]["status"] == "down"
    assert body["checks"]["engine"]["error"] == "sem conexão"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["actions"]["status"] == "ok"


async def test_action_server_failing_is_503(health_client, deps):
    _, actions = deps
    actions.status = 500
    status, body = await _health(await health_client())
    assert status == 503
    assert body["checks"]["actions"] == {
        "status": "down", "latency_ms": body["checks"]["actions"]["latency_ms"],
        "error": "respondeu HTTP 500"}


async def test_a_hanging_engine_is_reported_within_about_a_second(health_client, deps):
    engine, actions = deps
    engine.delay = actions.delay = 10
    client = await health_client()
    started = time.monotonic()
    status, body = await _health(client)
    elapsed = time.monotonic() - started
    assert status == 503 and elapsed < 3
    assert body["checks"]["engine"]["error"] == "tempo esgotado"
    assert body["checks"]["actions"]["error"] == "tempo esgotado"
    assert body["checks"]["database"]["status"] == "ok"


async def test_redis_down_is_503_and_no_secret_is_shown(health_client):
    port = _closed_port()
    client = await health_client(redis_url=f"redis://:s3nha-redis@127.0.0.1:{port}/0")
    response = await client.get("/healthz")
    text = await response.text()
    assert response.status == 503
    body = await response.json()
    assert body["checks"]["redis"]["status"] == "down"
    assert body["checks"]["redis"]["error"] == "sem conexão"
    for secret in ("s3nha-redis", str(port), "redis://", "127.0.0.1", "sqlite", "panel.db"):
        assert secret not in text


async def test_without_the_engine_the_product_is_healthy(health_client, deps):
    """PETBOT_NO_ENGINE=1 (panel, API and simulator only): engine and actions are disabled."""
    engine, actions = deps
    await engine.stop()
    await actions.stop()
    status, body = await _health(await health_client(engine_enabled=False))
    assert status == 200 and body["status"] == "ok"
    assert body["checks"]["engine"] == {"status": "disabled"}
    assert body["checks"]["actions"] == {"status": "disabled"}
    assert body["checks"]["database"]["status"] == "ok"


async def test_a_flood_of_health_requests_probes_once(health_client, deps):
    engine, actions = deps
    client = await health_client()  # one probe's answer is reused for CACHE_S (1 s)
    answers = await asyncio.gather(*(client.get("/healthz") for _ in range(50)))
    assert {a.status for a in answers} == {200}
    assert engine.calls == 1 and actions.calls == 1


@pytest.mark.engine
async def test_the_real_engine_and_action_server_are_reported_up(bot, panel_db, aiohttp_client):
    """The probes ask what Rasa 3.6 (``/status``, 409 until a model is loaded) and rasa_sdk
    (``/health``) really answer, not only the fakes above."""
    db_engine, url, _ = panel_db
    settings = dataclasses.replace(
        make_settings(url), rasa_url=bot.rasa_url, redis_url=REDIS_URL,
        action_port=int(bot.action_url.rsplit(":", 1)[1]))
    client = await aiohttp_client(create_app(settings, db_engine))
    status, body = await _health(client)
    assert status == 200, body
    assert {name: c["status"] for name, c in body["checks"].items()} == {
        "database": "ok", "engine": "ok", "actions": "ok", "redis": "ok"}


def test_settings_read_the_no_engine_switch_and_the_trusted_proxies(monkeypatch, tmp_path):
    monkeypatch.setattr(settings_mod, "VAR", tmp_path)
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.delenv("PETBOT_NO_ENGINE", raising=False)
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    plain = settings_mod.load()
    assert plain.engine_enabled and plain.trusted_proxies == ()
    monkeypatch.setenv("PETBOT_NO_ENGINE", "1")
    monkeypatch.setenv("TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.0/8 ")
    configured = settings_mod.load()
    assert not configured.engine_enabled
    assert configured.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")


def test_the_run_command_tells_the_app_when_it_starts_no_engine(monkeypatch, tmp_path, capsys):
    """Engine scripts missing (a trimmed copy): the app must report the engine "disabled" and
    be ready (200), not wait forever on a 503 for an engine nobody starts."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("run_script", ROOT / "scripts/run.py")
    run = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "run_script", run)  # its dataclasses look it up there
    spec.loader.exec_module(run)
    monkeypatch.delenv("PETBOT_NO_ENGINE", raising=False)
    monkeypatch.setattr(run, "ROOT", tmp_path)  # no scripts/engine_env.sh there
    env: dict[str, str] = {}
    assert run.engine_processes(make_settings("sqlite://"), env) == []
    assert env["PETBOT_NO_ENGINE"] == "1"
    assert "Rasa engine disabled" in capsys.readouterr().out
