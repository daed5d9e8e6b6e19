"""Each turn the dialogue answers is recorded with the NLU's intent and confidence and whether
it was understood, and the Robô panel shows them: the count, the latest texts not understood
and the confidence histogram (the dialogue called directly, no engine)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from actions.flow import Turn, handle
from scheduler_core.chatbot.models import BotTurn
from scheduler_core.reports import robo
from scheduler_core.reports.period import make_filter

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
PHONE = "+5511955554444"


@pytest.fixture
def shop(demo_sqlite):
    return demo_sqlite(NOW)


def _say(engine, flow: dict, text: str, intent: str, confidence: float,
         option: str | None = None) -> dict:
    turn = Turn(intent=intent, confidence=confidence, text=text, entities={}, option=option,
                sender=PHONE, phone=PHONE, wa_user_id=None, profile_name="Teste", shop_id=1,
                now=NOW)
    return handle(engine, turn, flow, "unit-secret").flow


def test_turns_record_intent_confidence_and_misunderstood_for_the_robo_panel(shop):
    flow = _say(shop, {}, "oi", "cumprimentar", 0.97)  # the menu
    flow = _say(shop, flow, "xpto qwe zzz", "fora_de_escopo", 0.42)  # not a menu option
    _say(shop, flow, "", "informar", 1.0, option="menu:banho")  # a tapped button
    with Session(shop) as s:
        rows = s.exec(select(BotTurn).order_by(BotTurn.id)).all()
        assert [(t.text, t.intent, t.confidence, t.tapped, t.misunderstood) for t in rows] == [
            ("oi", "cumprimentar", 0.97, False, False),
            ("xpto qwe zzz", "fora_de_escopo", 0.42, False, True),
            ("", "informar", 1.0, True, False)]
        f = make_filter(s, 1, NOW.date(), NOW.date())
        r = robo.robo(s, f, [], [0] * 24)
    assert (r.bot_turns, r.misunderstood, r.misunderstood_pct) == (3, 1, 33.3)
    assert [(m.text, m.intent) for m in r.latest_misunderstood] == [
        ("xpto qwe zzz", "fora_de_escopo")]
    histogram = dict(r.confidence)
    assert len(histogram) == 10 and sum(histogram.values()) == 2  # typed turns only
    assert histogram["0,9–1,0"] == 1 and histogram["0,4–0,5"] == 1


def test_answers_to_the_pet_form_are_recorded_once_each_and_misses_counted(shop):
    """pet_form's answers go through flow.form_turn, not handle: they are counted too, and
    an FAQ mid-form (answered by action_petbot) is recorded once, not twice."""
    from tests.actions.chat import FormDriver

    chat = FormDriver(shop, PHONE)
    chat.say("quero agendar um banho", "agendar_banho_tosa", 0.99)
    chat.say("Mariana Lopes")
    assert chat.form_active, chat.text
    chat.say("Thor", "informar", 0.61)  # the pet's name: pet_form
    chat.say("xyz", "fora_de_escopo", 0.35)  # not a species: pet_form, misunderstood
    chat.say("qual o endereço?", "endereco", 0.99)  # an FAQ: action_petbot, the form resumes
    assert chat.interrupted and chat.form_active
    chat.tap("Cão")
    assert "raça do Thor" in chat.text, chat.text
    with Session(shop) as s:
        rows = s.exec(select(BotTurn).where(BotTurn.sender == PHONE).order_by(BotTurn.id)).all()
        assert [(t.text, t.intent, t.misunderstood) for t in rows] == [
            ("quero agendar um banho", "agendar_banho_tosa", False),
            ("Mariana Lopes", "", False),
            ("Thor", "informar", False),
            ("xyz", "fora_de_escopo", True),
            ("qual o endereço?", "endereco", False),
            ("", "informar", False)]
        f = make_filter(s, 1, NOW.date(), NOW.date())
        r = robo.robo(s, f, [], [0] * 24)
    assert (r.bot_turns, r.misunderstood) == (6, 1)
