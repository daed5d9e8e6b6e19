"""The engine's part of a turn: ask Rasa, render its reply, send it; park while it is down.

:meth:`EngineTurn.ask` sends one tutor turn to the engine (``bot.rasa_client``), renders the
reply as WhatsApp buttons, lists, pages or text (``bot.render``), stores the menu state and the
long reply ids, and sends each message while the bot still owns the conversation (an attendant
may take over while Rasa is thinking). A ``handoff`` in the reply gives the conversation to a
human (``bot.handoff``).

Engine down or restarting (issue 8, finding 14: connection refused, time-out, and its
``/status`` does not answer with a model): the conversation's message stays queued (not
failed, no attempt counted, ``bot.delivery.Parked``) and so do the ones behind it; the tutor
gets "Recebi sua mensagem, já te respondo" once (until the bot speaks again); later turns of
any conversation are parked without asking the engine. A background probe asks ``/status``
(``engine_probe_s``, doubling up to ``engine_probe_max_s``) and, when the engine answers with
its model, the pipeline drains every parked conversation in order. An engine that is up but
fails one turn (e.g. HTTP 500) is not "down": that tutor gets the apology.
"""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import Session, select

from bot import handoff
from bot import render as rnd
from bot.delivery import Parked, Pipeline
from bot.models import Author, Owner, WaConversation, WaMessage, WaReplyId
from bot.output_channel import Output
from bot.rasa_client import RasaClient, RasaUnavailable, Turn
from bot.runtime import Runtime
from bot.texts import t
from scheduler_core.db.engine import write_session

log = logging.getLogger(__name__)


class EngineTurn:
    def __init__(self, rt: Runtime, rasa: RasaClient, out: Output, pipeline: Pipeline):
        self.rt = rt
        self.rasa = rasa
        self.out = out
        self.pipeline = pipeline
        self._probe: asyncio.Task | None = None

    async def ask(self, conv_id: int, turn: Turn) -> None:
        """Ask the engine for this turn and send its reply. Raises Parked when it is down."""
        if self.pipeline.engine_down:
            await self._park(conv_id, "still down")
        try:
            items = await self.rasa.send(turn)
        except RasaUnavailable as exc:
            if await self.rasa.ready():  # the engine is up: this one turn failed
                log.warning("engine failed on one turn: %s", exc)
                await self.out.deliver(conv_id, rnd.TextOut(t("engine_down")), Author.SYSTEM)
                return
            await self._park(conv_id, str(exc))
        long_ids: dict[str, str] = {}

        def id_for(payload: str) -> str:
            rid = rnd.default_id_for(payload)
            if rid != payload:
                long_ids[rid] = payload
            return rid

        rendered = rnd.render(items, id_for)
        db, engine = self.rt.db, self.rt.engine
        if not await db(self._save_rendered, conv_id, long_ids, rendered):
            return  # an attendant took over while Rasa was thinking
        for out in rendered.messages:
            if not await db(handoff.bot_owns, engine, conv_id):
                return
            await self.out.deliver(conv_id, out, Author.BOT)
        if rendered.handoff_reason is not None:
            await db(handoff.hand_over, engine, conv_id, self.rt.now(), rendered.handoff_reason)

    def _save_rendered(self, conv_id: int, long_ids: dict[str, str], rendered) -> bool:
        with write_session(self.rt.engine) as s:
            for rid, payload in long_ids.items():
                if s.get(WaReplyId, rid) is None:
                    s.add(WaReplyId(id=rid, payload=payload))
            conv = s.get(WaConversation, conv_id)
            if conv.owner == Owner.HUMAN:
                return False
            if rendered.options or rendered.pending_pages:
                conv.menu_state = {"pages": rendered.pending_pages, "options": rendered.options}
            elif rendered.messages:
                conv.menu_state = {}
            s.add(conv)
            return True

    # ------------------------------------------------------------------ engine down

    async def _park(self, conv_id: int, why: str) -> None:
        """The engine is down or restarting (killed, crashed, not answering): this
        conversation's messages stay queued in order, neither failed nor lost; the tutor is
        told once that the answer is coming; a probe of the engine's ``/status`` (back-off
        ``engine_probe_s`` doubling up to ``engine_probe_max_s``) drains them when it is back.
        Raises :class:`bot.delivery.Parked`."""
        if not self.pipeline.engine_down:
            log.warning("engine unavailable (%s): parking conversations until it answers", why)
            self.pipeline.engine_down = True
        if self._probe is None or self._probe.done():
            self._probe = self.rt.spawn(self._probe_engine())
        if await self.rt.db(self._engine_wait_due, conv_id):
            await self.out.deliver(conv_id, rnd.TextOut(t("engine_wait")), Author.SYSTEM)
        raise Parked(why)

    def _engine_wait_due(self, conv_id: int) -> bool:
        """Whether "Recebi sua mensagem, já te respondo" is due: not yet sent since the
        bot last spoke in this conversation (once per outage, also across app restarts)."""
        with Session(self.rt.engine) as s:
            last_bot = s.exec(
                select(WaMessage.id)
                .where(WaMessage.conversation_id == conv_id, WaMessage.author == Author.BOT)
                .order_by(WaMessage.id.desc())
                .limit(1)
            ).first()
            told = select(WaMessage.id).where(
                WaMessage.conversation_id == conv_id,
                WaMessage.author == Author.SYSTEM,
                WaMessage.text == t("engine_wait"),
            )
            if last_bot is not None:
                told = told.where(WaMessage.id > last_bot)
            return s.exec(told.limit(1)).first() is None

    async def _probe_engine(self) -> None:
        config = self.rt.config
        delay = config.engine_probe_s
        while not await self.rasa.ready():
            await asyncio.sleep(delay)
            delay = min(delay * 2, config.engine_probe_max_s)
        self.pipeline.resume_parked()


__all__ = ["EngineTurn"]
