"""pet_form's steps called directly (no engine): the state machine hands the new pet's
questions to the form, each answer is read by the same steps, the shop's toggles add sex, birth
date and weight, interruptions are left to Rasa's rules, and the form's static questions in
domain.yml offer exactly the options the steps accept."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from actions.flow import PET_SLOTS, pet_form_slots
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.people.models import Pet, Tutor

from .chat import NOW, FormDriver

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shop(demo_sqlite):
    return demo_sqlite(NOW)


def _settings(engine, **values) -> None:
    with Session(engine) as s:
        row = s.get(BotSettings, 1) or BotSettings(shop_id=1)
        for key, value in values.items():
            setattr(row, key, value)
        s.add(row)
        s.commit()


def _new_tutor_at_pet_name(shop, phone: str) -> FormDriver:
    chat = FormDriver(shop, phone)
    chat.say("quero agendar um horário", "agendar_banho_tosa", 0.99)
    chat.say("Mariana Lopes")
    assert chat.form_active, chat.text
    assert "Prazer, Mariana!" in chat.text
    assert chat.messages[-1]["text"] == "Qual é o nome do seu pet? \U0001F43E", chat.text
    return chat


def test_the_new_pet_is_registered_through_the_form_and_the_flow_asks_the_service(shop):
    chat = _new_tutor_at_pet_name(shop, "+5511900000201")
    chat.say("Thor")
    assert "Thor é cão ou gato" in chat.text
    assert pet_form_slots(chat.flow)["pet_name"] == "Thor"
    chat.tap("Cão")
    assert "raça do Thor" in chat.text
    chat.say("shih")
    assert "Shih Tzu" in chat.titles and "SRD — sem raça definida" in chat.titles
    chat.tap("Shih Tzu")
    assert chat.text == "Qual é o porte do Thor?"
    assert chat.titles == ["Mini", "Pequeno", "Médio", "Grande", "Gigante"]
    chat.say("pequeno")
    assert "pelagem do Thor" in chat.text
    slots = pet_form_slots(chat.flow)
    assert (slots["pet_species"], slots["pet_breed"], slots["pet_porte"]) == (
        "cao", "Shih Tzu", "pequeno")
    chat.tap("Longa")
    assert "Thor foi cadastrado" in chat.text
    assert "Qual serviço você quer para o Thor" in chat.text
    assert chat.form == "booking_form"  # the booking form asks the service
    with Session(shop) as s:
        tutor = s.exec(select(Tutor).where(Tutor.whatsapp == "+5511900000201")).one()
        pet = s.exec(select(Pet).where(Pet.tutor_id == tutor.id)).one()
    assert (pet.name, pet.species, pet.porte, pet.pelagem) == ("Thor", "cao", "pequeno", "longa")


def test_sex_birth_date_and_weight_toggles_add_their_questions(shop):
    _settings(shop, ask_sex=True, ask_birth_date=True, ask_weight=True, ask_breed=False,
              ask_porte=False, ask_pelagem=False)
    chat = _new_tutor_at_pet_name(shop, "+5511900000202")
    assert chat.flow["pet_questions"] == ["pet_name", "pet_species", "pet_sex",
                                          "pet_birth_date", "pet_weight"]
    chat.say("Mel")
    chat.tap("Cão")
    assert chat.text == "Mel é macho ou fêmea?" and chat.titles == ["Macho", "Fêmea"]
    chat.tap("Fêmea")  # from here on every text agrees with a female pet
    assert "data de nascimento da Mel" in chat.text
    chat.say("31/02/2021")
    assert "não entendi" in chat.text and "25/03/2022" in chat.text
    assert "data de nascimento da Mel" in chat.text
    chat.say("15/03/2021")
    assert "Quanto a Mel pesa" in chat.text
    chat.say("uns 12,5 kg")
    assert "Mel foi cadastrada" in chat.text
    with Session(shop) as s:
        tutor = s.exec(select(Tutor).where(Tutor.whatsapp == "+5511900000202")).one()
        pet = s.exec(select(Pet).where(Pet.tutor_id == tutor.id)).one()
    assert (pet.sex, pet.birth_date.isoformat(), pet.weight_grams) == (
        "femea", "2021-03-15", 12500)


def test_an_emergency_mid_form_is_left_to_the_rules_and_ends_the_form(shop):
    chat = _new_tutor_at_pet_name(shop, "+5511900000203")
    chat.say("Thor")
    chat.say("socorro meu cachorro foi atropelado", "urgencia", 0.99)
    assert chat.interrupted and not chat.form_active
    assert chat.handoff == "urgência" and "urgência" in chat.text


def test_an_faq_mid_form_is_answered_and_the_question_asked_again(shop):
    chat = _new_tutor_at_pet_name(shop, "+5511900000204")
    chat.say("Thor")
    chat.tap("Cão")
    chat.say("shih tzu")
    if "Shih Tzu" in chat.titles:
        chat.tap("Shih Tzu")
    assert "porte do Thor" in chat.text
    chat.say("qual o endereço de vocês?", "endereco", 0.99)
    assert chat.interrupted and chat.form_active
    assert chat.messages[-1]["text"] == "Qual é o porte do Thor?", chat.text
    assert len(chat.messages) == 2  # the answer, then the question once


def test_two_misunderstandings_in_the_form_offer_a_person_and_the_menu(shop):
    chat = _new_tutor_at_pet_name(shop, "+5511900000205")
    chat.say("Thor")
    chat.tap("Cão")
    chat.say("shih tzu")
    if "Shih Tzu" in chat.titles:
        chat.tap("Shih Tzu")
    chat.say("não sei", "negar", 0.99)
    assert "não entendi" in chat.text and chat.messages[-1]["text"] == "Qual é o porte do Thor?"
    chat.say("não sei", "negar", 0.99)
    # The form ends without a hand-off; the tutor is offered a person, then the menu.
    assert chat.handoff is None and not chat.form_active, chat.text
    assert "Falar com atendente" in chat.text and "não consegui entender" in chat.text
    assert chat.titles[0] == "Falar com atendente" and "Banho e tosa" in chat.titles
    assert "Qual é o porte" not in chat.text
    chat.tap("Falar com atendente")
    assert chat.handoff == "não entendeu duas vezes seguidas"
    with Session(shop) as s:
        assert s.exec(select(Pet).where(Pet.tutor_id == chat.flow["tutor_id"])).all() == []


def test_the_domain_s_static_questions_offer_what_the_steps_accept():
    from actions.flow import PELAGENS, PORTES, SEXES, button

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for response, prefix, values in (("utter_ask_pet_porte", "porte", PORTES),
                                     ("utter_ask_pet_pelagem", "pelagem", PELAGENS),
                                     ("utter_ask_pet_sex", "sexo", SEXES)):
        buttons = domain["responses"][response][0]["buttons"]
        expected = [button(t, f"{prefix}:{v}") for t, v in values]
        assert [{"title": b["title"], "payload": b["payload"].replace("{{", "{").replace(
            "}}", "}")} for b in buttons] == expected
    form = domain["forms"]["pet_form"]["required_slots"]
    assert form == list(PET_SLOTS.values())
