"""The new pet's registration as a Rasa form (pet_form) through the real engine: the state
machine hands the pet's questions to the form and takes the conversation back at the service;
mid-form an FAQ is answered and the question asked again, a request for a person, an emergency
or the menu end the form; a hand-off while the form is active leaves no form active when the
bot resumes."""

from __future__ import annotations

import json
import urllib.request

import pytest

from bot.rasa_client import RESUME_EVENTS

pytestmark = pytest.mark.engine


def _active_loop(bot, sender: str) -> str | None:
    return (bot.tracker(sender).get("active_loop") or {}).get("name")


def _at_porte(bot, chat_with, phone: str):
    chat = chat_with(phone)
    chat.say("quero agendar um horário")
    assert _active_loop(bot, chat.sender) == "tutor_form", chat.log  # Fluxo Normal A2
    chat.say("Helena Prado")
    assert chat.texts[-1] == "Qual é o nome do seu pet? 🐾", chat.log
    assert _active_loop(bot, chat.sender) == "pet_form"
    chat.say("Thor")
    chat.tap("Cão")
    chat.say("shih tzu")
    if "Shih Tzu" in chat.titles:
        chat.tap("Shih Tzu")
    assert chat.texts[-1] == "Qual é o porte do Thor?", chat.log
    return chat


def test_an_faq_mid_form_is_answered_and_the_form_goes_on(bot, chat_with):
    chat = _at_porte(bot, chat_with, "+5511900000701")
    chat.say("qual o endereço de vocês?")
    assert "CEP" in chat.text and chat.texts[-1] == "Qual é o porte do Thor?", chat.log
    assert chat.titles == ["Mini", "Pequeno", "Médio", "Grande", "Gigante"]
    chat.tap("Pequeno")
    assert "pelagem do Thor" in chat.text, chat.log
    chat.tap("Curta")
    assert "Thor foi cadastrado" in chat.text, chat.log
    assert "Qual serviço você quer para o Thor" in chat.text, chat.log
    assert _active_loop(bot, chat.sender) == "booking_form"  # the booking goes on in its form


def test_a_person_asked_for_mid_form_hands_off_and_ends_the_form(bot, chat_with):
    chat = _at_porte(bot, chat_with, "+5511900000702")
    chat.say("quero falar com um atendente")
    assert chat.customs == [{"handoff": {"reason": "pedido do tutor"}}], chat.log
    assert _active_loop(bot, chat.sender) is None


def test_back_to_the_menu_mid_form_shows_the_menu_and_ends_the_form(bot, chat_with):
    chat = _at_porte(bot, chat_with, "+5511900000703")
    chat.say("voltar ao menu")
    assert "Banho e tosa" in chat.titles, chat.log
    assert _active_loop(bot, chat.sender) is None


def test_an_invalid_porte_is_asked_again_then_offered_a_person(bot, chat_with):
    chat = _at_porte(bot, chat_with, "+5511900000704")
    chat.say("não sei")
    assert "não entendi" in chat.text and chat.texts[-1] == "Qual é o porte do Thor?", chat.log
    assert chat.titles == ["Mini", "Pequeno", "Médio", "Grande", "Gigante"]
    chat.say("não sei")
    # Offered (chatbot.md §4.8), not handed off; the form ended and asks nothing more.
    assert not chat.customs, chat.log
    assert "Falar com atendente" in chat.text and "Qual é o porte" not in chat.text, chat.log
    assert chat.titles[0] == "Falar com atendente" and "Banho e tosa" in chat.titles
    assert _active_loop(bot, chat.sender) is None
    chat.tap("Falar com atendente")
    assert chat.customs == [{"handoff": {"reason": "não entendeu duas vezes seguidas"}}], \
        chat.log


def test_after_a_hand_off_mid_form_the_bot_resumes_without_the_form(bot, chat_with):
    """An attendant took over while the form asked the species; "return to bot" resumes the
    tracker: no form is active, and the state machine reads the answer at that question."""
    chat = chat_with("+5511900000705")
    chat.say("quero agendar um banho")
    chat.say("Otávio Reis")
    chat.say("Thor")
    assert "Thor é cão ou gato" in chat.text and _active_loop(bot, chat.sender) == "pet_form"
    request = urllib.request.Request(
        f"{bot.rasa_url}/conversations/{chat.sender}/tracker/events",
        data=json.dumps(RESUME_EVENTS).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).close()
    assert _active_loop(bot, chat.sender) is None
    chat.tap("Cão")
    assert "raça do Thor" in chat.text, chat.log
    chat.say("shih tzu")
    if "Shih Tzu" in chat.titles:
        chat.tap("Shih Tzu")
    chat.tap("Pequeno")
    chat.tap("Longa")
    assert "Thor foi cadastrado" in chat.text, chat.log


def test_what_the_tutor_said_of_the_pet_skips_the_species_and_the_texts_agree(bot, chat_with):
    """"minha cachorra" gives the species, "a Mel" the sex: the form does not ask "cão ou
    gato?", and its questions (the variations conditioned on pet_sex) say "da Mel"."""
    chat = chat_with("+5511900000706")
    chat.say("quero marcar um horário pra minha cachorra")
    chat.say("Sofia Prado")
    assert "nome do seu pet" in chat.text, chat.log
    chat.say("é a Mel")
    assert "cão ou gato" not in chat.text and "raça da Mel" in chat.text, chat.log
    assert _active_loop(bot, chat.sender) == "pet_form"
    chat.say("shih tzu")
    if "Shih Tzu" in chat.titles:
        chat.tap("Shih Tzu")
    assert chat.texts[-1] == "Qual é o porte da Mel?", chat.log
    chat.tap("Pequeno")
    assert "pelagem da Mel" in chat.text, chat.log
    chat.tap("Longa")
    assert "Mel foi cadastrada" in chat.text, chat.log


def test_two_pets_named_in_the_form_are_both_registered(bot, chat_with):
    """"bob e nina" at the form's name question: the form registers Bob, then the state
    machine asks Nina's questions; the booking goes on for Bob."""
    chat = chat_with("+5511900000707")
    chat.say("quero agendar um horário")
    chat.say("Paulo Reis")
    chat.say("bob e nina")
    assert "um de cada vez" in chat.text and "Bob é cão ou gato" in chat.text, chat.log
    chat.tap("Cão")
    chat.say("poodle")
    if "Poodle" in chat.titles:
        chat.tap("Poodle")
    chat.tap("Pequeno")
    chat.tap("Curta")
    assert "Bob foi cadastrado" in chat.text and "Nina é cão ou gato" in chat.text, chat.log
    assert _active_loop(bot, chat.sender) is None
    chat.tap("Gato")
    chat.say("persa")
    if "Persa" in chat.titles:
        chat.tap("Persa")
    chat.tap("Longa")
    assert "Nina foi cadastrado" in chat.text and "Qual serviço você quer para o Bob" in \
        chat.text, chat.log
