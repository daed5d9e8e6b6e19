"""The appointments as Rasa forms through the real engine: "Meus agendamentos" is
appointment_form, and what the tutor picks there hands over to cancel_form or reschedule_form,
which the tracker shows with the appointment already filled; an FAQ mid-form is answered and
the question asked again; the last answer ends the form and its action cancels or moves the
appointment; a request for a person ends the form without a change."""

from __future__ import annotations

import pytest

from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.kernel.clock import to_utc
from tests.actions.engine import tutor_with_pets
from tests.actions.test_conversations import _book_one, _moved_on

pytestmark = pytest.mark.engine


def _form(bot, sender: str, prefix: str) -> tuple[str | None, dict, str | None]:
    """The active form, the slots named ``prefix``…, and the question asked."""
    tracker = bot.tracker(sender)
    slots = {k: v for k, v in tracker["slots"].items() if k.startswith(prefix)}
    return ((tracker.get("active_loop") or {}).get("name"), slots,
            tracker["slots"].get("requested_slot"))


def _upcoming(bot, chat_with):
    """A tutor with one appointment booked through the bot, moved 5 days on (past the shop's
    24 h notice for changes)."""
    tutor, pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    appt = _book_one(bot, chat, pets[0].name)
    return chat, _moved_on(bot, appt.id)


def _status(bot, appt_id: int) -> Appointment:
    with bot.session() as s:
        return s.get(Appointment, appt_id)


def test_my_appointments_then_cancel_through_the_forms(bot, chat_with):
    chat, appt = _upcoming(bot, chat_with)
    chat.say("meus agendamentos")
    assert "próximos agendamentos" in chat.text, chat.log
    assert _form(bot, chat.sender, "appointment") == (
        "appointment_form", {"appointment": None, "appointment_action": None}, "appointment")
    chat.say(next(b for b in chat.buttons if f"appt:{appt.id}" in b["payload"])["payload"])
    assert chat.titles == ["Remarcar", "Cancelar", "Voltar"], chat.log
    assert _form(bot, chat.sender, "appointment")[1:] == (
        {"appointment": str(appt.id), "appointment_action": None}, "appointment_action")
    chat.tap("Cancelar")
    assert "Confirma o cancelamento" in chat.text, chat.log
    assert _form(bot, chat.sender, "cancel_") == (
        "cancel_form", {"cancel_appointment": str(appt.id), "cancel_confirmed": None},
        "cancel_confirmed")
    # An FAQ at the confirmation: answered, and the confirmation asked again (once).
    chat.say("qual o endereço de vocês?")
    assert "CEP" in chat.text and chat.text.count("Confirma o cancelamento") == 1, chat.log
    assert _form(bot, chat.sender, "cancel_")[0] == "cancel_form"
    chat.say("sim")
    assert "Agendamento cancelado" in chat.text, chat.log
    assert _status(bot, appt.id).status == AppointmentStatus.CANCELADO
    loop, slots, _ = _form(bot, chat.sender, "cancel_")
    assert loop is None and not any(slots.values())


def test_a_typed_reschedule_is_asked_by_its_form_and_moves_the_appointment(bot, chat_with):
    chat, appt = _upcoming(bot, chat_with)
    chat.say("quero remarcar meu horário")
    loop, slots, asked = _form(bot, chat.sender, "reschedule_")
    assert loop == "reschedule_form", chat.log
    if asked == "reschedule_appointment":  # the demo tutor has other visits booked: which one?
        assert "próximos agendamentos" in chat.text, chat.log
        chat.say(next(b for b in chat.buttons if f"appt:{appt.id}" in b["payload"])["payload"])
        loop, slots, asked = _form(bot, chat.sender, "reschedule_")
    else:  # the only upcoming appointment: no list, the new time is asked at once
        assert "próximos agendamentos" not in chat.text, chat.log
    assert loop == "reschedule_form" and slots["reschedule_appointment"] == str(appt.id)
    assert asked in ("reschedule_period", "reschedule_slot"), chat.log
    if asked == "reschedule_period":
        chat.tap("Tarde")
    chat.tap_index(0)
    assert "Confira a remarcação" in chat.text, chat.log
    _, slots, asked = _form(bot, chat.sender, "reschedule_")
    assert asked == "reschedule_confirmed" and slots["reschedule_slot"]
    chat.tap("Confirmar")
    assert "Remarcado para" in chat.text, chat.log
    moved = _status(bot, appt.id)
    assert moved.status == AppointmentStatus.AGENDADO
    assert to_utc(moved.start) != to_utc(appt.start)
    assert _form(bot, chat.sender, "reschedule_")[0] is None


def test_a_person_asked_for_mid_reschedule_ends_the_form_without_a_change(bot, chat_with):
    chat, appt = _upcoming(bot, chat_with)
    chat.say("meus agendamentos")
    chat.say(next(b for b in chat.buttons if f"appt:{appt.id}" in b["payload"])["payload"])
    chat.tap("Remarcar")
    assert _form(bot, chat.sender, "reschedule_")[0] == "reschedule_form", chat.log
    chat.say("quero falar com um atendente")
    assert chat.customs == [{"handoff": {"reason": "pedido do tutor"}}], chat.log
    assert _form(bot, chat.sender, "reschedule_")[0] is None
    assert to_utc(_status(bot, appt.id).start) == to_utc(appt.start)
