"""The full booking flow typed into the simulator's chat page, in real Chromium, against the
real engine and action server (the ``bot`` fixture of tests/actions/engine.py).

Path: Chromium → /simulador/api/enviar → signed webhook → gateway → Rasa REST → actions →
scheduler_core → reply rendered as WhatsApp buttons/lists → Graph API (simulator) → page.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.config import SIM_PHONE_ID  # noqa: F401  (the page talks on the simulator's number)
from scheduler_core.agenda.models import Appointment
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.db.engine import write_session
from scheduler_core.people.models import Pet, Tutor
from tests.actions.engine import _TAKEN, NOW

from .conftest import Clock, FakeRasa, start_wa, stop_wa
from .test_simulator_page import ChatPage, _launch

pytestmark = [pytest.mark.engine, pytest.mark.browser]

PHONE = "+5511955550123"


async def test_full_booking_flow_in_chromium_through_the_simulator(bot):
    clock = Clock()
    clock.now = NOW
    with write_session(bot.engine) as s:
        settings = s.get(BotSettings, 1)
        old_mode = settings.mode
        settings.mode = "simulation"
        s.add(settings)
    engine_ref = FakeRasa(url=bot.rasa_url)  # no fake: the real engine's URL
    wa = await start_wa(bot.engine, bot.db_url, engine_ref, clock, shop_id=1)
    pw, browser = await _launch()
    try:
        chat = ChatPage(await browser.new_page())
        await chat.open(wa.url, "Mariana Teste", PHONE)
        await chat.say("quero agendar um horário", "qual é o seu nome")
        await chat.say("Mariana Teste", "nome do seu pet")
        await chat.say("Pipoca", "cão ou gato")
        await chat.say("cachorro", "raça")
        await chat.say("shih")
        assert "Shih Tzu" in await chat.choices()
        await chat.tap("Shih Tzu", "porte")
        await chat.tap("Pequeno", "pelagem")
        await chat.say("longa", "Qual serviço")
        await chat.tap("Banho")
        for _ in range(6):
            titles = await chat.choices()
            if "Não, obrigado" in titles and "Sim, quero" not in titles:
                await chat.tap("Não, obrigado")
            elif "Não, eu levo" in titles:
                await chat.tap("Não, eu levo")
            elif "Tanto faz" in titles:
                await chat.tap("Tanto faz")
            elif "Manhã" in titles:
                await chat.tap("Tarde")
            else:
                break
        slots = await chat.choices()
        assert "Outra data" in slots, await chat.transcript()
        await chat.tap(slots[0], "Confira o agendamento")
        await chat.tap("Confirmar", "Agendamento confirmado")
        with Session(bot.engine) as s:
            tutor = s.exec(select(Tutor).where(Tutor.whatsapp == PHONE)).one()
            _TAKEN.add(tutor.id)  # keep the bot tests' tutor picker away from this one
            pet = s.exec(select(Pet).where(Pet.tutor_id == tutor.id)).one()
            [appt] = s.exec(select(Appointment).where(Appointment.tutor_id == tutor.id)).all()
        assert (tutor.name, pet.name) == ("Mariana Teste", "Pipoca")
        assert appt.origin == "bot" and appt.status == "agendado" and appt.pet_id == pet.id
    finally:
        await browser.close()
        await pw.stop()
        await stop_wa(wa)
        with write_session(bot.engine) as s:
            settings = s.get(BotSettings, 1)
            settings.mode = old_mode
            s.add(settings)
