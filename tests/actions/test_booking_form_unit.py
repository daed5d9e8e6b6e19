"""booking_form's steps called directly (no engine), Rasa's part played by FormDriver: the
booking of "Pet já Cadastrado" is asked by the form, its slots follow the answers (what the
flow skipped filled with "-"), "Confirmar" completes it and action_book_appointment books,
"Outro horário" opens the slot again, "Cancelar" and two misunderstandings end it without a
booking, "Outro pet" hands over to pet_form and the booking goes on after the new pet; the
repeat offer (repeat_form) hands over to booking_form with the last service filled in."""

from __future__ import annotations

import pytest
import yaml
from sqlmodel import Session, select

from actions.flow import BOOKING_SLOTS, REPEAT_FORM, SKIPPED, booking_form_slots, form_slots
from scheduler_core.agenda.models import Appointment
from scheduler_core.people.models import Pet

from .chat import NOW, FormDriver, tutor_with_pets
from .test_pet_form_unit import ROOT


@pytest.fixture
def shop(demo_sqlite):
    return demo_sqlite(NOW)


def _count(engine, pet_id: int) -> int:
    with Session(engine) as s:
        return len(s.exec(select(Appointment.id).where(Appointment.pet_id == pet_id)).all())


def _at_the_service(engine) -> FormDriver:
    tutor, pets = tutor_with_pets(engine, 2)
    chat = FormDriver(engine, tutor.whatsapp)
    chat.say("oi", "cumprimentar", 0.99)
    chat.tap("Banho e tosa")
    chat.tap(pets[0].name)
    return chat


def _at_the_summary(engine) -> tuple[FormDriver, int]:
    tutor, pets = tutor_with_pets(engine, 2)
    chat = FormDriver(engine, tutor.whatsapp)
    chat.say("oi", "cumprimentar", 0.99)
    chat.tap("Banho e tosa")
    assert chat.form == "booking_form", chat.text
    assert "Para qual pet" in chat.text and pets[1].name in chat.titles
    chat.tap(pets[1].name)
    assert "Qual serviço" in chat.text, chat.text
    assert booking_form_slots(chat.flow)["booking_pet"] == str(pets[1].id)
    chat.tap("Banho")
    chat.to_slots("Tarde")
    assert chat.form == "booking_form" and chat.flow["step"] == "slot", chat.text
    chat.say('/informar{"opcao":"slot:0"}')
    assert "Confira o agendamento" in chat.text, chat.text
    return chat, pets[1].id


def test_a_registered_pet_is_booked_through_the_form(shop):
    chat, pet_id = _at_the_summary(shop)
    slots = booking_form_slots(chat.flow)
    assert slots["booking_service"] == "Banho" and slots["booking_slot"]
    assert slots["booking_confirmed"] is None  # the summary is the question now
    # The questions the flow asked or skipped hold their answer or "-", none is open.
    assert all(slots[s] is not None for s in list(BOOKING_SLOTS.values())[:-1])
    before = _count(shop, pet_id)
    chat.tap("Confirmar")
    assert chat.form is None
    assert "Agendamento confirmado" in chat.text, chat.text
    assert _count(shop, pet_id) == before + 1


def test_another_time_at_the_summary_opens_the_slot_again(shop):
    chat, _ = _at_the_summary(shop)
    chat.tap("Outro horário")
    slots = booking_form_slots(chat.flow)
    assert slots["booking_slot"] is None and slots["booking_confirmed"] is None
    assert chat.form == "booking_form" and chat.flow["step"] in ("slot", "period")
    assert "Outra data" in chat.titles, chat.text


def test_cancel_at_the_summary_ends_the_form_without_a_booking(shop):
    chat, pet_id = _at_the_summary(shop)
    before = _count(shop, pet_id)
    chat.tap("Cancelar")
    assert chat.form is None and chat.flow.get("step") == "menu", chat.text
    assert "Banho e tosa" in chat.titles
    assert _count(shop, pet_id) == before


def test_an_faq_mid_booking_is_answered_and_the_question_asked_again(shop):
    chat = _at_the_service(shop)
    chat.say("qual o endereço de vocês?", "endereco", 0.99)
    assert chat.interrupted and chat.form == "booking_form"
    assert "Qual serviço" in chat.messages[-1]["text"] and "Banho" in chat.titles
    assert len(chat.messages) == 2  # the answer, then the question once


def test_two_misunderstandings_mid_booking_offer_a_person_and_end_the_form(shop):
    chat = _at_the_service(shop)
    chat.say("xpto", "nlu_fallback", 0.3)
    assert "não entendi" in chat.text and chat.form == "booking_form"
    chat.say("xpto", "nlu_fallback", 0.3)
    assert chat.form is None and chat.handoff is None
    assert chat.titles[0] == "Falar com atendente", chat.text


def test_the_first_message_fills_the_form_s_first_questions(shop):
    tutor, pets = tutor_with_pets(shop, 2)
    chat = FormDriver(shop, tutor.whatsapp)
    chat.say(f"quero banho pro {pets[1].name.lower()}", "agendar_banho_tosa", 0.99)
    assert chat.form == "booking_form"
    assert "Para qual pet" not in chat.text and "Qual serviço" not in chat.text, chat.text
    slots = booking_form_slots(chat.flow)
    assert (slots["booking_pet"], slots["booking_service"]) == (str(pets[1].id), "Banho")


def test_another_pet_hands_over_to_the_pet_form_and_the_booking_goes_on(shop):
    tutor, _ = tutor_with_pets(shop, 2)
    chat = FormDriver(shop, tutor.whatsapp)
    chat.say("oi", "cumprimentar", 0.99)
    chat.tap("Banho e tosa")
    chat.tap("Outro pet")
    assert chat.form == "pet_form" and "nome do seu pet" in chat.text, chat.text
    chat.say("Pipoca")
    chat.tap("Gato")
    while chat.form == "pet_form":  # the shop's remaining pet questions
        titles = chat.titles
        chat.tap(titles[0]) if titles else chat.say("srd")
    assert "Pipoca foi cadastrad" in chat.text and "Qual serviço" in chat.text, chat.text
    assert chat.form == "booking_form"
    assert booking_form_slots(chat.flow)["booking_pet"] not in (None, SKIPPED)


def test_the_domain_declares_the_booking_form_s_slots_in_the_flow_s_order():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert domain["forms"]["booking_form"]["required_slots"] == list(BOOKING_SLOTS.values())
    for slot in BOOKING_SLOTS.values():
        assert f"action_ask_{slot}" in domain["actions"]


def _tutor_with_history(engine):
    """A demo tutor on WhatsApp with one pet and a last service to repeat."""
    from scheduler_core.people.models import Tutor
    from scheduler_core.scheduling.appointments import last_visit_services

    with Session(engine) as s:
        for tutor in s.exec(select(Tutor).where(Tutor.allow_bot).order_by(Tutor.id)).all():
            pets = s.exec(select(Pet).where(Pet.tutor_id == tutor.id)).all()
            if tutor.whatsapp and len(pets) == 1 and last_visit_services(s, pets[0].id, NOW):
                return tutor, pets[0]
    raise AssertionError("no demo tutor with one pet and a past visit")


def test_the_last_service_is_offered_by_its_form_and_booked_by_the_booking_form(shop):
    tutor, pet = _tutor_with_history(shop)
    chat = FormDriver(shop, tutor.whatsapp)
    chat.say("quero repetir o último serviço", "repetir_ultimo", 0.99)
    assert chat.form == REPEAT_FORM and "último atendimento" in chat.text, chat.text
    assert form_slots(chat.flow, REPEAT_FORM) == {"repeat_pet": str(pet.id),
                                                  "repeat_last": None}
    chat.tap("Sim, agendar")
    assert chat.form == "booking_form", chat.text
    slots = booking_form_slots(chat.flow)
    assert slots["booking_pet"] == str(pet.id) and slots["booking_service"] not in (None,
                                                                                     SKIPPED)
    chat.to_slots("Tarde")
    chat.say('/informar{"opcao":"slot:0"}')
    before = _count(shop, pet.id)
    chat.tap("Confirmar")
    assert "Agendamento confirmado" in chat.text and _count(shop, pet.id) == before + 1


def test_other_services_instead_of_the_last_one_go_to_the_service_question(shop):
    tutor, _ = _tutor_with_history(shop)
    chat = FormDriver(shop, tutor.whatsapp)
    chat.say("quero repetir o último serviço", "repetir_ultimo", 0.99)
    chat.tap("Ver outros serviços")
    assert chat.form == "booking_form" and "Qual serviço" in chat.text, chat.text
