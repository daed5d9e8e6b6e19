"""The WhatsApp gateway: the channel's parts composed on the app, and their start and stop.

Flow of an inbound message, module by module:

1. ``bot.input_channel``: ``POST /webhook/whatsapp`` — body limit, signature, parse
   (``bot.wa_types``).
2. ``bot.delivery``: stored once before the 200 (``bot.intake``, group commit; Redis dedupe and
   conversation locks in ``bot.coordination``), drained by a worker per conversation in order,
   picked up again after a restart; receipts applied in bulk (``bot.receipts``).
3. ``bot.turns``: who answers — stored only, a human (``bot.handoff``), the auto-reply, a
   notice, or the engine (``bot.engine_turn``: Rasa, rendering, parking while it is down).
4. ``bot.output_channel``: sent inside the 24-hour window, templates, statuses, read receipts
   (``bot.sender``).

The parts share one ``bot.runtime.Runtime`` (app, config, database thread, clock, background
tasks). :class:`Gateway` is what the rest of the process holds (``app[GATEWAY]``): the inbox
seam (``bot.inbox``), the simulator and the tests call it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys

from aiohttp import web

from app.keys import SETTINGS
from bot import input_channel, receipts
from bot import render as rnd
from bot.config import BotConfig
from bot.coordination import Coordination
from bot.delivery import Pipeline
from bot.engine_turn import EngineTurn
from bot.handoff import AttendantResult
from bot.input_channel import WEBHOOK_PATH, verify_signature
from bot.keys import BOT_CONFIG, GATEWAY
from bot.models import WaMessage
from bot.output_channel import Output
from bot.rasa_client import RasaClient
from bot.runtime import Runtime
from bot.turns import Turns
from bot.wa_types import InboundMessage
from scheduler_core.notifications.sending import Send
from scheduler_core.notifications.service import SendResult


class Gateway:
    def __init__(self, app: web.Application, config: BotConfig):
        self.app = app
        self.config = config
        self.rt = Runtime(app, config)
        self.rasa = RasaClient(config.rasa_url, config.rasa_timeout_s)
        self.coord = Coordination(self.rt)
        self.out = Output(self.rt)
        self.pipeline = Pipeline(self.rt, self.coord, self._handle)
        self.engine_turn = EngineTurn(self.rt, self.rasa, self.out, self.pipeline)
        self.turns = Turns(self.rt, self.rasa, self.out, self.engine_turn)

    async def _handle(self, msg: InboundMessage, row_id: int) -> bool:
        return await self.turns.handle(msg, row_id)

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        self.rt.loop = asyncio.get_running_loop()
        # The database thread and the event loop share the GIL: hand it over every 0.5 ms
        # instead of 5 ms, so a webhook never waits long behind a processing transaction.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.0005))
        # Objects alive at start-up (modules, models, templates) never become garbage: keep
        # them out of the collector's full passes, which otherwise pause every webhook.
        gc.freeze()
        self.coord.connect()
        self.pipeline.recover()
        self.rt.spawn(self.turns.handoff_loop())

    async def stop(self) -> None:
        self.rt.stopping = True
        tasks = self.pipeline.workers + self.rt.background
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        await self.out.close()
        await self.rasa.close()
        await self.coord.close()
        self.rt.close_db()

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until no conversation worker runs (tests and the benchmark use it)."""
        await self.pipeline.idle(timeout)

    # ------------------------------------------------------------------ what others call

    def spawn(self, coro, loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Task:
        return self.rt.spawn(coro, loop)

    async def db(self, fn, *args, priority: int = 1):
        return await self.rt.db(fn, *args, priority=priority)

    async def accept(self, body: bytes) -> tuple[int, int, int]:
        """Store the messages and statuses of a verified body: (new, duplicates, rejected).
        Raises PayloadError when the body is not a webhook."""
        return await self.pipeline.accept(await input_channel.read_batch(body))

    def kick(self, key: str) -> None:
        self.pipeline.kick(key)

    def recover(self) -> int:
        return self.pipeline.recover()

    async def handle(self, msg: InboundMessage, row_id: int | None = None) -> bool:
        return await self.turns.handle(msg, row_id)

    async def deliver(self, conv_id: int, out: rnd.Out, author: str, actor: str = "",
                      *, fallback: bool = True) -> WaMessage:
        return await self.out.deliver(conv_id, out, author, actor, fallback=fallback)

    async def attendant_seen(self, conv_id: int) -> int:
        return await self.out.attendant_seen(conv_id)

    async def attendant_message(self, conv_id: int, text: str, actor: str) -> AttendantResult:
        return await self.turns.attendant_message(conv_id, text, actor)

    async def staff_resume(self, conv_id: int, actor: str) -> bool:
        return await self.turns.staff_resume(conv_id, actor)

    async def send_template(self, to: str, name: str, language: str = "pt_BR",
                            params: list | None = None, **kwargs) -> WaMessage:
        return await self.out.send_template(to, name, language, params, **kwargs)

    async def notify(self, send: Send) -> SendResult:
        """Send one notification of the outbox (app/notify.py); see Output.notify."""
        return await self.out.notify(send)

    async def receipts_of(self, wa_id: str) -> list[tuple[str, str, str]]:
        """The status webhooks already stored for one sent message (bot.receipts)."""
        return await self.db(receipts.stored_for, self.rt.engine, wa_id)

    def resume_idle(self) -> list[int]:
        return self.turns.resume_idle()


def setup(app: web.Application) -> None:
    """Register the webhook routes and the gateway's start-up / clean-up."""
    input_channel.add_routes(app)

    async def _ctx(app: web.Application):
        if BOT_CONFIG not in app:
            app[BOT_CONFIG] = BotConfig.from_env(app[SETTINGS])
        gateway = Gateway(app, app[BOT_CONFIG])
        app[GATEWAY] = gateway
        await gateway.start()
        yield
        await gateway.stop()

    app.cleanup_ctx.append(_ctx)


async def send_template(app: web.Application, to: str, name: str, language: str = "pt_BR",
                        params: list | None = None, **kwargs) -> WaMessage:
    """Send an approved WhatsApp template (for notifications); see Output.send_template."""
    return await app[GATEWAY].send_template(to, name, language, params, **kwargs)


__all__ = [
    "BOT_CONFIG",
    "GATEWAY",
    "WEBHOOK_PATH",
    "Gateway",
    "send_template",
    "setup",
    "verify_signature",
]
