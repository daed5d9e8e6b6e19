"""Each rule the bot applies is the core's, so the tutor reads what the core would say: the bot
mode's auto-reply cadence, the cancel / reschedule / Leva e Traz notices, breeds and portes not
accepted, and the menu's creche action (issue 9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.catalog.models import Service
from scheduler_core.chatbot import menu
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.kernel.errors import NoticeTooShort
from scheduler_core.people.models import Breed, NotAcceptedBreed, Pet
from scheduler_core.scheduling import booking, visit_status
from scheduler_core.shop.models import Segment, Shop
from tests.actions.chat import NOW, SECRET, Driver, new_tutor_at, tutor_with_pets


@pytest.fixture
def shop(demo_sqlite):
    return demo_sqlite(NOW)


def _settings(engine, **values) -> None:
    with Session(engine) as s:
        row = s.get(BotSettings, 1)
        for key, value in values.items():
            setattr(row, key, value)
        s.add(row)
        s.commit()


def _shop(engine, **values) -> None:
    with Session(engine) as s:
        row = s.get(Shop, 1)
        for key, value in values.items():
            setattr(row, key, value)
        s.add(row)
        s.commit()


def test_auto_reply_goes_out_once_per_twelve_hours_from_the_dialogue_too(shop):
    """The gateway sends the auto-reply once per 12 h; the dialogue follows the same rule
    (before, it answered every message)."""
    tutor, _ = tutor_with_pets(shop, 1)
    _settings(shop, mode="auto_reply")
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    assert "No momento não estamos atendendo" in bot.text
    assert bot.say("alguém aí?", "cumprimentar").messages == []
    bot.now = NOW + timedelta(hours=12, minutes=1)
    bot.say("oi", "cumprimentar")
    assert "No momento não estamos atendendo" in bot.text


def _booked_soon(engine, tutor, pet) -> Appointment:
    """A Banho for ``pet`` at the first free time (inside every notice of the bot)."""
    with Session(engine) as s:
        bath = s.exec(select(Service).where(Service.name == "Banho")).first()
    offer = booking.find_slots(engine, shop_id=1, pet_id=pet.id, service_ids=[bath.id],
                               date_from=NOW.date(), date_to=NOW.date() + timedelta(days=1),
                               channel="staff", now=NOW, secret=SECRET)
    soon = next(slot for slot in offer.slots if slot.start > NOW)  # not one starting right now
    return booking.book(engine, token=soon.token, now=NOW, secret=SECRET,
                        origin="staff", actor="teste")


def _to_appointment_actions(bot: Driver, pet: Pet, appt: Appointment) -> None:
    bot.say("oi", "cumprimentar")
    bot.tap("Meus agendamentos")
    bot.tap(next(t for t in bot.titles if t.startswith(pet.name)))


def test_the_bot_refuses_a_late_cancellation_with_the_core_s_words(shop):
    tutor, [pet] = tutor_with_pets(shop, 1)
    appt = _booked_soon(shop, tutor, pet)
    with pytest.raises(NoticeTooShort) as core:
        visit_status.cancel(shop, appointment_id=appt.id, now=NOW, actor="bot", channel="bot")
    bot = Driver(shop, tutor.whatsapp)
    _to_appointment_actions(bot, pet, appt)
    reply = bot.tap("Cancelar")
    assert core.value.message in bot.text, bot.text
    assert reply.handoff == "antecedência mínima não atendida"


def test_the_bot_refuses_a_late_reschedule_with_the_core_s_words(shop):
    _settings(shop, reschedule_min_notice_hours=48)
    tutor, [pet] = tutor_with_pets(shop, 1)
    appt = _booked_soon(shop, tutor, pet)
    offer = booking.find_slots(shop, shop_id=1, pet_id=pet.id, service_ids=[],
                               date_from=NOW.date(), date_to=NOW.date() + timedelta(days=3),
                               channel="staff", now=NOW, secret=SECRET,
                               moving_appointment_id=appt.id)
    with pytest.raises(NoticeTooShort) as core:
        booking.reschedule(shop, appointment_id=appt.id, token=offer.slots[-1].token, now=NOW,
                           secret=SECRET, actor="bot", channel="bot")
    bot = Driver(shop, tutor.whatsapp)
    _to_appointment_actions(bot, pet, appt)
    bot.tap("Remarcar")
    assert core.value.message in bot.text, bot.text


def test_leva_e_traz_too_soon_says_what_the_booking_would_refuse(shop):
    """Every free time on the first page is inside a 72 h Leva e Traz notice: the bot says why
    in the words :func:`booking.book` raises, then shows the times without Leva e Traz."""
    _shop(shop, leva_e_traz_min_notice_hours=72)
    tutor, [pet] = tutor_with_pets(shop, 1)
    with Session(shop) as s:
        bath = s.exec(select(Service).where(Service.name == "Banho")).first()
    offer = booking.find_slots(shop, shop_id=1, pet_id=pet.id, service_ids=[bath.id],
                               date_from=NOW.date(), date_to=NOW.date() + timedelta(days=1),
                               channel="bot", now=NOW, secret=SECRET)
    with pytest.raises(NoticeTooShort) as core:
        booking.book(shop, token=offer.slots[0].token, now=NOW, secret=SECRET, origin="bot",
                     actor="bot", leva_e_traz=True)
    with_leva = booking.find_slots(shop, shop_id=1, pet_id=pet.id, service_ids=[bath.id],
                                   date_from=NOW.date(), date_to=NOW.date() + timedelta(days=1),
                                   channel="bot", now=NOW, secret=SECRET, leva_e_traz=True)
    assert with_leva.slots == () and with_leva.leva_e_traz_refusal == core.value.message
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    bot.tap("Banho e tosa")
    bot.tap(pet.name)
    bot.tap("Banho")
    if "Não, obrigado" in bot.titles:
        bot.tap("Não, obrigado")
    bot.tap("Sim, quero")
    if "Tanto faz" in bot.titles:
        bot.tap("Tanto faz")
    assert core.value.message in bot.text, bot.text
    assert "sem Leva e Traz" in bot.text


def _refusal_of_find_slots(engine, pet_id: int) -> str:
    with Session(engine) as s:
        bath = s.exec(select(Service).where(Service.name == "Banho")).first()
    offer = booking.find_slots(engine, shop_id=1, pet_id=pet_id, service_ids=[bath.id],
                               date_from=NOW.date(), date_to=NOW.date() + timedelta(days=1),
                               channel="bot", now=NOW, secret=SECRET)
    assert offer.slots == ()
    return offer.message


def test_a_porte_not_accepted_reads_the_same_in_the_bot_and_in_the_agenda(shop):
    _shop(shop, not_accepted_portes=["pequeno"])
    tutor, [pet] = tutor_with_pets(shop, 1)
    with Session(shop) as s:
        row = s.get(Pet, pet.id)
        row.porte = "pequeno"
        s.add(row)
        s.commit()
    bot = Driver(shop, "+5511900000071")
    new_tutor_at(bot, "porte")
    reply = bot.tap("Pequeno")
    assert reply.handoff == "porte não aceito: pequeno"
    assert bot.text.startswith(_refusal_of_find_slots(shop, pet.id)), bot.text


def test_a_breed_not_accepted_reads_the_same_in_the_bot_and_in_the_agenda(shop):
    """A refused breed without the shop's own message: both name the breed."""
    with Session(shop) as s:
        poodle = s.exec(select(Breed).where(Breed.name == "Poodle", Breed.species == "cao")).one()
        s.add(NotAcceptedBreed(shop_id=1, breed_id=poodle.id, message=""))
        tutor, [pet] = tutor_with_pets(shop, 1)
        row = s.get(Pet, pet.id)
        row.species, row.breed_id = "cao", poodle.id
        s.add(row)
        s.commit()
    bot = Driver(shop, "+5511900000072")
    new_tutor_at(bot, "breed")
    bot.say("poodle")
    if "Poodle" in bot.titles:
        bot.tap("Poodle")
    expected = _refusal_of_find_slots(shop, pet.id)
    assert expected == "Infelizmente não atendemos a raça Poodle."
    assert bot.text.startswith(expected), bot.text


def test_creche_is_offered_only_with_an_active_creche_or_hotel(shop):
    tutor, _ = tutor_with_pets(shop, 1)
    _settings(shop, menu=[*BotSettings().menu], triggers=[
        {"text": "diaria", "match": "exata", "action": "agendar_creche"}])
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    assert "Creche e hotel" not in bot.titles  # no creche segment: not on the menu
    bot.say("quero uma diaria")
    assert "Creche e hotel" not in bot.titles and bot.flow.get("step") == "menu"
    with Session(shop) as s:  # a hotel only: its stays are booked by staff
        s.add(Segment(shop_id=1, kind="hotel", name="Hotel", active=True))
        s.commit()
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    assert "Creche e hotel" in bot.titles
    reply = bot.tap("Creche e hotel")
    assert menu.CRECHE_HANDOFF_TEXT in bot.text
    assert reply.handoff == "agendamento de creche/hotel"
    # The keyword trigger lands there too.
    reply = Driver(shop, tutor.whatsapp).say("quero uma diaria")
    assert reply.handoff == "agendamento de creche/hotel"
    # With a creche segment the bot books the days itself (tests/actions/test_creche_dialogue.py)
    with Session(shop) as s:
        s.add(Segment(shop_id=1, kind="creche", name="Creche", active=True))
        s.commit()
    reply = Driver(shop, tutor.whatsapp).say("quero uma diaria")
    assert reply.handoff != "agendamento de creche/hotel" and reply.flow.get("mode") == "creche"
