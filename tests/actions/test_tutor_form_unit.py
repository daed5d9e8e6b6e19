"""tutor_form's steps called directly (no engine), Rasa's part played by FormDriver: a new
tutor's name (Fluxo Normal A2) and, when the shop's bot settings ask it, the CPF (A3, checked
by its digits; "Prefiro não informar" skips it); the form complete, action_save_tutor registers
the tutor once and pet_form asks the first pet; a CPF another tutor has goes to a person."""

from __future__ import annotations

import pytest
import yaml
from sqlmodel import Session, select

from actions.flow import DONE_STEPS, PET_FORM, SKIPPED, TUTOR_FORM, TUTOR_SLOTS, finish_form
from actions.flow import form_slots as slots_of
from scheduler_core.people.models import Tutor

from .chat import NOW, SECRET, FormDriver, turn_of
from .test_pet_form_unit import ROOT, _settings

VALID_CPF = "529.982.247-25"


@pytest.fixture
def shop(demo_sqlite):
    return demo_sqlite(NOW)


def _tutors(engine, phone: str) -> list[Tutor]:
    with Session(engine) as s:
        return list(s.exec(select(Tutor).where(Tutor.whatsapp == phone)).all())


def _at_the_name(shop, phone: str) -> FormDriver:
    chat = FormDriver(shop, phone)
    chat.say("quero agendar um banho", "agendar_banho_tosa", 0.99)
    assert chat.form == TUTOR_FORM and "qual é o seu nome" in chat.text, chat.text
    assert slots_of(chat.flow, TUTOR_FORM) == {"tutor_name": None, "tutor_cpf": None}
    return chat


def test_the_name_registers_the_tutor_and_pet_form_asks_the_pet(shop):
    chat = _at_the_name(shop, "+5511900000301")
    chat.say("Carla Dias")
    assert chat.form == PET_FORM and "Prazer, Carla!" in chat.text, chat.text
    assert chat.messages[-1]["text"] == "Qual é o nome do seu pet? \U0001F43E"
    [tutor] = _tutors(shop, "+5511900000301")
    assert tutor.name == "Carla Dias" and tutor.cpf == ""


def test_the_cpf_is_asked_when_the_shop_asks_it_and_checked_by_its_digits(shop):
    _settings(shop, ask_cpf=True)
    chat = _at_the_name(shop, "+5511900000302")
    chat.say("Carla Dias")
    assert chat.form == TUTOR_FORM and "CPF" in chat.text, chat.text
    assert chat.titles == ["Prefiro não informar"]
    assert slots_of(chat.flow, TUTOR_FORM) == {"tutor_name": "Carla Dias", "tutor_cpf": None}
    assert _tutors(shop, "+5511900000302") == []  # registered when the form is complete
    chat.say("123.456.789-00")
    assert "CPF inválido" in chat.text and chat.form == TUTOR_FORM, chat.text
    assert "Qual é o seu CPF" in chat.messages[-1]["text"]  # asked again, once
    chat.say(f"meu cpf é {VALID_CPF}", "informar", 0.6)
    assert chat.form == PET_FORM and "Prazer, Carla!" in chat.text, chat.text
    [tutor] = _tutors(shop, "+5511900000302")
    assert tutor.cpf == "52998224725"


def test_prefiro_nao_informar_registers_the_tutor_without_a_cpf(shop):
    _settings(shop, ask_cpf=True)
    chat = _at_the_name(shop, "+5511900000303")
    chat.say("Carla Dias")
    chat.tap("Prefiro não informar")
    assert chat.form == PET_FORM, chat.text
    [tutor] = _tutors(shop, "+5511900000303")
    assert tutor.cpf == ""


def test_a_cpf_of_another_tutor_goes_to_a_person_and_registers_nobody(shop):
    _settings(shop, ask_cpf=True)
    with Session(shop) as s:
        other = s.exec(select(Tutor).where(Tutor.cpf != "")).first()
    assert other is not None, "the demo shop has no tutor with a CPF"
    chat = _at_the_name(shop, "+5511900000304")
    chat.say("Carla Dias")
    chat.say(other.cpf)
    assert "Já existe um tutor cadastrado com este CPF" in chat.text, chat.text
    assert chat.handoff is not None and chat.form is None
    assert _tutors(shop, "+5511900000304") == []


def test_a_retried_save_registers_the_tutor_once(shop):
    chat = _at_the_name(shop, "+5511900000305")
    done = {**chat.flow, "step": DONE_STEPS[TUTOR_FORM], "new_tutor": {"name": "Carla Dias"}}
    turn = turn_of("Carla Dias", "informar", 0.5, phone=chat.phone, now=NOW)
    for _ in range(2):  # Rasa retries action_save_tutor with the same tracker
        reply = finish_form(shop, turn, done, SECRET)
        assert "Prazer, Carla!" in reply.messages[0]["text"]
    assert len(_tutors(shop, "+5511900000305")) == 1


def test_the_domain_declares_the_tutor_form_and_a_skipped_cpf_holds_the_skip_mark():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert domain["forms"][TUTOR_FORM]["required_slots"] == list(TUTOR_SLOTS.values())
    for slot in TUTOR_SLOTS.values():
        assert f"action_ask_{slot}" in domain["actions"]
    flow = {"step": DONE_STEPS[TUTOR_FORM], "new_tutor": {"name": "Carla Dias"}}
    assert slots_of(flow, TUTOR_FORM) == {"tutor_name": "Carla Dias", "tutor_cpf": SKIPPED}


def test_an_faq_at_the_cpf_question_is_answered_and_the_question_asked_again(shop):
    _settings(shop, ask_cpf=True)
    chat = _at_the_name(shop, "+5511900000306")
    chat.say("Carla Dias")
    chat.say("qual o endereço de vocês?", "endereco", 0.99)
    assert chat.interrupted and chat.form == TUTOR_FORM, chat.text
    assert "CPF inválido" not in chat.text and "dígitos" not in chat.text
    assert "Qual é o seu CPF" in chat.messages[-1]["text"] and len(chat.messages) == 2
