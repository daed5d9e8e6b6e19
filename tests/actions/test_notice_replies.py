"""Replies to notifications, the dialogue called directly (no engine): the confirmation
request's buttons (/confirmar_agendamento, /remarcar, /cancelar with "agendamento_id") act on
THAT appointment, "confirmo o horário" typed confirms the one waiting, "parar" / "voltar a
receber" switch the tutor's notifications off / on; mid-flow the question is asked again."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentStatus, StatusChange
from scheduler_core.kernel.clock import to_utc
from scheduler_core.notifications.optout import is_opted_out
from scheduler_core.people.models import Pet, PetStatus, Tutor
from scheduler_core.scheduling import visit_status

from .chat import NOW, Driver


class Chat(Driver):
    def __init__(self, engine, phone: str | None, *, now: datetime = NOW, shop_id: int = 1) -> None:
        super().__init__(engine, phone, now, shop_id=shop_id)

    def say(self, text: str, intent: str | None = None, confidence: float = 0.99):
        return super().say(text, intent, confidence)

    def button(self, kind: str, appt_id: int):
        return self.say(f'/{kind}{{"agendamento_id":"{appt_id}"}}')


@pytest.fixture
def shop(demo_sqlite):
    return demo_sqlite(NOW)


def _status(engine, appt_id: int) -> str:
    with Session(engine) as s:
        return s.get(Appointment, appt_id).status


def _tutor_with_upcoming(engine, *, min_hours: int = 30, count: int = 1):
    """A tutor on WhatsApp with exactly ``count`` future Agendado visits, the first at least
    ``min_hours`` away (beyond the bot's notice rules)."""
    with Session(engine) as s:
        for tutor in s.exec(select(Tutor).order_by(Tutor.id)).all():
            if not tutor.whatsapp or not tutor.allow_bot:
                continue
            rows = s.exec(select(Appointment).where(
                Appointment.tutor_id == tutor.id, Appointment.start > NOW,
                Appointment.status.in_([AppointmentStatus.AGENDADO,
                                        AppointmentStatus.CONFIRMADO]))
                .order_by(Appointment.start)).all()
            if len(rows) == count and all(r.status == AppointmentStatus.AGENDADO for r in rows) \
                    and to_utc(rows[0].start) >= NOW + timedelta(hours=min_hours):
                return tutor, rows
    pytest.fail("the demo shop has no such tutor: the demo data changed under this test")


def _book_for(engine, tutor: Tutor) -> int:
    """A future Agendado visit for the tutor, booked through the bot's own booking action."""
    chat = Chat(engine, tutor.whatsapp)
    chat.say("oi", "cumprimentar")
    chat.tap("Banho e tosa")
    with Session(engine) as s:
        pets = s.exec(select(Pet).where(Pet.tutor_id == tutor.id,
                                        Pet.status != PetStatus.FALECIDO)).all()
    if "Para qual pet" in chat.text:
        chat.tap(pets[0].name)
    chat.tap(chat.titles[0])  # the first service
    for _ in range(5):
        for title in ("Não, obrigado", "Não, eu levo", "Tanto faz", "Tarde"):
            if title in chat.titles:
                chat.tap(title)
                break
    chat.tap(chat.titles[0])
    chat.tap("Confirmar")
    assert "Agendamento confirmado!" in chat.text, chat.text  # booked (status Agendado)
    with Session(engine) as s:
        return s.exec(select(Appointment.id).where(Appointment.tutor_id == tutor.id)
                      .order_by(Appointment.id.desc())).first()


def test_confirmar_confirms_that_appointment_once_and_shows_the_menu(shop):
    tutor, rows = _tutor_with_upcoming(shop)
    chat = Chat(shop, tutor.whatsapp)
    chat.button("confirmar_agendamento", rows[0].id)
    assert "Presença confirmada" in chat.text, chat.text
    assert "Meus agendamentos" in chat.titles and chat.handoff is None
    assert _status(shop, rows[0].id) == "confirmado"
    chat.button("confirmar_agendamento", rows[0].id)  # tapped again: the same answer
    assert "Presença confirmada" in chat.text, chat.text
    with Session(shop) as s:
        changes = s.exec(select(StatusChange).where(
            StatusChange.appointment_id == rows[0].id,
            StatusChange.to_status == "confirmado")).all()
    assert len(changes) == 1


def test_confirmar_on_another_tutor_s_or_a_cancelled_or_bogus_appointment(shop):
    tutor, rows = _tutor_with_upcoming(shop)
    other = Chat(shop, "+5511955550001")  # not the tutor: no registration
    other.button("confirmar_agendamento", rows[0].id)
    assert "Não encontrei esse agendamento entre os seus." in other.text, other.text
    assert _status(shop, rows[0].id) == "agendado"
    chat = Chat(shop, tutor.whatsapp)
    chat.say('/confirmar_agendamento{"agendamento_id":"99999999999999999999"}')
    # A bogus id is no id: read as a typed confirmation (the tutor's only waiting visit).
    assert "Presença confirmada" in chat.text, chat.text
    visit_status.cancel(shop, appointment_id=rows[0].id, now=NOW, actor="staff:1",
                        channel="staff")
    chat.button("confirmar_agendamento", rows[0].id)
    assert "Esse agendamento foi cancelado." in chat.text, chat.text
    assert "Meus agendamentos" in chat.titles


def test_cancelar_on_the_notification_asks_to_confirm_that_appointment_then_cancels(shop):
    tutor, rows = _tutor_with_upcoming(shop)
    chat = Chat(shop, tutor.whatsapp)
    chat.button("cancelar", rows[0].id)
    assert chat.titles == ["Sim, cancelar", "Não"], chat.text
    chat.tap("Sim, cancelar")
    assert _status(shop, rows[0].id) == "cancelado", chat.text
    assert "cancelado" in chat.text.lower()


def test_remarcar_on_the_notification_offers_new_times_for_that_appointment(shop):
    tutor, rows = _tutor_with_upcoming(shop)
    chat = Chat(shop, tutor.whatsapp)
    chat.button("remarcar", rows[0].id)
    assert chat.flow.get("mode") == "reschedule" and chat.flow["appt_id"] == rows[0].id, \
        chat.text
    assert chat.flow["step"] in ("slot", "period"), chat.text
    assert "Outra data" in chat.titles


def test_a_typed_confirmation_confirms_the_one_waiting_or_asks_which(shop):
    tutor, rows = _tutor_with_upcoming(shop)
    chat = Chat(shop, tutor.whatsapp)
    chat.say("confirmo o horário de amanhã", "confirmar_agendamento", 0.97)
    assert "Presença confirmada" in chat.text and _status(shop, rows[0].id) == "confirmado"
    chat.say("confirmo o agendamento", "confirmar_agendamento", 0.97)
    assert "já estão confirmados" in chat.text and "Presença confirmada" not in chat.text
    stranger = Chat(shop, "+5511955550003")
    stranger.say("confirmo o agendamento", "confirmar_agendamento", 0.97)
    assert "Não encontrei nenhum agendamento seu esperando confirmação" in stranger.text

    second = _book_for(shop, tutor)
    third = _book_for(shop, tutor)
    chat = Chat(shop, tutor.whatsapp)
    chat.say("quero confirmar meu horário", "confirmar_agendamento", 0.97)
    assert "Qual agendamento você quer confirmar?" in chat.text, chat.text
    assert len(chat.titles) == 2
    chat.tap(chat.titles[1])
    assert "Presença confirmada" in chat.text, chat.text
    assert sorted([_status(shop, second), _status(shop, third)]) == ["agendado", "confirmado"]


def test_parar_and_voltar_a_receber_switch_the_tutor_s_notifications(shop):
    tutor, _rows = _tutor_with_upcoming(shop)
    chat = Chat(shop, tutor.whatsapp)
    chat.say("não quero mais receber", "parar_notificacoes", 0.95)
    assert "não vai mais receber nossos avisos" in chat.text, chat.text
    with Session(shop) as s:
        assert is_opted_out(s, tutor.id)
    chat.say("voltar a receber", "voltar_notificacoes", 0.95)
    assert "volta a receber nossos avisos" in chat.text, chat.text
    with Session(shop) as s:
        assert not is_opted_out(s, tutor.id)
    stranger = Chat(shop, "+5511955550002")
    stranger.say("parar", "parar_notificacoes", 0.95)
    assert "Não encontrei um cadastro com este número" in stranger.text


def test_mid_booking_a_notification_reply_is_answered_and_the_question_asked_again(shop):
    tutor, rows = _tutor_with_upcoming(shop)
    chat = Chat(shop, tutor.whatsapp)
    chat.say("oi", "cumprimentar")
    chat.tap("Banho e tosa")
    with Session(shop) as s:
        pets = s.exec(select(Pet).where(Pet.tutor_id == tutor.id,
                                        Pet.status != PetStatus.FALECIDO)).all()
    if "Para qual pet" in chat.text:
        chat.tap(pets[0].name)
    assert "Qual serviço" in chat.text, chat.text
    step = chat.flow["step"]
    chat.button("confirmar_agendamento", rows[0].id)
    assert "Presença confirmada" in chat.text and "Qual serviço" in chat.text, chat.text
    assert chat.flow["step"] == step
    chat.say("parar", "parar_notificacoes", 0.95)
    assert "não vai mais receber" in chat.text and "Qual serviço" in chat.text, chat.text
    assert chat.flow["step"] == step


def test_sim_or_confirmo_at_the_booking_summary_still_books_not_confirms_another(shop):
    tutor, rows = _tutor_with_upcoming(shop)
    chat = Chat(shop, tutor.whatsapp)
    chat.say("oi", "cumprimentar")
    chat.tap("Banho e tosa")
    with Session(shop) as s:
        pets = s.exec(select(Pet).where(Pet.tutor_id == tutor.id,
                                        Pet.status != PetStatus.FALECIDO)).all()
    if "Para qual pet" in chat.text:
        chat.tap(pets[0].name)
    chat.tap(chat.titles[0])
    for _ in range(5):
        for title in ("Não, obrigado", "Não, eu levo", "Tanto faz", "Tarde"):
            if title in chat.titles:
                chat.tap(title)
                break
    chat.tap(chat.titles[0])
    assert "Confirmar" in chat.titles, chat.text
    chat.say("confirmo", "confirmar_agendamento", 0.9)
    assert chat.flow.get("step") != "confirm", chat.text
    assert _status(shop, rows[0].id) == "agendado"  # the other visit is untouched
    with Session(shop) as s:
        newest = s.exec(select(Appointment).where(Appointment.tutor_id == tutor.id)
                        .order_by(Appointment.id.desc())).first()
    assert newest.id != rows[0].id and newest.origin == "bot"


def test_mid_pet_form_a_notification_reply_is_answered_and_the_form_asks_again(shop):
    """pet_form rejects the turn (Rasa's rules give it to action_petbot, which answers), the
    form asks its question again; the probe of the rules wrote nothing (one status change)."""
    from tests.actions.chat import FormDriver

    class Driver(FormDriver):
        def _turn(self, text, intent, confidence):
            turn = super()._turn(text, intent, confidence)
            match = re.fullmatch(r"/(\w+)(\{.*\})?", text)
            if match:
                turn.entities = {k: str(v) for k, v in json.loads(match.group(2) or "{}").items()
                                 if k != "opcao"}
                turn.confidence = 1.0
            return turn

    tutor, rows = _tutor_with_upcoming(shop)
    chat = Driver(shop, tutor.whatsapp)
    chat.say("oi", "cumprimentar", 0.99)
    chat.tap("Banho e tosa")
    chat.tap("Outro pet")
    assert chat.form_active, chat.text
    chat.say("Pipoca")
    assert "Pipoca é cão ou gato" in chat.text, chat.text
    chat.say(f'/confirmar_agendamento{{"agendamento_id":"{rows[0].id}"}}')
    assert chat.interrupted and chat.form_active
    assert chat.text.count("Presença confirmada") == 1, chat.text
    assert "Pipoca é cão ou gato" in chat.messages[-1]["text"], chat.text
    with Session(shop) as s:
        changes = s.exec(select(StatusChange).where(
            StatusChange.appointment_id == rows[0].id,
            StatusChange.to_status == "confirmado")).all()
    assert len(changes) == 1
    chat.say("não quero mais receber mensagens", "parar_notificacoes", 0.97)
    assert chat.interrupted and chat.form_active and "não vai mais receber" in chat.text
    assert "Pipoca é cão ou gato" in chat.messages[-1]["text"], chat.text
    with Session(shop) as s:
        assert is_opted_out(s, tutor.id)
    chat.tap("Cão")
    assert "raça da Pipoca" in chat.text or "raça do Pipoca" in chat.text, chat.text
