"""Hand-off state: who answers a WhatsApp conversation, the bot or a human attendant.

The state itself, with no HTTP in it; the admin inbox codes against :mod:`bot.inbox`. A
conversation (``bot.models.WaConversation``) has ``owner`` = ``"bot"`` or ``"human"``.

A human owns the conversation when
- the bot handed it off (Rasa sent ``custom: {"handoff": {"reason": ...}}``), or
- an attendant wrote to the tutor from the inbox (:func:`bot.inbox.send_attendant_message`), or
- the tutor's customer record has "Permitir atendimento pelo robô" off (``Tutor.allow_bot``):
  such conversations stay with humans and never resume automatically.

While a human owns it, no tutor message reaches Rasa and the bot sends nothing (not even the
polite answers to media); everything the tutor writes is stored for the inbox.

The bot takes over again when
- an attendant sends exactly ``@robo`` (the text is not sent to the tutor), or
- staff press "Devolver ao robô" (:func:`resume_bot`), or
- ``BotSettings.handoff_timeout_min`` minutes pass without an attendant message, counted from
  the last attendant message only (chatbot.md §9.4). This is checked by a periodic task of the
  app and lazily on every inbound message (:func:`resume_expired`).

Until an attendant has written, the conversation stays in the attendant queue with its waiting
time however long that takes (a hand-off at 01:30 is still waiting at 08:00), and the bot stays
quiet: if the tutor writes again they get at most one "já avisei a equipe" notice per hand-off
(``bot.turns``; :func:`waiting_notice_due`).

Every hand-off also gets a history row (``bot.models.WaHandoff``: reason, start, when and by
whom it went back to the bot), so the reasons survive the return to the bot (the
conversation's own ``handoff_reason`` is cleared then) and the Robô panel counts them all.

Timestamps are aware UTC datetimes, as stored. Functions taking ``now`` want an aware
datetime (``app[CLOCK]()``); without it the system clock is used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.models import Direction, Owner, WaConversation, WaHandoff, WaMessage
from bot.texts import t
from scheduler_core.audit.models import AuditLog
from scheduler_core.chatbot import answering
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.db.engine import read_session, write_session
from scheduler_core.kernel.clock import to_utc, utc_now
from scheduler_core.people.models import Tutor

log = logging.getLogger(__name__)

RESUME_COMMAND = "@robo"
ALLOW_BOT_OFF_REASON = t("handoff_allow_bot_off")


@dataclass(frozen=True)
class WaitingConversation:
    """A conversation owned by a human, as the inbox lists it."""

    id: int
    shop_id: int
    key: str  # BSUID or "+55..." phone
    phone: str | None
    wa_user_id: str | None
    profile_name: str
    tutor_id: int | None
    tutor_name: str | None
    reason: str  # why a human owns it (hand-off reason, "Atendente assumiu", allow-bot off)
    since: datetime  # aware UTC: start of the wait (hand-off moment)
    waiting_seconds: int  # now - since
    last_attendant_at: datetime | None
    last_message_text: str
    last_message_at: datetime | None
    last_message_author: str | None  # "tutor", "bot", "attendant", "system"


@dataclass(frozen=True)
class HistoryItem:
    """One turn of a conversation (tutor, bot, attendant or system message)."""

    id: int
    author: str  # bot.models.Author: "tutor", "bot", "attendant", "system"
    actor: str  # "staff:3" for attendants, "" otherwise
    direction: str  # "in" (from the tutor) or "out"
    kind: str  # "text", "buttons", "list", "image", "interactive", ...
    text: str  # what was written; menus include their options
    payload: str | None  # bot payload of a tapped button / list row
    status: str  # outbound: pending/sent/delivered/read/failed/not_sent; inbound: "received"
    error: str
    at: datetime  # aware UTC


@dataclass(frozen=True)
class AttendantResult:
    """What :func:`send_attendant_message` did."""

    resumed: bool  # the text was "@robo": the bot took over, nothing was sent
    message_id: int | None  # WaMessage id of the stored attendant message
    status: str  # its delivery status ("sent", "failed", ...)
    error: str  # pt-BR explanation when it could not be sent


def waiting_conversations(
    session: Session, now: datetime | None = None, shop_id: int | None = None
) -> list[WaitingConversation]:
    """Conversations a human owns, oldest wait first, with how long each has been waiting."""
    current = to_utc(now or utc_now())
    stmt = select(WaConversation).where(WaConversation.owner == Owner.HUMAN)
    if shop_id is not None:
        stmt = stmt.where(WaConversation.shop_id == shop_id)
    convs = session.exec(stmt).all()
    out = []
    for c in convs:
        since = c.handoff_at or c.updated_at
        tutor = session.get(Tutor, c.tutor_id) if c.tutor_id else None
        last = session.exec(
            select(WaMessage)
            .where(WaMessage.conversation_id == c.id)
            .order_by(WaMessage.created_at.desc(), WaMessage.id.desc())
            .limit(1)
        ).first()
        out.append(
            WaitingConversation(
                id=c.id,
                shop_id=c.shop_id,
                key=c.key,
                phone=c.phone,
                wa_user_id=c.wa_user_id,
                profile_name=c.profile_name,
                tutor_id=c.tutor_id,
                tutor_name=tutor.name if tutor else None,
                reason=c.handoff_reason,
                since=since,
                waiting_seconds=max(0, int((current - since).total_seconds())),
                last_attendant_at=c.last_attendant_at,
                last_message_text=last.text if last else "",
                last_message_at=last.created_at if last else None,
                last_message_author=last.author if last else None,
            )
        )
    out.sort(key=lambda w: (w.since, w.id))
    return out


def conversation_history(session: Session, conversation_id: int) -> list[HistoryItem]:
    """Every turn of one conversation in order (tutor, bot, attendant, system)."""
    rows = session.exec(
        select(WaMessage)
        .where(WaMessage.conversation_id == conversation_id)
        .order_by(WaMessage.created_at, WaMessage.id)
    ).all()
    return [
        HistoryItem(
            id=m.id,
            author=m.author,
            actor=m.actor,
            direction=m.direction,
            kind=m.kind,
            text=m.text,
            payload=m.payload,
            status=m.status,
            error=m.error,
            at=m.created_at,
        )
        for m in rows
    ]


def take_over(session: Session, conv: WaConversation, now: datetime, reason: str) -> None:
    """Give the conversation to a human (idempotent; keeps the first hand-off moment)."""
    current = to_utc(now or utc_now())
    if conv.owner != Owner.HUMAN:
        conv.owner = Owner.HUMAN
        conv.handoff_at = current
        conv.handoff_reason = reason
        conv.last_attendant_at = None
        session.add(WaHandoff(conversation_id=conv.id, shop_id=conv.shop_id, reason=reason,
                              started_at=current))
    conv.updated_at = current
    session.add(conv)


def hand_over(engine: Engine, conv_id: int, now: datetime, reason: str,
              attendant: bool = False) -> None:
    """:func:`take_over` in its own transaction (the engine asked for a human, or an
    attendant wrote: ``attendant`` also starts the timeout from now). KeyError when the
    conversation does not exist."""
    with write_session(engine) as s:
        conv = s.get(WaConversation, conv_id)
        if conv is None:
            raise KeyError(conv_id)
        take_over(s, conv, now, reason)
        if attendant:
            conv.last_attendant_at = now
            s.add(conv)


def bot_owns(engine: Engine, conv_id: int) -> bool:
    """Whether the bot (not a human) answers this conversation now."""
    with read_session(engine) as s:
        conv = s.get(WaConversation, conv_id)
        return conv is not None and conv.owner == Owner.BOT


def _resume(session: Session, conv: WaConversation, actor: str, now: datetime) -> bool:
    if conv.owner != Owner.HUMAN:
        return False
    conv.owner = Owner.BOT
    for open_handoff in session.exec(select(WaHandoff).where(
            WaHandoff.conversation_id == conv.id, WaHandoff.returned_at.is_(None))).all():
        open_handoff.returned_at = now
        open_handoff.returned_by = actor
        session.add(open_handoff)
    conv.handoff_reason = ""
    conv.handoff_at = None
    conv.menu_state = {}
    conv.updated_at = now
    session.add(conv)
    session.add(
        AuditLog(
            shop_id=conv.shop_id,
            actor=actor,
            action="whatsapp.resume_bot",
            entity="waconversation",
            entity_id=conv.id,
        )
    )
    return True


def resume_bot(session: Session, conversation_id: int, actor: str,
               now: datetime | None = None) -> bool:
    """"Devolver ao robô": the bot answers this conversation again (the caller commits; the
    app's version, which also un-pauses the Rasa tracker, is :func:`bot.inbox.resume_bot`).
    Returns False when the bot already owned it or the conversation does not exist. Tutors
    with allow-bot off cannot be given back."""
    conv = session.get(WaConversation, conversation_id)
    if conv is None or not answering.bot_may_answer(session, conv.shop_id, conv.tutor_id):
        return False
    return _resume(session, conv, actor, to_utc(now or utc_now()))


def resume_expired(session: Session, now: datetime, conversation: WaConversation | None = None
                   ) -> list[WaConversation]:
    """Give back to the bot every human-owned conversation whose attendant has been silent for
    the shop's timeout. A conversation no attendant has written to yet is never given back.

    With ``conversation`` only that one is checked (the lazy check on each inbound).
    Returns the conversations resumed (the caller commits).
    """
    current = to_utc(now or utc_now())
    if conversation is not None:
        candidates = [conversation] if conversation.owner == Owner.HUMAN else []
    else:
        candidates = session.exec(
            select(WaConversation).where(WaConversation.owner == Owner.HUMAN)
        ).all()
    resumed = []
    timeouts: dict[int, int] = {}
    for conv in candidates:
        if conv.shop_id not in timeouts:
            bs = session.get(BotSettings, conv.shop_id)
            timeouts[conv.shop_id] = bs.handoff_timeout_min if bs else 30
        since = conv.last_attendant_at
        if since is None:  # nobody answered yet: it keeps waiting in the queue
            continue
        if current - since < timedelta(minutes=timeouts[conv.shop_id]):
            continue
        if not answering.bot_may_answer(session, conv.shop_id, conv.tutor_id):
            continue
        if _resume(session, conv, "sistema:tempo_esgotado", current):
            resumed.append(conv)
    return resumed


WAITING_NOTICE = t("handoff_waiting")


def waiting_notice_due(session: Session, conv: WaConversation) -> bool:
    """Whether a tutor writing to a human-owned conversation gets the "já avisei a equipe"
    notice now: only while no attendant has written since the hand-off, once per hand-off, and
    never for tutors with the bot switched off (they never talk to the bot)."""
    if conv.owner != Owner.HUMAN or conv.last_attendant_at is not None or conv.handoff_at is None:
        return False
    if conv.handoff_reason == ALLOW_BOT_OFF_REASON or not answering.bot_may_answer(
        session, conv.shop_id, conv.tutor_id
    ):
        return False
    sent = session.exec(
        select(WaMessage.id).where(
            WaMessage.conversation_id == conv.id,
            WaMessage.direction == Direction.OUT,
            WaMessage.text == WAITING_NOTICE,
            WaMessage.created_at >= conv.handoff_at,
        )
    ).first()
    return sent is None


__all__ = [
    "AttendantResult",
    "HistoryItem",
    "WaitingConversation",
    "bot_owns",
    "conversation_history",
    "hand_over",
    "resume_bot",
    "resume_expired",
    "take_over",
    "waiting_conversations",
    "waiting_notice_due",
]
