"""The attendant inbox's seam into the WhatsApp channel: what the admin panel calls.

Reads (the waiting list, a conversation's history, its state) come straight from
:mod:`bot.handoff`, and so do claiming and assigning (plain units of work on an engine, for the
panel's database thread); the actions that need the running gateway — give a conversation back
to the bot (tell the tutor, un-pause its Rasa tracker), send an attendant's message, send the
read receipts when an attendant opens a conversation — take the app and are coroutines.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.keys import CLOCK, DB
from bot import handoff
from bot.handoff import (
    RESUME_COMMAND,
    RESUMED_NOTICE,
    AttendantResult,
    ClaimRefused,
    HistoryItem,
    ReturnedConversation,
    State,
    WaitingConversation,
    attendant_statuses,
    conversation_history,
    returned_conversations,
    state_of,
    waiting_conversations,
)
from bot.keys import GATEWAY
from bot.models import WaConversation
from bot.texts import t
from scheduler_core.db.engine import write_session
from scheduler_core.people import registry as people
from scheduler_core.people.models import Tutor

__all__ = [
    "RESUMED_NOTICE",
    "AttendantResult",
    "ClaimRefused",
    "HistoryItem",
    "ReturnedConversation",
    "State",
    "WaitingConversation",
    "assign",
    "attendant_seen",
    "attendant_statuses",
    "claim",
    "conversation_history",
    "conversation_tutor",
    "resume_bot",
    "returned_conversations",
    "send_attendant_message",
    "sender_of",
    "state_of",
    "waiting_conversations",
]


def conversation_tutor(session: Session, conv: WaConversation) -> Tutor | None:
    """The tutor of a conversation: the one linked to it, else (read only) the shop's tutor
    with its BSUID or phone — e.g. registered from the inbox after the last message."""
    if conv.tutor_id:
        return session.get(Tutor, conv.tutor_id)
    tutor = (people.find_tutor_by_wa_user_id(session, conv.shop_id, conv.wa_user_id)
             if conv.wa_user_id else None)
    if tutor is None and conv.phone:
        tutor = people.find_tutor_by_phone(session, conv.shop_id, conv.phone)
    return tutor


def sender_of(session: Session, conversation_id: int, shop_id: int) -> tuple[str, str] | None:
    """(phone, WhatsApp profile name) of a conversation of the shop — what "Cadastrar tutor"
    fills in — or None when it is not the shop's."""
    conv = session.get(WaConversation, conversation_id)
    if conv is None or conv.shop_id != shop_id:
        return None
    return conv.phone or "", conv.profile_name or ""


def claim(engine: Engine, conversation_id: int, actor: str, now: datetime,
          shop_id: int | None = None) -> None:
    """"Assumir" in its own unit of work (call it off the event loop): see
    :func:`bot.handoff.claim` (ClaimRefused, KeyError)."""
    with write_session(engine) as session:
        handoff.claim(session, conversation_id, actor, now, shop_id)


def assign(engine: Engine, conversation_id: int, assignee: str, by: str, now: datetime,
           shop_id: int | None = None) -> None:
    """The owner gives a conversation to ``assignee`` in its own unit of work (off the event
    loop): see :func:`bot.handoff.assign` (KeyError)."""
    with write_session(engine) as session:
        handoff.assign(session, conversation_id, assignee, by, now, shop_id)


def _resume_tx(engine: Engine, conversation_id: int, actor: str, now: datetime) -> bool:
    with write_session(engine) as session:
        return handoff.resume_bot(session, conversation_id, actor, now)


async def resume_bot(app: web.Application, conversation_id: int, actor: str) -> bool:
    """"Devolver ao robô": committed off the event loop (the gateway's database thread), then
    the tutor gets :data:`RESUMED_NOTICE` through the normal outbound path and the Rasa
    tracker is un-paused. False when the bot already owned it, the conversation does not
    exist or the tutor has allow-bot off. Without a running gateway only the state changes."""
    gateway = app.get(GATEWAY)
    if gateway is not None:
        return await gateway.staff_resume(conversation_id, actor)
    return await asyncio.to_thread(_resume_tx, app[DB], conversation_id, actor, app[CLOCK]())


async def send_attendant_message(
    app: web.Application, conversation_id: int, text: str, actor: str
) -> AttendantResult:
    """An attendant writes to the tutor from the inbox.

    - ``@robo`` (any case, surrounding spaces ignored) gives the conversation back to the bot
      and is not sent.
    - Otherwise the conversation becomes human-owned (the bot pauses), the message is stored
      (author ``attendant``, ``actor`` e.g. ``"staff:3"``) and sent through the gateway.
      Outside WhatsApp's 24-hour window, or when the Graph API refuses, the message is kept
      with status ``failed`` and ``error`` says why in pt-BR.
    Raises ``KeyError`` for an unknown conversation and ``ValueError`` for an empty text.
    """
    text = (text or "").strip()
    if text.lower() == RESUME_COMMAND:
        await resume_bot(app, conversation_id, actor)
        return AttendantResult(True, None, "", "")
    if not text:
        raise ValueError(t("attendant_empty"))
    return await app[GATEWAY].attendant_message(conversation_id, text, actor)


async def attendant_seen(app: web.Application, conversation_id: int) -> int:
    """An attendant opened the conversation in the inbox: send the read receipt for the
    tutor's unread messages (none is sent while they wait for a human). Returns how many."""
    gateway = app.get(GATEWAY)
    return await gateway.attendant_seen(conversation_id) if gateway is not None else 0
