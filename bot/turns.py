"""Turn decisions: who answers a tutor's message — the engine, a human or the auto-reply.

:meth:`Turns.handle` is the delivery pipeline's handler for one accepted message. In one
transaction it stores the tutor's turn (the conversation found or re-keyed, its tutor found by
``scheduler_core.people.registry.find_sender``), gives the bot back after the hand-off timeout,
and gathers what decides the answer (:class:`Decision`): the shop's bot mode and the
auto-reply cadence (``scheduler_core.chatbot.answering``: the rule lives there), allow-bot per
tutor (a tutor with the bot off goes to a human), the hand-off state (``bot.handoff``). Then it
acts:

- bot off, or simulation and a real tutor: stored only (no read receipt);
- a human owns it: stored for the inbox, read when an attendant opens it; one "já avisei a
  equipe" per hand-off while nobody has answered;
- silent kinds (notices, reactions, deletions, edits): stored, never answered;
- auto-reply mode: the shop's text once per ``AUTO_REPLY_EVERY``;
- what the bot cannot read (photos, audio, locations, ...): the polite notice at most once per
  conversation every ``NOTICE_EVERY`` (a tutor who sends five photos is told once; after five
  minutes a new one is told again, since by then the tutor may have forgotten);
- "Mais opções": the next page of a long menu; a typed number picks a numbered option;
- otherwise the engine answers (``bot.engine_turn``).

Answers that need no network call are finished inside the storing transaction. Also here: the
attendant's own message (the conversation becomes human-owned) and the periodic hand-off
timeout check.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot import handoff
from bot import render as rnd
from bot.config import SIM_PHONE_ID
from bot.engine_turn import EngineTurn
from bot.handoff import (
    ALLOW_BOT_OFF_REASON,
    WAITING_NOTICE,
    AttendantResult,
    resume_expired,
    take_over,
    waiting_notice_due,
)
from bot.models import Author, Direction, Owner, WaConversation, WaInbound, WaMessage, WaReplyId
from bot.output_channel import Output
from bot.rasa_client import RasaClient, Turn
from bot.runtime import Runtime
from bot.texts import t
from bot.wa_types import FILE_KINDS, InboundMessage
from scheduler_core.chatbot import answering, bursts
from scheduler_core.chatbot.answering import Answer
from scheduler_core.chatbot.models import BotMode, BotSettings
from scheduler_core.db.engine import read_session, write_session
from scheduler_core.people import registry as people
from scheduler_core.people.models import Tutor

log = logging.getLogger(__name__)

# Stored for staff, never answered: notices, reactions (also a removed one), deletions, edits.
SILENT_KINDS = frozenset({"system", "request_welcome", "errors", "reaction", "revoke", "edit"})
# Auto-reply mode sends its fixed message once per conversation in this period, not to every
# message (a tutor who writes five lines gets one notice; the messages wait for staff): the
# rule is scheduler_core.chatbot.answering.mode_decision.
AUTO_REPLY_EVERY = answering.AUTO_REPLY_EVERY
# What the bot cannot read gets the "only text and buttons" notice at most once per
# conversation in this period. Everything is stored for staff either way.
NOTICE_EVERY = timedelta(minutes=5)


@dataclass
class Decision:
    conv_id: int
    shop_id: int
    key: str
    phone: str | None
    wa_user_id: str | None
    profile_name: str
    business_phone_id: str
    answer: Answer  # what the shop's bot mode makes of this message
    owner: str
    auto_reply_text: str
    menu_state: dict
    finished: bool = False
    notice_due: bool = True
    waiting_notice_due: bool = False  # human-owned, nobody answered yet: "já avisei a equipe"

    @property
    def marks_read(self) -> bool:
        """Whether the gateway sends the read receipt now: only when the bot handles the
        message; a human-owned one is marked read when an attendant opens it in the inbox."""
        return self.answer != Answer.OFF and self.owner != Owner.HUMAN


class Turns:
    def __init__(self, rt: Runtime, rasa: RasaClient, out: Output, engine_turn: EngineTurn):
        self.rt = rt
        self.rasa = rasa
        self.out = out
        self.engine_turn = engine_turn

    async def handle(self, msg: InboundMessage, row_id: int | None = None) -> bool:
        """Process one accepted inbound message (called once per WhatsApp message id).

        Returns True when the queue row was already marked processed (answers that need no
        network call are finished inside the storing transaction).
        """
        result = await self.rt.db(self._store_turn, msg, self.rt.now(), row_id)
        if result is None:
            return True
        d, resumed = result
        await self._act(d, resumed, msg, row_id)
        return d.finished

    # ------------------------------------------------------------------ the stored turn

    def _conversation(self, s: Session, shop_id: int, msg: InboundMessage) -> WaConversation:
        key = msg.tutor_key
        conv = s.exec(
            select(WaConversation).where(
                WaConversation.shop_id == shop_id, WaConversation.key == key
            )
        ).first()
        if conv is None and msg.user_id and msg.phone:
            # Same tutor, known before Meta shared a BSUID: re-key the old conversation.
            conv = s.exec(
                select(WaConversation).where(
                    WaConversation.shop_id == shop_id, WaConversation.key == msg.phone
                )
            ).first()
            if conv is not None:
                conv.key = key
        if conv is None:
            conv = WaConversation(shop_id=shop_id, key=key, created_at=self.rt.now())
        conv.wa_user_id = msg.user_id or conv.wa_user_id
        conv.phone = msg.phone or conv.phone
        conv.profile_name = msg.profile_name or conv.profile_name
        conv.business_phone_id = msg.business_phone_id
        if conv.tutor_id is None:
            tutor = people.find_sender(s, shop_id, wa_user_id=msg.user_id, phone=msg.phone)
            conv.tutor_id = tutor.id if tutor else None
        elif msg.user_id:
            tutor = s.get(Tutor, conv.tutor_id)
            if tutor is not None:
                people.key_on_wa_user_id(s, tutor, msg.user_id)
        return conv

    def _store_turn(
        self, msg: InboundMessage, now: datetime, row_id: int | None = None
    ) -> tuple[Decision, bool] | None:
        """Store the tutor's turn, update the conversation, gather what decides the answer."""
        with write_session(self.rt.engine) as s:
            shop_id = self.rt.shop_id(s)
            if shop_id is None:
                log.warning("no shop configured: message %s stored only", msg.wa_id)
                _finish(s, row_id, now)
                return None
            conv = self._conversation(s, shop_id, msg)
            conv.last_inbound_at = now
            conv.updated_at = now
            s.add(conv)
            s.flush()
            resumed = resume_expired(s, now, conv)
            exists = s.exec(select(WaMessage.id).where(WaMessage.wa_id == msg.wa_id)).first()
            inbound = None
            if exists is None:
                s.add(
                    inbound := WaMessage(
                        conversation_id=conv.id,
                        direction=Direction.IN,
                        author=Author.TUTOR,
                        wa_id=msg.wa_id,
                        kind=msg.kind,
                        text=_describe(msg),
                        payload=_payload_of(s, msg.reply_id) if msg.reply_id else None,
                        status="received",
                        error=msg.error,
                        created_at=now,
                    )
                )
            bs = s.get(BotSettings, shop_id) or BotSettings(shop_id=shop_id)
            answer = answering.mode_decision(
                bs,
                now,
                _last_auto_reply_at(s, conv.id, bs.auto_reply_text)
                if bs.mode == BotMode.AUTO_REPLY
                else None,
                simulator=conv.business_phone_id == SIM_PHONE_ID,
            )
            notice_due = _unreadable(msg) and not _noticed_since(s, conv.id, now - NOTICE_EVERY)
            if not answering.bot_may_answer(s, shop_id, conv.tutor_id):
                take_over(s, conv, now, ALLOW_BOT_OFF_REASON)
            waiting_due = msg.kind not in SILENT_KINDS and waiting_notice_due(s, conv)
            d = Decision(
                conv_id=conv.id,
                shop_id=shop_id,
                key=conv.key,
                phone=conv.phone,
                wa_user_id=conv.wa_user_id,
                profile_name=conv.profile_name,
                business_phone_id=conv.business_phone_id,
                answer=answer,
                owner=conv.owner,
                auto_reply_text=bs.auto_reply_text,
                menu_state=dict(conv.menu_state or {}),
                notice_due=notice_due,
                waiting_notice_due=waiting_due,
            )
            if inbound is not None and d.marks_read:
                inbound.status = "read"
            if row_id is not None and (
                d.answer == Answer.OFF
                or (d.owner == Owner.HUMAN and not d.waiting_notice_due)
                or msg.kind in SILENT_KINDS
            ):
                _finish(s, row_id, now)  # nothing will be sent: done in this transaction
                d.finished = True
        return d, bool(resumed)

    # ------------------------------------------------------------------ the answer

    async def _act(self, d: Decision, resumed: bool, msg: InboundMessage,
                   row_id: int | None = None) -> None:
        deliver = self.out.deliver
        if resumed:
            self.rt.spawn(self.rasa.resume(d.key))
        if d.answer == Answer.OFF:
            return  # bot off, or simulation and a real tutor: stored only
        if d.owner == Owner.HUMAN:
            # The inbox has it (read receipt when an attendant opens it); the bot is silent,
            # except for one "já avisei a equipe" per hand-off while nobody has answered.
            if d.waiting_notice_due:
                await deliver(d.conv_id, rnd.TextOut(WAITING_NOTICE), Author.SYSTEM)
            return
        self.out.mark_read(d.business_phone_id, msg.wa_id)
        if msg.kind in SILENT_KINDS:
            return  # e.g. "user changed number" notices: stored, nothing to answer
        if d.answer in (Answer.AUTO_REPLY, Answer.AUTO_REPLIED):
            if d.answer == Answer.AUTO_REPLY:  # at most once per AUTO_REPLY_EVERY
                await deliver(d.conv_id, rnd.TextOut(d.auto_reply_text), Author.SYSTEM)
            return
        if _unreadable(msg):
            if d.notice_due:  # at most one per NOTICE_EVERY per conversation
                notice = t("media_reply" if msg.kind in FILE_KINDS else "unsupported_reply")
                await deliver(d.conv_id, rnd.TextOut(notice), Author.SYSTEM)
            return
        if msg.reply_id == rnd.MORE_ID:
            await self._more(d)
            return
        if await self._followed_by_more(d, msg, row_id):
            return  # a greeting the tutor went on from: the next line is answered
        await self._bot_turn(d, msg)

    async def _followed_by_more(self, d: Decision, msg: InboundMessage,
                                row_id: int | None) -> bool:
        """A greeting-only message ("oi", "td bem?") waits ``burst_wait_s`` for the tutor's next
        line (``scheduler_core.chatbot.bursts``): True when one came, so this one is kept for
        the inbox and not answered; the waiting holds this conversation's queue only."""
        wait = self.rt.config.burst_wait_s
        if wait <= 0 or row_id is None or msg.reply_id or not bursts.opens_a_burst(msg.text):
            return False
        await asyncio.sleep(wait)
        return await self.rt.db(self._newer_pending, msg.conv_key, row_id)

    def _newer_pending(self, key: str, row_id: int) -> bool:
        with read_session(self.rt.engine) as s:
            return s.exec(select(WaInbound.id).where(
                WaInbound.conv_key == key, WaInbound.processed_at.is_(None),
                WaInbound.id != row_id)).first() is not None

    async def _more(self, d: Decision) -> None:
        page, rest = rnd.next_page(d.menu_state.get("pages") or [])
        if page is None:
            await self.out.deliver(d.conv_id, rnd.TextOut(t("no_more_options")), Author.BOT)
            return
        options = [c.payload for c in page.rows if c.id != rnd.MORE_ID]
        await self.rt.db(self._save_menu, d.conv_id, rest, options)
        await self.out.deliver(d.conv_id, page, Author.BOT)

    def _reply_payload(self, reply_id: str) -> str:
        with read_session(self.rt.engine) as s:
            return _payload_of(s, reply_id)

    def _save_menu(self, conv_id: int, pages: list, options: list[str]) -> None:
        with write_session(self.rt.engine) as s:
            conv = s.get(WaConversation, conv_id)
            conv.menu_state = {"pages": pages, "options": options}
            s.add(conv)

    async def _bot_turn(self, d: Decision, msg: InboundMessage) -> None:
        if msg.reply_id:
            message = await self.rt.db(self._reply_payload, msg.reply_id)
        else:
            message = msg.text
            options = d.menu_state.get("options") or []
            typed = message.strip().rstrip(".)")
            if typed.isdigit() and 1 <= int(typed) <= len(options):
                message = options[int(typed) - 1]
        turn = Turn(
            sender=d.key,
            message=message,
            phone=d.phone,
            wa_user_id=d.wa_user_id,
            profile_name=d.profile_name,
            shop_id=d.shop_id,
        )
        await self.engine_turn.ask(d.conv_id, turn)

    # ------------------------------------------------------------------ a human answers

    async def attendant_message(self, conv_id: int, text: str, actor: str) -> AttendantResult:
        await self.rt.db(handoff.hand_over, self.rt.engine, conv_id, self.rt.now(),
                         t("handoff_attendant"), True, actor)
        row = await self.out.deliver(conv_id, rnd.TextOut(rnd.cut_text(text)),
                                     Author.ATTENDANT, actor)
        return AttendantResult(False, row.id, row.status, row.error)

    async def staff_resume(self, conv_id: int, actor: str) -> bool:
        """"Devolver ao robô" (or "@robo"): committed on the database thread, then the tutor
        is told they are back with the bot (the normal outbound path: 24-hour window,
        retries) and the engine's tracker is un-paused. False when nothing changed."""
        key = await self.rt.db(self._staff_resume_tx, conv_id, actor)
        if key is None:
            return False
        try:
            await self.out.deliver(conv_id, rnd.TextOut(handoff.RESUMED_NOTICE), Author.SYSTEM)
        except Exception:  # the resume stands; the inbox shows the notice's failed row
            log.exception("return-to-bot notice failed for conversation %s", conv_id)
        self.rt.spawn(self.rasa.resume(key))
        return True

    def _staff_resume_tx(self, conv_id: int, actor: str) -> str | None:
        with write_session(self.rt.engine) as s:
            if not handoff.resume_bot(s, conv_id, actor, self.rt.now()):
                return None
            return s.get(WaConversation, conv_id).key

    async def handoff_loop(self) -> None:
        """Give conversations back to the bot after the hand-off timeout, every
        ``handoff_check_s`` (the lazy check on each inbound is in :meth:`_store_turn`)."""
        while True:
            await asyncio.sleep(self.rt.config.handoff_check_s)
            try:
                resumed = await self.rt.db(self._resume_idle_tx)
            except Exception:
                log.exception("hand-off timeout check failed")
                continue
            for _conv_id, key in resumed:
                self.rt.spawn(self.rasa.resume(key))
            # Each tutor is told, like after "Devolver ao robô" (one who writes first, past
            # the timeout, is simply answered by the bot: the lazy check).
            for conv_id, _key in resumed:
                try:
                    await self.out.deliver(conv_id, rnd.TextOut(handoff.RESUMED_NOTICE),
                                           Author.SYSTEM)
                except Exception:
                    log.exception("return-to-bot notice failed for conversation %s", conv_id)

    def _resume_idle_tx(self) -> list[tuple[int, str]]:
        with write_session(self.rt.engine) as s:
            return [(c.id, c.key) for c in resume_expired(s, self.rt.now())]

    def resume_idle(self) -> list[int]:
        """Resume every conversation past the hand-off timeout now (on the calling thread)."""
        keys = self._resume_idle_tx()
        for _id, key in keys:
            self.rt.spawn(self.rasa.resume(key))
        return [i for i, _ in keys]


def _last_auto_reply_at(s: Session, conv_id: int, text: str) -> datetime | None:
    """When this conversation last got the shop's auto-reply text (aware UTC), or None."""
    found = s.exec(
        select(WaMessage.created_at)
        .where(
            WaMessage.conversation_id == conv_id,
            WaMessage.direction == Direction.OUT,
            WaMessage.author == Author.SYSTEM,
            WaMessage.text == text,
        )
        .order_by(WaMessage.created_at.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _noticed_since(s: Session, conv_id: int, since: datetime) -> bool:
    texts = (t("media_reply"), t("unsupported_reply"))
    return (
        s.exec(
            select(WaMessage.id).where(
                WaMessage.conversation_id == conv_id,
                WaMessage.direction == Direction.OUT,
                WaMessage.author == Author.SYSTEM,
                WaMessage.text.in_(texts),
                WaMessage.created_at >= since,
            )
        ).first()
        is not None
    )


def _payload_of(s: Session, reply_id: str) -> str:
    if reply_id.startswith("p:"):
        mapped = s.get(WaReplyId, reply_id)
        if mapped is not None:
            return mapped.payload
    return reply_id


def _finish(s: Session, row_id: int | None, now: datetime) -> None:
    if row_id is not None:
        row = s.get(WaInbound, row_id)
        if row is not None:
            row.processed_at = now
            s.add(row)


def _unreadable(msg: InboundMessage) -> bool:
    """A message the bot cannot answer (no text, no button) and that is not silent."""
    return msg.kind not in SILENT_KINDS and msg.kind not in ("text", "interactive", "button")


_DESCRIPTIONS = {
    "image": "[imagem]",
    "audio": "[áudio]",
    "voice": "[áudio]",
    "video": "[vídeo]",
    "document": "[documento]",
    "location": "[localização]",
    "sticker": "[figurinha]",
    "reaction": "[reação removida]",  # a reaction with an emoji is stored as the emoji
    "contacts": "[contato]",
    "order": "[pedido]",
    "revoke": "[mensagem apagada]",
    "edit": "[mensagem editada]",
    "unsupported": "[mensagem não suportada]",
}


def _describe(msg: InboundMessage) -> str:
    """The text staff see for a tutor's message in the conversation."""
    if msg.kind == "edit":
        return f"[mensagem editada] {msg.text}".strip()
    return msg.text or _DESCRIPTIONS.get(msg.kind, f"[{msg.kind}]")


__all__ = ["AUTO_REPLY_EVERY", "NOTICE_EVERY", "SILENT_KINDS", "Decision", "Turns"]
