"""Fixtures for the WhatsApp channel: the real app on a loopback port, a fake Rasa engine.

``wa`` starts the whole app process (app.server.create_app) on 127.0.0.1 with a free port,
so the gateway really talks HTTP to the simulator on the same server. The fake engine speaks
Rasa's REST channel; tests give it a ``reply(sender, message, metadata)`` function.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlmodel import Session, select

from admin.models import Role, StaffUser
from admin.panel import accounts
from admin.panel.pages import SESSION_COOKIE
from app.server import create_app
from bot import simulator as sim
from bot.input_channel import WEBHOOK_PATH
from bot.keys import BOT_CONFIG, GATEWAY
from bot.models import WaConversation, WaInbound, WaMessage
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.db.engine import write_session
from scheduler_core.kernel.settings import Settings
from scheduler_core.people.models import Tutor
from scheduler_core.shop.models import Shop


class Clock:
    """A controllable aware clock (app[CLOCK])."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


@dataclass
class FakeRasa:
    url: str = ""
    turns: list[dict] = field(default_factory=list)
    reply: Callable[[str, str, dict], list[dict] | Any] = lambda s, m, md: [
        {"recipient_id": s, "text": f"eco: {m}"}
    ]
    delay: float = 0.0
    resumed: list[str] = field(default_factory=list)


async def _start_fake_rasa(fake: FakeRasa, port: int = 0) -> web.AppRunner:
    async def webhook(request: web.Request) -> web.Response:
        data = await request.json()
        fake.turns.append(data)
        if fake.delay:
            await asyncio.sleep(fake.delay)
        out = fake.reply(data["sender"], data["message"], data.get("metadata") or {})
        if asyncio.iscoroutine(out):
            out = await out
        return web.json_response(out)

    async def events(request: web.Request) -> web.Response:
        fake.resumed.append(request.match_info["sender"])
        return web.json_response({})

    async def status(request: web.Request) -> web.Response:
        return web.json_response({"model_file": "fake.tar.gz"})

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_get("/status", status)
    app.router.add_post("/conversations/{sender}/tracker/events", events)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, reuse_address=True)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    fake.url = f"http://127.0.0.1:{port}"
    return runner


class WA:
    """The running app plus helpers to play Meta and the tutor."""

    def __init__(self, app, server, fake, clock, engine, shop_id):
        self.app = app
        self.server = server
        self.rasa = fake
        self.clock = clock
        self.engine = engine
        self.shop_id = shop_id
        self.session = aiohttp.ClientSession()
        self._staff_token: str | None = None

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    @property
    def webhook(self) -> str:
        return self.url + WEBHOOK_PATH

    @property
    def secret(self) -> str:
        return self.app[BOT_CONFIG].app_secret

    @property
    def gateway(self):
        return self.app[GATEWAY]

    @property
    def sim(self) -> sim.SimulatorState:
        return self.app[sim.SIMULATOR]

    async def post(self, payload: dict | bytes, signature: str | None = "good") -> tuple[int, Any]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "good":
            headers["X-Hub-Signature-256"] = sim.sign(body, self.secret)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        async with self.session.post(self.webhook, data=body, headers=headers) as resp:
            text = await resp.text()
            return resp.status, text

    def staff_headers(self) -> dict[str, str]:
        """The cookie of a signed-in staff member: the simulator's test hooks need the panel's
        login. The session is opened directly (the login form has its own tests)."""
        if self._staff_token is None:
            with write_session(self.engine) as s:
                user = StaffUser(login="equipe.testes", name="Equipe", role=Role.DONO,
                                 password_hash="", shop_id=self.shop_id)
                s.add(user)
                s.flush()
                self._staff_token = accounts.open_session(s, user, now=self.clock()).token
        return {"Cookie": f"{SESSION_COOKIE}={self._staff_token}"}

    async def deliver(self, payloads: list[dict], **kw) -> list[int]:
        return await sim.deliver(self.webhook, self.secret, payloads, session=self.session, **kw)

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait for workers, then for the status webhooks the simulator sends back."""
        await self.gateway.idle(timeout)
        await asyncio.sleep(0.02)
        for _ in range(200):
            if not self.sim.tasks:
                break
            await asyncio.sleep(0.01)
        await self.gateway.idle(timeout)

    def set_mode(self, mode: str, **kw) -> None:
        with write_session(self.engine) as s:
            bs = s.get(BotSettings, self.shop_id)
            bs.mode = mode
            for k, v in kw.items():
                setattr(bs, k, v)
            s.add(bs)

    def phone_view(self, phone: str) -> list[sim.SimMessage]:
        """Business messages the simulated phone received."""
        return [m for m in self.sim.inbox(phone) if m.direction == "out"]

    def messages(self, author: str | None = None) -> list[WaMessage]:
        with Session(self.engine) as s:
            stmt = select(WaMessage).order_by(WaMessage.id)
            if author:
                stmt = stmt.where(WaMessage.author == author)
            return list(s.exec(stmt).all())

    def conversation(self, key: str) -> WaConversation | None:
        with Session(self.engine) as s:
            return s.exec(select(WaConversation).where(WaConversation.key == key)).first()

    def pending(self) -> int:
        with Session(self.engine) as s:
            return len(s.exec(select(WaInbound).where(WaInbound.processed_at.is_(None))).all())

    def add_tutor(self, phone: str, name: str = "Ana", allow_bot: bool = True) -> int:
        with write_session(self.engine) as s:
            t = Tutor(shop_id=self.shop_id, name=name, whatsapp=phone, allow_bot=allow_bot)
            s.add(t)
            s.flush()
            return t.id


def make_settings(url: str, rasa_url: str) -> Settings:
    return Settings(
        database_url=url,
        redis_url=None,
        secret_key="segredo-de-teste",
        app_host="127.0.0.1",
        app_port=0,
        api_tokens=(),
        rasa_url=rasa_url,
        action_port=5055,
    )


async def start_wa(engine, database_url: str, fake: FakeRasa, clock: Clock, *, redis_url=None,
                   shop_id: int | None = None) -> WA:
    if shop_id is None:
        with write_session(engine) as s:
            shop = Shop(name="Pet Feliz", whatsapp="+5511900000000")
            s.add(shop)
            s.flush()
            s.add(BotSettings(shop_id=shop.id, mode="live"))
            shop_id = shop.id
    settings = make_settings(database_url, fake.url)
    if redis_url:
        settings = Settings(**{**settings.__dict__, "redis_url": redis_url})
    app = create_app(settings, engine=engine, clock=clock)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    config = app[BOT_CONFIG]
    config.public_url = str(server.make_url("")).rstrip("/")
    config.retry_base_s = 0.01
    config.status_delay_s = 0.0
    return WA(app, server, fake, clock, engine, shop_id)


async def stop_wa(wa: WA) -> None:
    await wa.session.close()
    await wa.server.close()


@pytest.fixture
async def fake_rasa():
    fake = FakeRasa()
    runner = await _start_fake_rasa(fake)
    yield fake
    await runner.cleanup()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def wa(sqlite_engine, sqlite_url, fake_rasa, clock):
    app = await start_wa(sqlite_engine, sqlite_url, fake_rasa, clock)
    yield app
    await stop_wa(app)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def wa_db(request, fake_rasa, clock):
    """The running app (as ``wa``) on SQLite and on PostgreSQL."""
    prefix = "sqlite" if request.param == "sqlite" else "pg"
    app = await start_wa(request.getfixturevalue(f"{prefix}_engine"),
                         request.getfixturevalue(f"{prefix}_url"), fake_rasa, clock)
    yield app
    await stop_wa(app)
