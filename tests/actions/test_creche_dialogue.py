"""Day care booked by the bot (issue 12): "Creche e hotel" in the menu, the pet, the creche
service, a typed day or range, a summary, then one booking of every open day — or a refusal
naming the full day, with the days asked again. The dialogue called directly (no engine)."""

from __future__ import annotations

from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.kernel.clock import from_utc_naive
from scheduler_core.scheduling import day_care
from scheduler_core.shop.models import Segment
from tests.actions.test_notice_replies import Chat
from tests.scheduler_core.booking_helpers import MONDAY
from tests.scheduler_core.factories import NOW, TZ, build_shop

MARIA = "+5511987654321"


def _creche_shop(engine, capacity: int):
    world = build_shop(engine, bot_settings={"min_notice_hours": 0})
    with Session(engine) as s:
        segment = s.get(Segment, world.segment_id)
        segment.kind, segment.daily_capacity = "creche", capacity
        s.add(segment)
        s.commit()
    return world


def _to_days_question(chat: Chat) -> None:
    chat.say("oi", "cumprimentar")
    chat.tap("Creche e hotel")
    if "Thor" in chat.titles:
        chat.tap("Thor")
    chat.tap(chat.titles[0])  # the first creche service
    assert "Para quais dias" in chat.text, chat.text


def _days_booked(engine, pet_id: int) -> list[str]:
    with Session(engine) as s:
        rows = s.exec(select(Appointment).where(Appointment.pet_id == pet_id,
                                                Appointment.origin == "bot")).all()
        return sorted(f"{from_utc_naive(a.start, TZ):%d/%m}" for a in rows)


def test_a_range_of_days_is_booked_after_the_summary(sqlite_engine):
    world = _creche_shop(sqlite_engine, capacity=2)
    chat = Chat(sqlite_engine, MARIA, now=NOW, shop_id=world.shop_id)
    _to_days_question(chat)
    chat.say(f"de {MONDAY:%d/%m} a {MONDAY.replace(day=MONDAY.day + 2):%d/%m}")
    assert "Confirma?" in chat.text and "Confirmar" in chat.titles, chat.text
    assert _days_booked(sqlite_engine, world.pet_id) == []  # nothing before the tap
    chat.tap("Confirmar")
    assert "Creche agendada!" in chat.text and "3 diárias" in chat.text, chat.text
    assert _days_booked(sqlite_engine, world.pet_id) == ["09/03", "10/03", "11/03"]


def test_a_full_day_is_named_and_the_days_asked_again(sqlite_engine):
    world = _creche_shop(sqlite_engine, capacity=1)
    other = world.add_pet(name="Luna", tutor_id=world.add_tutor(name="Clara Souza"))
    day_care.book_days(sqlite_engine, pet_id=other, service_id=world.services["banho"],
                       first=MONDAY, last=MONDAY, now=NOW, actor="staff:1")
    chat = Chat(sqlite_engine, MARIA, now=NOW, shop_id=world.shop_id)
    _to_days_question(chat)
    chat.say(f"{MONDAY:%d/%m}")
    chat.tap("Confirmar")
    assert "Sem vagas" in chat.text and f"{MONDAY:%d/%m}" in chat.text, chat.text
    assert "Para quais dias" in chat.text
    assert _days_booked(sqlite_engine, world.pet_id) == []
    chat.say("amanhã")  # Thursday 05/03: a free day
    chat.tap("Confirmar")
    assert "Creche agendada!" in chat.text and "1 diária" in chat.text, chat.text
    assert _days_booked(sqlite_engine, world.pet_id) == ["05/03"]


def test_words_that_are_no_date_are_asked_again(sqlite_engine):
    world = _creche_shop(sqlite_engine, capacity=2)
    chat = Chat(sqlite_engine, MARIA, now=NOW, shop_id=world.shop_id)
    _to_days_question(chat)
    chat.say("sei lá, quando der", "nlu_fallback", 0.3)
    assert "Confirma?" not in chat.text and chat.handoff is None, chat.text
