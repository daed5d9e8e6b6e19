"""The attendant inbox's seam into the WhatsApp channel: what the admin panel calls.

Reads (the waiting list, a conversation's history) come straight from :mod:`bot.handoff`;
the actions that need the running gateway — give a conversation back to the bot (and un-pause
its Rasa tracker), send an attendant's message, send the read receipts when an attendant opens
a conversation — take the app.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from app.keys import CLOCK, DB
from bot import handoff
from bot.handoff import (
    RESUME_COMMAND,
    AttendantResult,
    HistoryItem,
    WaitingConversation,
    conversation_history,
    waiting_conversations,
)
from bot.keys import GATEWAY
from bot.models import WaConversation
from bot.texts import t
from scheduler_core.db.engine import write_session

__all__ = [
    "AttendantResult",
    "HistoryItem",
    "WaitingConversation",
    "attendant_seen",
    "conversation_history",
    "resume_bot",
    "send_attendant_message",
    "waiting_conversations",
]


def resume_bot(app: web.Application, conversation_id: int, actor: str) -> bool:
    """"Devolver ao robô", committed here; the Rasa tracker is un-paused in the background.
    False when the bot already owned it, the conversation does not exist or the tutor has
    allow-bot off."""
    with write_session(app[DB]) as session:
        done = handoff.resume_bot(session, conversation_id, actor, app[CLOCK]())
        conv = session.get(WaConversation, conversation_id) if done else None
        key = conv.key if conv is not None else None
    if done and key:
        _rasa_resume_later(app, key)
    return done


def _rasa_resume_later(app: web.Application, sender: str) -> None:
    gateway = app.get(GATEWAY)
    if gateway is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    gateway.spawn(gateway.rasa.resume(sender), loop=loop)


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
        resume_bot(app, conversation_id, actor)
        return AttendantResult(True, None, "", "")
    if not text:
        raise ValueError(t("attendant_empty"))
    return await app[GATEWAY].attendant_message(conversation_id, text, actor)


async def attendant_seen(app: web.Application, conversation_id: int) -> int:
    """An attendant opened the conversation in the inbox: send the read receipt for the
    tutor's unread messages (none is sent while they wait for a human). Returns how many."""
    gateway = app.get(GATEWAY)
    return await gateway.attendant_seen(conversation_id) if gateway is not None else 0
