"""The new tutor as a Rasa form (tutor_form) through the real engine, with the shop asking the
CPF: the tracker shows the form at the name and then at the CPF, a CPF with too few digits is
asked again with the core's reason, a valid one registers the tutor and pet_form asks the pet.
(With the CPF off, the name alone completes the form: test_pet_form_conversations.py.)"""

from __future__ import annotations

import pytest
from sqlmodel import select

from scheduler_core.chatbot.models import BotSettings
from scheduler_core.people.models import Tutor

pytestmark = pytest.mark.engine


@pytest.fixture
def asks_cpf(bot):
    """The shop's "CPF do tutor" switch on for one test (this worker's shop only)."""
    def switch(on: bool) -> None:
        with bot.session() as s:
            row = s.get(BotSettings, 1)
            row.ask_cpf = on
            s.add(row)
            s.commit()

    switch(True)
    yield
    switch(False)


def _form(bot, sender: str) -> tuple[str | None, str | None, dict]:
    tracker = bot.tracker(sender)
    slots = {k: tracker["slots"][k] for k in ("tutor_name", "tutor_cpf")}
    return ((tracker.get("active_loop") or {}).get("name"),
            tracker["slots"].get("requested_slot"), slots)


def test_the_new_tutor_s_name_and_cpf_are_asked_by_the_form(bot, chat_with, asks_cpf):
    phone = "+5511976500401"
    chat = chat_with(phone)
    chat.say("quero agendar um banho")
    assert "qual é o seu nome" in chat.text, chat.log
    assert _form(bot, chat.sender) == ("tutor_form", "tutor_name",
                                       {"tutor_name": None, "tutor_cpf": None})
    chat.say("Helena Prado")
    assert "Qual é o seu CPF" in chat.text and chat.titles == ["Prefiro não informar"], chat.log
    assert _form(bot, chat.sender) == ("tutor_form", "tutor_cpf",
                                       {"tutor_name": "Helena Prado", "tutor_cpf": None})
    chat.say("123456")
    assert "O CPF deve ter 11 dígitos" in chat.text, chat.log
    assert _form(bot, chat.sender)[:2] == ("tutor_form", "tutor_cpf")
    chat.say("529.982.247-25")
    assert "Prazer, Helena!" in chat.text, chat.log
    assert chat.texts[-1] == "Qual é o nome do seu pet? 🐾", chat.log
    assert _form(bot, chat.sender)[0] == "pet_form"
    with bot.session() as s:
        tutor = s.exec(select(Tutor).where(Tutor.whatsapp == phone)).one()
    assert tutor.name == "Helena Prado" and tutor.cpf == "52998224725"
