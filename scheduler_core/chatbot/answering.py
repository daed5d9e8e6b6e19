"""Who answers a tutor's message: the bot, its fixed auto-reply, nobody, or a person.

The one home of two rules that the gateway's turn decisions (``bot/turns.py``), the hand-off state
(``bot/handoff.py``) and the dialogue (``actions/flow.py``) all apply:

- :func:`bot_may_answer`: a tutor whose record has "Permitir atendimento pelo robô" off
  (``Tutor.allow_bot``) is always answered by a person; the bot never talks to them.
- :func:`mode_decision`: what ``BotSettings.mode`` makes of a message — ``off`` stores it only,
  ``simulation`` answers only the Cloud API simulator, ``auto_reply`` sends its fixed text at
  most once per :data:`AUTO_REPLY_EVERY` (a tutor who writes five lines gets one notice), and
  ``live`` lets the dialogue answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session

from scheduler_core.chatbot.models import BotMode, BotSettings
from scheduler_core.people.models import Tutor

AUTO_REPLY_EVERY = timedelta(hours=12)


class Answer(StrEnum):
    """What the bot does with one inbound message, by the shop's mode."""

    OFF = "off"  # stored for staff only; not even marked read
    AUTO_REPLY = "auto_reply"  # send ``BotSettings.auto_reply_text`` now
    AUTO_REPLIED = "auto_replied"  # the auto-reply went out recently: read, nothing sent
    BOT = "bot"  # the dialogue answers


def bot_may_answer(session: Session, shop_id: int, tutor_id: int | None) -> bool:
    """False when the sender is a tutor of this shop with the bot switched off for them (a
    person answers); True for anyone else, unknown senders included."""
    if not tutor_id:
        return True
    tutor = session.get(Tutor, tutor_id)
    return tutor is None or tutor.shop_id != shop_id or bool(tutor.allow_bot)


def mode_decision(
    settings: BotSettings,
    now: datetime,
    last_auto_reply_at: datetime | None,
    *,
    simulator: bool,
) -> Answer:
    """The answer ``settings.mode`` gives a message arriving at ``now``.

    ``last_auto_reply_at`` is when this conversation last got the auto-reply (None: never);
    ``simulator`` says whether the message came from the Cloud API simulator.
    """
    mode = settings.mode
    if mode == BotMode.OFF or (mode == BotMode.SIMULATION and not simulator):
        return Answer.OFF
    if mode == BotMode.AUTO_REPLY:
        if last_auto_reply_at is not None and now - last_auto_reply_at < AUTO_REPLY_EVERY:
            return Answer.AUTO_REPLIED
        return Answer.AUTO_REPLY
    return Answer.BOT
