"""The dialogue state machine called directly (no engine): branches that need their own shop
settings or data — restrictions, an empty agenda, bot modes, the same service for another pet."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from actions.flow import match_option
from scheduler_core.agenda.models import Appointment, Block, Restriction
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.people.labels import pet_words
from scheduler_core.people.models import Pet, Tutor

from .chat import NOW, Driver, new_tutor_at, said, tutor_with_pets


@pytest.fixture
def shop(demo_sqlite):
    return demo_sqlite(NOW)


def test_match_option_number_title_and_typo():
    options = [["Banho", "svc:1"], ["Tosa higiênica", "svc:2"], ["Hidratação", "svc:5"]]
    assert match_option(options, "2") == "svc:2"
    assert match_option(options, "banho") == "svc:1"
    assert match_option(options, "tosa higienica") == "svc:2"
    assert match_option(options, "hidratacao") == "svc:5"
    assert match_option(options, "quero um pônei") is None
    assert match_option(options, "9") is None


def test_same_service_for_another_pet(shop):
    tutor, pets = tutor_with_pets(shop, 2)
    with Session(shop) as s:
        last_id = max(a.id for a in s.exec(select(Appointment)).all())
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    bot.tap("Banho e tosa")
    bot.tap(pets[0].name)
    bot.tap("Banho")
    bot.to_slots()
    bot.say("/informar{\"opcao\":\"slot:0\"}")
    bot.tap("Confirmar")
    assert "Quer agendar o mesmo serviço para outro pet?" in bot.text
    bot.tap("Sim")
    assert bot.titles == [pets[1].name]
    bot.tap(pets[1].name)
    bot.to_slots()
    bot.say("/informar{\"opcao\":\"slot:0\"}")
    assert "Banho" in bot.text and pets[1].name in bot.text
    bot.tap("Confirmar")
    with Session(shop) as s:
        mine = s.exec(select(Appointment).where(Appointment.tutor_id == tutor.id,
                                                Appointment.id > last_id)).all()
    assert sorted(a.pet_id for a in mine) == sorted(p.id for p in pets)


def test_restriction_description_is_shown(shop):
    tutor, pets = tutor_with_pets(shop, 1)
    with Session(shop) as s:
        s.add(Restriction(shop_id=1, name="Sem banho às terças", scope="robo",
                          description="Às terças e quartas não fazemos banho pelo WhatsApp.",
                          conditions={"weekdays": [1, 2]}))
        s.commit()
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    bot.tap("Banho e tosa")
    bot.tap(pets[0].name)
    bot.tap("Banho")
    bot.to_slots()
    bot.say("amanhã")  # a Wednesday
    assert "Às terças e quartas não fazemos banho pelo WhatsApp." in bot.text
    assert "Não encontrei horários livres para amanhã" in bot.text


def test_no_slot_in_the_whole_window_hands_off(shop):
    tutor, pets = tutor_with_pets(shop, 1)
    with Session(shop) as s:
        days = [f"2026-12-{d:02d}" for d in range(1, 32)]
        s.add(Block(shop_id=1, dates=days, all_day=True, reason="reforma"))
        s.commit()
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    bot.tap("Banho e tosa")
    bot.tap(pets[0].name)
    bot.tap("Banho")
    reply = None
    for _ in range(6):
        if "Não, obrigado" in bot.titles:
            reply = bot.tap("Não, obrigado")
        elif "Não, eu levo" in bot.titles:
            reply = bot.tap("Não, eu levo")
        elif "Tanto faz" in bot.titles:
            reply = bot.tap("Tanto faz")
    assert "Não encontrei horários livres nos próximos dias" in bot.text
    assert reply.handoff == "sem horários na janela do robô"
    assert bot.flow.get("step") is None  # clean for when the attendant hands back


def test_typed_date_beyond_the_horizon_is_refused_kindly(shop):
    tutor, pets = tutor_with_pets(shop, 1)
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    bot.tap("Banho e tosa")
    bot.tap(pets[0].name)
    bot.tap("Banho")
    bot.to_slots()
    reply = bot.say("20/01")
    assert reply.handoff == "sem horários na janela do robô"


def test_off_and_auto_reply_modes(shop):
    tutor, _ = tutor_with_pets(shop, 1)
    with Session(shop) as s:
        settings = s.get(BotSettings, 1)
        settings.mode = "auto_reply"
        s.add(settings)
        s.commit()
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    assert "No momento não estamos atendendo pelo WhatsApp" in bot.text
    with Session(shop) as s:
        settings = s.get(BotSettings, 1)
        settings.mode = "off"
        s.add(settings)
        s.commit()
    assert bot.say("oi", "cumprimentar").messages == []


def test_tutor_without_bot_permission_gets_silence(shop):
    tutor, _ = tutor_with_pets(shop, 1)
    with Session(shop) as s:
        row = s.get(Tutor, tutor.id)
        row.allow_bot = False
        s.add(row)
        s.commit()
    assert Driver(shop, tutor.whatsapp).say("oi", "cumprimentar").messages == []


def test_registered_tutor_adds_another_pet(shop):
    tutor, pets = tutor_with_pets(shop, 1)
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    bot.tap("Banho e tosa")
    bot.tap("Outro pet")
    bot.say("Mimi")
    bot.tap("Gato")
    bot.say("persa")
    if "Persa" in bot.titles:
        bot.tap("Persa")
    if "Qual é o porte" in bot.text:
        bot.tap("Pequeno")
    bot.tap("Longa")
    assert "Mimi foi cadastrado" in bot.text
    with Session(shop) as s:
        names = {p.name for p in s.exec(select(Pet).where(Pet.tutor_id == tutor.id)).all()}
    assert names == {pets[0].name, "Mimi"}


def test_clinic_booking(shop):
    tutor, pets = tutor_with_pets(shop, 1)
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    bot.tap("Clínica veterinária")
    bot.tap(pets[0].name)
    assert "Consulta veterinária" in bot.titles
    bot.tap("Consulta veterinária")
    bot.to_slots()
    bot.say("sexta de manhã")
    assert "04/12" in bot.text
    bot.say("/informar{\"opcao\":\"slot:0\"}")
    bot.tap("Confirmar")
    assert "Agendamento confirmado" in bot.text
    with Session(shop) as s:
        appt = s.exec(select(Appointment).order_by(Appointment.id.desc())).first()
    assert appt.pet_id == pets[0].id and appt.origin == "bot"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("a_partir", "Banho: a partir de R$"), ("exato", "Banho: R$"),
     ("oculto", "Banho: valor sob consulta")],
)
def test_price_question_follows_the_price_display_setting(shop, mode, expected):
    tutor, pets = tutor_with_pets(shop, 1)
    with Session(shop) as s:
        settings = s.get(BotSettings, 1)
        settings.price_display = mode
        s.add(settings)
        s.commit()
    bot = Driver(shop, tutor.whatsapp)
    bot.say("quanto custa o banho?", "preco_servico")
    assert f"Valores para {pet_words(pets[0].name, pets[0].sex)['o_pet']}" in bot.text
    assert expected in bot.text
    assert "Tosa" not in bot.text  # only the service asked about
    if mode == "exato":
        assert "a partir de" not in bot.text


def test_handoff_out_of_hours_says_so(shop):
    tutor, _ = tutor_with_pets(shop, 1)
    night = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 23:00 in São Paulo
    bot = Driver(shop, tutor.whatsapp, now=night)
    reply = bot.say("quero falar com uma pessoa", "falar_atendente")
    assert reply.handoff == "pedido do tutor"
    assert "fora do horário" in bot.text
    assert {"custom": {"handoff": {"reason": "pedido do tutor"}}} in bot.messages


def test_a_yes_like_pet_name_is_the_pet_s_name_not_the_profile_name(shop):
    """"Beleza" (also "ok" in pt-BR) typed as the pet's name names the pet; the WhatsApp
    profile name is only offered for the tutor's own name."""
    chat = Driver(shop, "+5511900000077", profile_name="Ana Paula")
    chat.say("quero agendar", intent="agendar_banho_tosa")
    assert "*Ana Paula*" in chat.text
    chat.tap("Sim, é esse")
    assert "nome do seu pet" in chat.text
    chat.say("Beleza", intent="afirmar", confidence=0.9)
    with Session(shop) as s:
        tutor = s.exec(select(Tutor).where(Tutor.whatsapp == "+5511900000077")).one()
        assert tutor.name == "Ana Paula"
    assert "Beleza é cão ou gato" in chat.text, chat.text


def _tutors_named(engine, phone: str) -> list[str]:
    with Session(engine) as s:
        return [t.name for t in s.exec(select(Tutor).where(Tutor.whatsapp == phone)).all()]


def test_price_question_from_a_new_tutor_gets_the_table_by_porte(shop):
    """No pet to price for: the shop's price ranges per porte, not an error."""
    bot = Driver(shop, "+5511900000080")
    bot.say("quanto custa o banho?", "preco_servico", 0.99)
    assert "Nossos valores por porte (a partir de)" in bot.text, bot.text
    assert "*Banho*: Mini R$ 45 · Pequeno R$ 55 · Médio R$ 70 · Grande R$ 95 · Gigante R$ 130" \
        in bot.text
    assert "Tosa" not in bot.text  # only the service asked about
    assert said(bot.text, "utter_menu_again"), bot.text
    with Session(shop) as s:
        settings = s.get(BotSettings, 1)
        settings.price_display = "exato"
        s.add(settings)
        s.commit()
    bot.say("quais são os preços?", "preco_servico", 0.99)
    assert "Nossos valores por porte:" in bot.text
    assert "*Banho*: Mini R$ 45 a 65 · Pequeno R$ 55 a 80" in bot.text
    assert "*Consulta veterinária*: R$ 180" in bot.text and "*Hidratação*" in bot.text


_QUESTIONS = [
    ("quanto custa o banho?", "preco_servico", "*Banho*: Mini R$ 45"),
    ("qual o horário de funcionamento?", "horario_funcionamento", "Segunda a Sexta"),
    ("qual o endereço?", "endereco", "CEP 05435-001"),
    ("aceita pix?", "formas_pagamento", "Pix"),
    ("vocês buscam o pet em casa?", "leva_e_traz_info", "Zona 1"),
]
_NEW_TUTOR_STEPS = ["tutor_name", "pet_name", "species", "breed", "porte", "pelagem"]


@pytest.mark.parametrize(("question", "intent", "expected"), _QUESTIONS)
def test_a_new_tutor_asking_a_question_at_any_step_gets_the_answer_and_the_step_again(
    shop, question, intent, expected
):
    """A brand-new tutor's FAQ (prices, hours, address, payment, Leva e Traz) is answered at the
    menu and at every registration step; the question is never taken as a name or a breed, and
    the step's own question comes again."""
    for i, step in enumerate(_NEW_TUTOR_STEPS):
        phone = f"+55119000009{i}{_QUESTIONS.index((question, intent, expected))}"
        bot = Driver(shop, phone)
        new_tutor_at(bot, step)
        prompt = bot.flow["prompt"]
        bot.say(question, intent, 0.99)
        assert expected in bot.text, (step, bot.text)
        assert bot.flow["step"] == step and bot.flow["prompt"] == prompt, (step, bot.text)
    with Session(shop) as s:
        assert not s.exec(select(Pet).where(Pet.name.contains("?"))).all()
        named_like_question = [t.name for t in s.exec(select(Tutor)).all()
                               if t.name.split()[0] in ("Quanto", "Qual", "Aceita", "Vocês")]
    assert named_like_question == []


def test_thanks_greeting_or_ok_at_the_name_step_ask_again_instead_of_naming_the_tutor(shop):
    bot = Driver(shop, "+5511900000081")
    bot.say("quero agendar um banho", "agendar_banho_tosa", 0.99)
    reply = bot.say("obrigado", "agradecer", 0.99)
    assert bot.text == "Por nada! 😊\nPara começar seu cadastro, qual é o seu nome?"
    bot.say("oi", "cumprimentar", 0.99)  # a greeting here does not restart at the menu
    assert bot.text == "Oi! 😊\nPara começar seu cadastro, qual é o seu nome?"
    bot.say("ok", "afirmar", 0.99)
    assert "não consegui entender seu nome" in bot.text and reply.handoff is None
    assert _tutors_named(shop, "+5511900000081") == []
    bot.say("Glória", "cumprimentar", 0.9)
    assert "Prazer, Glória!" in bot.text
    assert _tutors_named(shop, "+5511900000081") == ["Glória"]


def test_two_non_names_in_a_row_offer_a_person_and_atendente_hands_off_at_once(shop):
    bot = Driver(shop, "+5511900000082")
    bot.say("quero agendar um banho", "agendar_banho_tosa", 0.99)
    bot.say("👍", "afirmar", 0.5)
    reply = bot.say("sim", "afirmar", 0.99)
    # Offered, not handed off: "Falar com atendente" first, then the menu (chatbot.md §4.8).
    assert reply.handoff is None and not any("custom" in m for m in reply.messages)
    assert "não consegui entender" in bot.text and "Falar com atendente" in bot.text
    assert bot.titles[0] == "Falar com atendente" and "Banho e tosa" in bot.titles
    assert bot.titles.count("Falar com atendente") == 1
    assert bot.tap("Falar com atendente").handoff == "não entendeu duas vezes seguidas"
    other = Driver(shop, "+5511900000083")
    other.say("quero agendar um banho", "agendar_banho_tosa", 0.99)
    assert other.say("atendente", "falar_atendente", 0.99).handoff == "pedido do tutor"
    assert _tutors_named(shop, "+5511900000082") == _tutors_named(shop, "+5511900000083") == []


def test_no_to_the_profile_name_asks_for_the_name_without_naming_the_tutor_nao(shop):
    bot = Driver(shop, "+5511900000084", profile_name="Ana Paula")
    bot.say("quero agendar um banho", "agendar_banho_tosa", 0.99)
    bot.say("não", "negar", 0.99)
    assert bot.text == "Tudo bem! Então, qual é o seu nome?" and bot.titles == []
    bot.say("Bia Costa", "informar", 0.5)
    assert _tutors_named(shop, "+5511900000084") == ["Bia Costa"]


def test_thanks_at_the_pet_name_step_is_not_the_pet_s_name(shop):
    tutor, pets = tutor_with_pets(shop, 1)
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    bot.tap("Banho e tosa")
    bot.tap("Outro pet")
    bot.say("valeu", "agradecer", 0.99)
    assert bot.text == "Por nada! 😊\nQual é o nome do seu pet? 🐾"
    bot.say("não", "negar", 0.99)
    assert "não consegui entender o nome do seu pet" in bot.text
    bot.say("Beleza", "afirmar", 0.95)
    assert "Beleza é cão ou gato" in bot.text


def test_a_combo_chosen_in_the_bot_is_booked_as_the_combo_at_its_discounted_price(shop):
    """The bot shows "Banho + Tosa higiênica" 10 % off; the booking keeps that combo and the
    price the tutor was shown, not the items' full prices."""
    from scheduler_core.catalog.offers import services_for_pet

    tutor, [pet] = tutor_with_pets(shop, 1)
    with Session(shop) as s:
        offer = next(c for c in services_for_pet(s, tutor.shop_id, pet.id, channel="bot").combos
                     if c.name == "Banho + Tosa higiênica")
        before = {a.id for a in s.exec(select(Appointment)).all()}
    assert offer.price_cents < offer.full_price_cents
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    bot.tap("Banho e tosa")
    bot.tap(pet.name)
    bot.tap("Banho + Tosa higiênica")
    bot.to_slots()
    bot.say("/informar{\"opcao\":\"slot:0\"}")
    bot.tap("Confirmar")
    assert "Agendamento confirmado" in bot.text, bot.text
    with Session(shop) as s:
        [appt] = [a for a in s.exec(select(Appointment)).all() if a.id not in before]
    assert (appt.pet_id, appt.combo_id, appt.total_cents) == (pet.id, offer.id, offer.price_cents)


def test_the_greeting_asks_how_to_help_once(shop):
    tutor, _ = tutor_with_pets(shop, 1)
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    assert bot.text.lower().count("como posso ajudar") == 1, bot.text
    new = Driver(shop, "+5511900000904")
    new.say("oi", "cumprimentar")
    assert new.text.lower().count("como posso ajudar") == 1, new.text
    assert "cadastro?" not in new.text


def test_nao_obrigado_after_the_menu_is_a_polite_goodbye_not_por_nada(shop):
    tutor, _ = tutor_with_pets(shop, 1)
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    bot.say("não, obrigado", "agradecer")
    assert said(bot.text, "utter_declined") and not said(bot.text, "utter_thanks"), bot.text
    bot.say("valeu!", "agradecer")
    assert said(bot.text, "utter_thanks"), bot.text


def test_a_misunderstanding_at_the_menu_does_not_repeat_the_introduction(shop):
    bot = Driver(shop, "+5511900000905")
    bot.say("oi", "cumprimentar")
    intro = bot.messages[0]["text"].split("\n")[0]
    bot.say("xablau", "fora_de_escopo", 0.3)
    assert "não entendi" in bot.text.lower() and intro not in bot.text, bot.text
    assert "Banho e tosa" in bot.titles


def test_a_social_sentence_varies_between_turns_and_stays_the_same_when_a_turn_is_retried(shop):
    """"Posso ajudar em algo mais?" after each answer is said in more than one way, picked by
    the turn (Rasa retrying the action gets the same words)."""
    from actions.flow import render, responses

    assert len(responses()["utter_menu_again"]) >= 2
    seen = set()
    for n in range(12):
        tutor_phone = f"+55119000007{n:02d}"
        bot = Driver(shop, tutor_phone)
        bot.say("qual o endereço?", "endereco", 0.99)
        again = Driver(shop, tutor_phone)
        again.say("qual o endereço?", "endereco", 0.99)  # the same turn, run again
        assert bot.text == again.text
        seen |= {v for v in responses()["utter_menu_again"] if v in bot.text}
    assert len(seen) >= 2, seen
    assert render("utter_menu_again", 0) != render("utter_menu_again", 1)
