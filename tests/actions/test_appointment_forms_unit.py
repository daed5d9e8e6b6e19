"""The appointment forms' steps called directly (no engine), Rasa's part played by FormDriver:
"Meus agendamentos" (appointment_form) lists the tutor's upcoming appointments and asks what to
do with the one picked, then hands over to cancel_form or reschedule_form with the appointment
filled; a message or a notification that names the appointment starts those forms past that
question; their last answer completes them and the finishing action cancels or moves the
appointment, once even when Rasa retries the call."""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml
from sqlmodel import Session

from actions.flow import (
    APPOINTMENT_FORM,
    APPOINTMENT_SLOTS,
    CANCEL_FORM,
    CANCEL_SLOTS,
    RESCHEDULE_FORM,
    RESCHEDULE_SLOTS,
    SKIPPED,
    finish_form,
    form_slots,
)
from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.kernel.clock import to_utc

from .chat import NOW, SECRET, FormDriver, turn_of
from .test_notice_replies import _tutor_with_upcoming
from .test_pet_form_unit import ROOT


@pytest.fixture
def shop(demo_sqlite):
    return demo_sqlite(NOW)


def _appointment(engine, appt_id: int) -> Appointment:
    with Session(engine) as s:
        return s.get(Appointment, appt_id)


def _row_of(chat: FormDriver, appt_id: int) -> str:
    return next(b["payload"] for m in chat.messages for b in m.get("buttons") or []
                if b["payload"].endswith(f'appt:{appt_id}"}}'))


def _at_the_actions(engine) -> tuple[FormDriver, Appointment]:
    """"Meus agendamentos", the tutor's only upcoming appointment picked: Remarcar/Cancelar."""
    tutor, rows = _tutor_with_upcoming(engine)
    chat = FormDriver(engine, tutor.whatsapp)
    chat.say("meus agendamentos", "meus_agendamentos", 0.99)
    assert chat.form == APPOINTMENT_FORM and "próximos agendamentos" in chat.text, chat.text
    assert form_slots(chat.flow, APPOINTMENT_FORM) == {"appointment": None,
                                                       "appointment_action": None}
    chat.say(_row_of(chat, rows[0].id))
    assert chat.form == APPOINTMENT_FORM and chat.titles == ["Remarcar", "Cancelar", "Voltar"]
    assert form_slots(chat.flow, APPOINTMENT_FORM) == {"appointment": str(rows[0].id),
                                                       "appointment_action": None}
    return chat, rows[0]


def test_my_appointments_hands_over_to_the_cancel_form_which_cancels(shop):
    chat, appt = _at_the_actions(shop)
    chat.tap("Cancelar")
    assert chat.form == CANCEL_FORM and "Confirma o cancelamento" in chat.text, chat.text
    # The appointment picked in "Meus agendamentos" is the cancel form's first answer.
    assert form_slots(chat.flow, CANCEL_FORM) == {"cancel_appointment": str(appt.id),
                                                  "cancel_confirmed": None}
    chat.tap("Sim, cancelar")
    assert chat.form is None and "Agendamento cancelado" in chat.text, chat.text
    assert chat.flow["step"] == "menu"
    assert _appointment(shop, appt.id).status == AppointmentStatus.CANCELADO


def test_sim_pode_cancelar_read_as_a_cancel_request_still_confirms_the_cancellation(shop):
    """The NLU reads "sim, pode cancelar" as the intent cancelar: at the confirmation it is the
    answer (it matches "Sim, cancelar"), not a new cancel request."""
    chat, appt = _at_the_actions(shop)
    chat.tap("Cancelar")
    chat.say("sim, pode cancelar", "cancelar", 0.99)
    assert not chat.interrupted and "Agendamento cancelado" in chat.text, chat.text
    assert _appointment(shop, appt.id).status == AppointmentStatus.CANCELADO


def test_no_at_the_cancel_confirmation_keeps_the_appointment(shop):
    chat, appt = _at_the_actions(shop)
    chat.tap("Cancelar")
    chat.tap("Não")
    assert chat.form is None and chat.flow["step"] == "menu", chat.text
    assert _appointment(shop, appt.id).status == AppointmentStatus.AGENDADO


def test_back_ends_the_appointment_form_at_the_menu(shop):
    chat, appt = _at_the_actions(shop)
    chat.tap("Voltar")
    assert chat.form is None and chat.flow["step"] == "menu" and "Banho e tosa" in chat.titles
    assert _appointment(shop, appt.id).status == AppointmentStatus.AGENDADO


def test_a_typed_cancel_of_the_only_appointment_asks_only_the_confirmation(shop):
    tutor, rows = _tutor_with_upcoming(shop)
    chat = FormDriver(shop, tutor.whatsapp)
    chat.say("quero cancelar meu agendamento", "cancelar", 0.99)
    assert chat.form == CANCEL_FORM and "Confirma o cancelamento" in chat.text, chat.text
    assert "próximos agendamentos" not in chat.text
    assert form_slots(chat.flow, CANCEL_FORM)["cancel_appointment"] == str(rows[0].id)
    chat.say("sim", "afirmar", 0.99)
    assert _appointment(shop, rows[0].id).status == AppointmentStatus.CANCELADO


def test_a_notification_s_cancel_button_starts_the_cancel_form_at_the_confirmation(shop):
    tutor, rows = _tutor_with_upcoming(shop)
    chat = FormDriver(shop, tutor.whatsapp)
    chat.say(f'/cancelar{{"agendamento_id":"{rows[0].id}"}}')
    assert chat.form == CANCEL_FORM and "Confirma o cancelamento" in chat.text, chat.text
    chat.tap("Sim, cancelar")
    assert _appointment(shop, rows[0].id).status == AppointmentStatus.CANCELADO


def test_a_retried_cancel_action_cancels_once(shop):
    chat, appt = _at_the_actions(shop)
    chat.tap("Cancelar")
    chat.form = None  # play the form's last answer by hand, then its action twice
    reply = chat.say("sim", "afirmar", 0.99)
    assert _appointment(shop, appt.id).status == AppointmentStatus.CANCELADO
    # Rasa retries action_cancel_appointment with the same tracker: the same answer, no error.
    done = {**reply.flow, "step": "cancel_done", "appt_id": appt.id, "mode": "cancel"}
    again = finish_form(shop, turn_of("sim", "afirmar", 0.99, phone=chat.phone, now=NOW),
                        done, SECRET)
    assert "Agendamento cancelado" in " ".join(m.get("text", "") for m in again.messages)


def test_the_reschedule_form_finds_a_new_time_and_moves_the_appointment(shop):
    chat, appt = _at_the_actions(shop)
    chat.tap("Remarcar")
    assert chat.form == RESCHEDULE_FORM, chat.text
    slots = form_slots(chat.flow, RESCHEDULE_FORM)
    assert slots["reschedule_appointment"] == str(appt.id)
    if chat.flow["step"] == "period":
        chat.tap("Tarde")
        assert form_slots(chat.flow, RESCHEDULE_FORM)["reschedule_period"] == "tarde"
    else:  # few free times: the list at once, the period question skipped
        assert slots["reschedule_period"] == SKIPPED and chat.flow["step"] == "slot"
    chat.say('/informar{"opcao":"slot:0"}')
    assert "Confira a remarcação" in chat.text, chat.text
    slots = form_slots(chat.flow, RESCHEDULE_FORM)
    assert slots["reschedule_slot"] and slots["reschedule_confirmed"] is None
    new_start = datetime.fromisoformat(slots["reschedule_slot"])
    chat.tap("Confirmar")
    assert chat.form is None and "Remarcado para" in chat.text, chat.text
    moved = _appointment(shop, appt.id)
    assert moved.status == AppointmentStatus.AGENDADO
    assert to_utc(moved.start) == to_utc(new_start) != to_utc(appt.start)


def test_cancel_at_the_reschedule_summary_keeps_the_old_time(shop):
    chat, appt = _at_the_actions(shop)
    chat.tap("Remarcar")
    if chat.flow["step"] == "period":
        chat.tap("Manhã")
    chat.say('/informar{"opcao":"slot:0"}')
    chat.tap("Cancelar")
    assert chat.form is None and chat.flow["step"] == "menu", chat.text
    assert to_utc(_appointment(shop, appt.id).start) == to_utc(appt.start)


def test_an_faq_mid_cancel_is_answered_and_the_confirmation_asked_again(shop):
    chat, _ = _at_the_actions(shop)
    chat.tap("Cancelar")
    chat.say("qual o endereço de vocês?", "endereco", 0.99)
    assert chat.interrupted and chat.form == CANCEL_FORM
    assert "Confirma o cancelamento" in chat.messages[-1]["text"], chat.text
    assert len(chat.messages) == 2  # the answer, then the question once


def test_a_person_asked_for_mid_reschedule_hands_off_and_ends_the_form(shop):
    chat, appt = _at_the_actions(shop)
    chat.tap("Remarcar")
    chat.say("quero falar com uma pessoa", "falar_atendente", 0.99)
    assert chat.interrupted and chat.form is None and chat.handoff is not None
    assert to_utc(_appointment(shop, appt.id).start) == to_utc(appt.start)


@pytest.mark.parametrize("form, slots", [(APPOINTMENT_FORM, APPOINTMENT_SLOTS),
                                         (CANCEL_FORM, CANCEL_SLOTS),
                                         (RESCHEDULE_FORM, RESCHEDULE_SLOTS)])
def test_the_domain_declares_each_appointment_form_s_slots_in_the_flow_s_order(form, slots):
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert domain["forms"][form]["required_slots"] == list(slots.values())
    for slot in slots.values():
        assert f"action_ask_{slot}" in domain["actions"]
        assert domain["slots"][slot]["mappings"][0]["conditions"] == [
            {"active_loop": form, "requested_slot": slot}]
    assert f"validate_{form}" in domain["actions"]


def test_a_question_the_flow_skipped_holds_the_skip_mark():
    flow = {"mode": "reschedule", "step": "confirm", "appt_id": 7,
            "chosen": {"start": "2026-12-09T15:00:00-03:00"}}
    assert form_slots(flow, RESCHEDULE_FORM) == {
        "reschedule_appointment": "7", "reschedule_period": SKIPPED,
        "reschedule_slot": "2026-12-09T15:00:00-03:00", "reschedule_confirmed": None}
