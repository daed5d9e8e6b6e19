"""The booking of "Pet já Cadastrado" as a Rasa form (booking_form) through the real engine:
the tracker shows the form and its slots while the questions are asked, "Confirmar" books and
ends it; mid-form an FAQ is answered and the same question asked again, a request for a person
ends the form; "Outro pet" hands over to pet_form and the booking resumes in its form."""

from __future__ import annotations

import pytest
from sqlmodel import select

from scheduler_core.agenda.models import Appointment
from tests.actions.engine import tutor_with_pets
from tests.actions.test_conversations import _book_until_slots

pytestmark = pytest.mark.engine


def _form(bot, sender: str) -> tuple[str | None, dict]:
    tracker = bot.tracker(sender)
    slots = {k: v for k, v in tracker["slots"].items() if k.startswith("booking_")}
    return (tracker.get("active_loop") or {}).get("name"), slots


def _count(bot, pet_id: int) -> int:
    with bot.session() as s:
        return len(s.exec(select(Appointment.id).where(Appointment.pet_id == pet_id)).all())


def test_a_booking_is_asked_by_the_form_and_confirmar_books_it(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    chat.say("oi")
    chat.tap("Banho e tosa")
    loop, slots = _form(bot, chat.sender)
    assert loop == "booking_form" and slots["booking_pet"] is None, chat.log
    assert bot.tracker(chat.sender)["slots"]["requested_slot"] == "booking_pet"
    chat.tap(pets[0].name)
    loop, slots = _form(bot, chat.sender)
    assert loop == "booking_form" and slots["booking_pet"] == str(pets[0].id)
    _book_until_slots(chat, "Banho")
    rows = chat.titles
    # An FAQ at the slot list: answered, and the same list asked again (once).
    chat.say("qual o endereço de vocês?")
    assert "CEP" in chat.text and chat.titles == rows, chat.log
    chat.tap_index(0)
    assert "Confira o agendamento" in chat.text, chat.log
    loop, slots = _form(bot, chat.sender)
    assert slots["booking_service"] == "Banho" and slots["booking_slot"]
    assert slots["booking_confirmed"] is None
    before = _count(bot, pets[0].id)
    chat.tap("Confirmar")
    assert "Agendamento confirmado" in chat.text, chat.log
    assert _count(bot, pets[0].id) == before + 1
    loop, slots = _form(bot, chat.sender)
    assert loop is None and not any(slots.values())


def test_a_person_asked_for_mid_booking_hands_off_and_ends_the_form(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    chat.bath_for(pets[0].name)
    chat.say("quero falar com um atendente")
    assert chat.customs == [{"handoff": {"reason": "pedido do tutor"}}], chat.log
    assert _form(bot, chat.sender)[0] is None


def test_another_pet_goes_through_the_pet_form_and_back_to_the_booking(bot, chat_with):
    tutor, _ = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    chat.say("oi")
    chat.tap("Banho e tosa")
    chat.tap("Outro pet")
    assert chat.texts[-1] == "Qual é o nome do seu pet? 🐾", chat.log
    assert _form(bot, chat.sender)[0] == "pet_form"
    chat.say("Pipoca")
    chat.tap("Gato")
    for _ in range(4):  # the shop's remaining questions for a cat
        if "Pipoca foi cadastrad" in chat.text:
            break
        chat.tap_index(0) if chat.titles else chat.say("srd")
    assert "Pipoca foi cadastrad" in chat.text and "Qual serviço" in chat.text, chat.log
    loop, slots = _form(bot, chat.sender)
    assert loop == "booking_form" and slots["booking_pet"], slots
    # Started at its second question: the pet is filled, the service is the one asked.
    assert bot.tracker(chat.sender)["slots"]["requested_slot"] == "booking_service"
