"""Keyword triggers through the running engine: the shop's trigger sends the tutor's first
message straight to its menu action; a trigger on a disabled action is ignored."""

from __future__ import annotations

import pytest
from sqlmodel import select

from scheduler_core.chatbot.models import BotSettings
from tests.actions.engine import tutor_with_pets

pytestmark = pytest.mark.engine


@pytest.fixture
def shop_triggers(bot):
    def set_triggers(rows: list[dict]) -> None:
        with bot.session() as s:
            settings = s.exec(select(BotSettings)).one()
            settings.triggers = rows
            s.add(settings)
            s.commit()

    yield set_triggers
    set_triggers([])


def test_a_keyword_trigger_jumps_to_its_action(bot, chat_with, shop_triggers):
    shop_triggers([{"text": "PROMO BANHO", "match": "contem", "action": "agendar_banho_tosa"},
                   {"text": "xyz", "match": "exata", "action": "agendar_creche"}])
    tutor, pets = tutor_with_pets(bot, 2)
    chat = chat_with(tutor.whatsapp)
    chat.say("vi a promo banho no insta!!")
    # Straight to the booking's first question, no greeting menu.
    assert "Banho e tosa" not in chat.titles and "Outro pet" in chat.titles, chat.log
    assert {p.name for p in pets} <= set(chat.titles)
    other, _ = tutor_with_pets(bot, 1)
    plain = chat_with(other.whatsapp)
    plain.say("xyz")  # its action (creche) is not on in the menu: the normal answer
    assert "Outro pet" not in plain.titles, plain.log
