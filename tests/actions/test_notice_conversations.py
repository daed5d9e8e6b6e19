"""Replies to notifications through the running engine and action server: the confirmation
request's buttons (/confirmar_agendamento, /remarcar, /cancelar with "agendamento_id") act on
that appointment, typed "confirmo o horário", "parar" and "voltar a receber" are understood by
the NLU and answered; mid pet_form the reply is answered and the form asks again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.kernel.clock import to_utc
from scheduler_core.notifications.optout import is_opted_out
from tests.actions.engine import _TAKEN, NOW, tutor_with_pets
from tests.actions.test_pet_form_conversations import _active_loop

pytestmark = pytest.mark.engine


def _tutor_with_one_upcoming(bot):
    """A demo tutor (not used by another test) whose future visits are all Agendado, the first
    more than a day away (beyond the bot's notice rules): the tutor, that visit, how many."""
    from scheduler_core.people.models import Tutor

    with bot.session() as s:
        for tutor in s.exec(select(Tutor).order_by(Tutor.id)).all():
            if tutor.id in _TAKEN or not tutor.whatsapp or not tutor.allow_bot:
                continue
            rows = s.exec(select(Appointment).where(
                Appointment.tutor_id == tutor.id, Appointment.start > NOW,
                Appointment.status.in_([AppointmentStatus.AGENDADO,
                                        AppointmentStatus.CONFIRMADO]))).all()
            rows = sorted(rows, key=lambda r: r.start)
            if rows and all(r.status == AppointmentStatus.AGENDADO for r in rows) and \
                    to_utc(rows[0].start) > NOW + timedelta(hours=30):
                _TAKEN.add(tutor.id)
                return tutor, rows[0], len(rows)
    # The other engine tests of this process took them all (how many depends on which tests
    # pytest-xdist gave this worker): a tutor of our own, booked through the core.
    return (*_booked_tutor(bot), 1)


def _booked_tutor(bot):
    """A tutor nobody else uses with one Banho booked two days ahead (Agendado)."""
    from scheduler_core.catalog.models import Service
    from scheduler_core.scheduling import booking

    tutor, [pet] = tutor_with_pets(bot, 1)
    with bot.session() as s:
        banho = s.exec(select(Service).where(Service.name == "Banho")).first()
    offer = booking.find_slots(bot.engine, shop_id=tutor.shop_id, pet_id=pet.id,
                               service_ids=[banho.id], date_from=NOW.date() + timedelta(days=2),
                               date_to=NOW.date() + timedelta(days=6), channel="bot", now=NOW,
                               secret="test")
    assert offer.slots, offer.message
    appt = booking.book(bot.engine, token=offer.slots[0].token, now=NOW, secret="test",
                        origin="bot", actor="bot")
    return tutor, appt


def _status(bot, appt_id: int) -> str:
    with bot.session() as s:
        return s.get(Appointment, appt_id).status


def test_the_confirmar_button_confirms_its_appointment(bot, chat_with):
    tutor, appt, _count = _tutor_with_one_upcoming(bot)
    chat = chat_with(tutor.whatsapp)
    chat.say(f'/confirmar_agendamento{{"agendamento_id":"{appt.id}"}}')
    assert "Presença confirmada" in chat.text, chat.log
    assert "Meus agendamentos" in chat.titles and not chat.customs
    assert _status(bot, appt.id) == "confirmado"


def test_the_cancelar_button_asks_about_its_appointment_then_cancels_it(bot, chat_with):
    tutor, appt, _count = _tutor_with_one_upcoming(bot)
    chat = chat_with(tutor.whatsapp)
    chat.say(f'/cancelar{{"agendamento_id":"{appt.id}"}}')
    assert chat.titles == ["Sim, cancelar", "Não"], chat.log
    chat.tap("Sim, cancelar")
    assert _status(bot, appt.id) == "cancelado", chat.log


def test_the_remarcar_button_offers_new_times_for_its_appointment(bot, chat_with):
    tutor, appt, _count = _tutor_with_one_upcoming(bot)
    chat = chat_with(tutor.whatsapp)
    chat.say(f'/remarcar{{"agendamento_id":"{appt.id}"}}')
    assert "Outra data" in chat.titles, chat.log
    assert "Para qual pet" not in chat.text and "Seus próximos agendamentos" not in chat.text


def test_typed_confirmation_and_opt_out_and_back_in(bot, chat_with):
    tutor, appt, count = _tutor_with_one_upcoming(bot)
    chat = chat_with(tutor.whatsapp)
    chat.say("confirmo o horário de amanhã")
    if count > 1:  # several waiting: the tutor picks one
        assert "Qual agendamento você quer confirmar?" in chat.text, chat.log
        assert len(chat.titles) == count
        chat.tap(chat.titles[0])
    assert "Presença confirmada" in chat.text, chat.log
    assert _status(bot, appt.id) == "confirmado"
    chat.say("não quero mais receber mensagens")
    assert "não vai mais receber nossos avisos" in chat.text, chat.log
    with bot.session() as s:
        assert is_opted_out(s, tutor.id)
    chat.say("quero voltar a receber os avisos")
    assert "volta a receber nossos avisos" in chat.text, chat.log
    with bot.session() as s:
        assert not is_opted_out(s, tutor.id)


def test_mid_pet_form_parar_is_answered_and_the_form_asks_again(bot, chat_with):
    chat = chat_with("+5511900000781")
    chat.say("quero agendar um banho")
    chat.say("Helena Prado")
    assert _active_loop(bot, chat.sender) == "pet_form", chat.log
    chat.say("Thor")
    assert "Thor é cão ou gato" in chat.texts[-1], chat.log
    chat.say("não quero mais receber mensagens")
    assert "não vai mais receber nossos avisos" in chat.text, chat.log
    assert "Thor é cão ou gato" in chat.texts[-1], chat.log
    assert _active_loop(bot, chat.sender) == "pet_form"
    chat.tap("Cão")
    assert "raça do Thor" in chat.text, chat.log
