"""Who answers a message (scheduler_core.chatbot.answering), the rule the gateway, the hand-off
state and the dialogue share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from scheduler_core.chatbot.answering import Answer, bot_may_answer, mode_decision
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.people.models import Tutor
from tests.scheduler_core.factories import build_shop

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(("mode", "simulator", "last", "expected"), [
    ("off", True, None, Answer.OFF),
    ("simulation", False, None, Answer.OFF),
    ("simulation", True, None, Answer.BOT),
    ("live", False, None, Answer.BOT),
    ("auto_reply", False, None, Answer.AUTO_REPLY),
    ("auto_reply", False, NOW - timedelta(hours=11, minutes=59), Answer.AUTO_REPLIED),
    ("auto_reply", False, NOW - timedelta(hours=12), Answer.AUTO_REPLY),
])
def test_mode_decision(mode, simulator, last, expected):
    settings = BotSettings(shop_id=1, mode=mode)
    assert mode_decision(settings, NOW, last, simulator=simulator) == expected


def test_bot_may_answer_follows_the_tutor_s_switch(db_engine):
    world = build_shop(db_engine)
    with Session(db_engine) as s:
        tutor = s.get(Tutor, world.tutor_id)
        assert bot_may_answer(s, world.shop_id, tutor.id)
        assert bot_may_answer(s, world.shop_id, None)  # unknown sender: the bot answers
        tutor.allow_bot = False
        s.add(tutor)
        s.flush()
        assert not bot_may_answer(s, world.shop_id, tutor.id)
        assert bot_may_answer(s, world.shop_id + 1, tutor.id)  # not this shop's tutor
