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

States as the inbox shows them (:func:`state_of`): **aguardando** (a human owns it, nobody holds
it yet) → **em atendimento** (an attendant holds it: ``assignee``, set by :func:`claim` —
"Assumir" —, by :func:`assign` — the owner hands it to someone — or by the first attendant
message) → **devolvido ao robô** (the bot owns it again; ``resumed_at``/``resumed_by``).

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
from enum import StrEnum

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

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
RESUMED_NOTICE = t("handoff_resumed_notice")


class State(StrEnum):
    """Where a conversation stands for the inbox."""

    WAITING = "aguardando"  # a human owns it, no attendant holds it
    ATTENDING = "em_atendimento"  # an attendant holds it (``assignee``)
    RETURNED = "devolvido"  # given back to the bot after a hand-off
    BOT = "robo"  # the bot's, never handed off


def state_of(conv: WaConversation) -> State:
    if conv.owner == Owner.HUMAN:
        return State.ATTENDING if conv.assignee else State.WAITING
    return State.RETURNED if conv.resumed_at else State.BOT


class ClaimRefused(Exception):
    """Another attendant already holds the conversation (``holder``: their actor)."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


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
    state: str = State.WAITING  # State: aguardando or em atendimento
    assignee: str = ""  # the attendant holding it ("staff:3"), "" while waiting
    last_message_id: int | None = None


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
    # Three queries whatever the queue's length (the inbox polls this every few seconds).
    tutor_ids = {c.tutor_id for c in convs if c.tutor_id}
    tutors = {t.id: t for t in session.exec(
        select(Tutor).where(col(Tutor.id).in_(tutor_ids)))} if tutor_ids else {}
    lasts: dict[int, WaMessage] = {}
    if convs:
        newest = (select(func.max(WaMessage.id))
                  .where(col(WaMessage.conversation_id).in_([c.id for c in convs]))
                  .group_by(WaMessage.conversation_id))
        lasts = {m.conversation_id: m for m in session.exec(
            select(WaMessage).where(col(WaMessage.id).in_(newest)))}
    out = []
    for c in convs:
        since = c.handoff_at or c.updated_at
        tutor = tutors.get(c.tutor_id) if c.tutor_id else None
        last = lasts.get(c.id)  # the last one stored
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
                state=state_of(c),
                assignee=c.assignee,
                last_message_id=last.id if last else None,
            )
        )
    out.sort(key=lambda w: (w.since, w.id))
    return out


@dataclass(frozen=True)
class ReturnedConversation:
    """A conversation given back to the bot lately, as the inbox lists it."""

    id: int
    profile_name: str
    tutor_name: str | None
    phone: str | None
    resumed_at: datetime  # aware UTC
    resumed_by: str  # "staff:3", "sistema:tempo_esgotado"


def returned_conversations(session: Session, now: datetime, shop_id: int | None = None,
                           within: timedelta = timedelta(hours=24), limit: int = 20
                           ) -> list[ReturnedConversation]:
    """Conversations the bot owns again after a hand-off in the last ``within``, newest
    first (at most ``limit``)."""
    stmt = select(WaConversation).where(
        WaConversation.owner == Owner.BOT,
        WaConversation.resumed_at >= to_utc(now) - within,
    )
    if shop_id is not None:
        stmt = stmt.where(WaConversation.shop_id == shop_id)
    convs = session.exec(stmt.order_by(WaConversation.resumed_at.desc()).limit(limit)).all()
    out = []
    for c in convs:
        tutor = session.get(Tutor, c.tutor_id) if c.tutor_id else None
        out.append(ReturnedConversation(id=c.id, profile_name=c.profile_name,
                                        tutor_name=tutor.name if tutor else None,
                                        phone=c.phone, resumed_at=c.resumed_at,
                                        resumed_by=c.resumed_by))
    return out


def conversation_history(session: Session, conversation_id: int, after_id: int = 0
                         ) -> list[HistoryItem]:
    """Every turn of one conversation in order (tutor, bot, attendant, system); with
    ``after_id`` only the messages stored after that one (the live inbox's cursor: ids grow
    as messages are stored)."""
    stmt = select(WaMessage).where(WaMessage.conversation_id == conversation_id)
    if after_id:
        stmt = stmt.where(WaMessage.id > after_id)
    rows = session.exec(stmt.order_by(WaMessage.created_at, WaMessage.id)).all()
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
        conv.assignee = ""
        conv.assigned_at = None
        session.add(WaHandoff(conversation_id=conv.id, shop_id=conv.shop_id, reason=reason,
                              started_at=current))
    conv.updated_at = current
    session.add(conv)


def hand_over(engine: Engine, conv_id: int, now: datetime, reason: str,
              attendant: bool = False, actor: str = "") -> None:
    """:func:`take_over` in its own transaction (the engine asked for a human, or an
    attendant wrote: ``attendant`` also starts the timeout from now, and the writing
    ``actor`` holds the conversation when nobody did). KeyError when the conversation does
    not exist."""
    with write_session(engine) as s:
        conv = s.get(WaConversation, conv_id)
        if conv is None:
            raise KeyError(conv_id)
        take_over(s, conv, now, reason)
        if attendant:
            conv.last_attendant_at = now
            if actor and not conv.assignee:
                _hold(s, conv, actor, actor, now, "whatsapp.claim")
            s.add(conv)


def _hold(session: Session, conv: WaConversation, assignee: str, by: str, now: datetime,
          action: str) -> None:
    previous = conv.assignee
    conv.assignee = assignee
    conv.assigned_at = now
    conv.updated_at = now
    session.add(conv)
    session.add(AuditLog(shop_id=conv.shop_id, at=now, actor=by, action=action,
                         entity="waconversation", entity_id=conv.id,
                         details={"assignee": assignee, "previous": previous}))


def _locked(session: Session, conv_id: int, shop_id: int | None) -> WaConversation:
    conv = session.get(WaConversation, conv_id, with_for_update=True)
    if conv is None or (shop_id is not None and conv.shop_id != shop_id):
        raise KeyError(conv_id)
    return conv


def claim(session: Session, conv_id: int, actor: str, now: datetime,
          shop_id: int | None = None) -> WaConversation:
    """"Assumir": ``actor`` holds the conversation (em atendimento). A conversation the bot
    owns is taken from it first. Claiming one you already hold is a no-op. Raises
    :class:`ClaimRefused` when another attendant holds it, KeyError when it does not exist
    (or is another shop's). The caller commits; the row is locked for the rest of the unit
    (PostgreSQL; SQLite's write lock is taken up front), so two claims never both win."""
    current = to_utc(now)
    conv = _locked(session, conv_id, shop_id)
    if conv.owner != Owner.HUMAN:
        take_over(session, conv, current, t("handoff_attendant"))
    if conv.assignee and conv.assignee != actor:
        raise ClaimRefused(conv.assignee)
    if conv.assignee != actor:
        _hold(session, conv, actor, actor, current, "whatsapp.claim")
    return conv


def assign(session: Session, conv_id: int, assignee: str, by: str, now: datetime,
           shop_id: int | None = None) -> WaConversation:
    """The owner gives the conversation to another attendant (``assignee``, e.g.
    ``"staff:4"``), whoever held it; a bot-owned one is taken from the bot first. KeyError
    when it does not exist. The caller commits."""
    current = to_utc(now)
    conv = _locked(session, conv_id, shop_id)
    if conv.owner != Owner.HUMAN:
        take_over(session, conv, current, t("handoff_attendant"))
    if conv.assignee != assignee:
        _hold(session, conv, assignee, by, current, "whatsapp.assign")
    return conv


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
    conv.assignee = ""
    conv.assigned_at = None
    conv.resumed_at = now
    conv.resumed_by = actor
    conv.updated_at = now
    session.add(conv)
    session.add(
        AuditLog(
            shop_id=conv.shop_id,
            at=now,
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


#: How many of a conversation's latest attendant messages the live inbox re-reads the delivery
#: status of on each poll (older ones have long reached their last tick).
STATUS_WINDOW = 50


def attendant_statuses(session: Session, conversation_id: int,
                       limit: int = STATUS_WINDOW) -> dict[int, str]:
    """{message id: delivery status} of the conversation's latest ``limit`` messages written by
    an attendant (``OutStatus``: pending, sent, delivered, read, failed, not_sent), as the
    status webhooks left them: the live inbox's ticks."""
    rows = session.exec(
        select(WaMessage.id, WaMessage.status)
        .where(WaMessage.conversation_id == conversation_id,
               WaMessage.direction == Direction.OUT, WaMessage.author == "attendant")
        .order_by(col(WaMessage.id).desc()).limit(limit)
    ).all()
    return {msg_id: status for msg_id, status in rows}


__all__ = [
    "RESUMED_NOTICE",
    "AttendantResult",
    "ClaimRefused",
    "HistoryItem",
    "ReturnedConversation",
    "State",
    "WaitingConversation",
    "assign",
    "attendant_statuses",
    "bot_owns",
    "claim",
    "conversation_history",
    "hand_over",
    "resume_bot",
    "resume_expired",
    "returned_conversations",
    "state_of",
    "take_over",
    "waiting_conversations",
    "waiting_notice_due",
]
