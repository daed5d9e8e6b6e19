"""A tutor answers the confirmation request: Confirmar moves Agendado → Confirmado once (a
second tap changes nothing), only the tutor's own open, future appointments are answered, and a
cancelled, past or started visit gets its pt-BR sentence (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from scheduler_core.kernel.errors import InvalidTransition, NotFound
from scheduler_core.scheduling import confirmation, visit_status
from tests.scheduler_core.booking_helpers import MONDAY, book_at, get_appointment, history
from tests.scheduler_core.factories import NOW, at, build_shop


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


def test_confirm_moves_the_visit_to_confirmado_once(world):
    appt = book_at(world, "10:00")
    done = confirmation.confirm_by_tutor(world.engine, appointment_id=appt.id,
                                         tutor_id=appt.tutor_id, now=NOW)
    assert not done.already and done.appointment.status == "confirmado"
    assert get_appointment(world, appt.id).status == "confirmado"
    again = confirmation.confirm_by_tutor(world.engine, appointment_id=appt.id,
                                          tutor_id=appt.tutor_id, now=NOW)
    assert again.already and again.appointment.status == "confirmado"
    assert history(world, appt.id)[-1] == ("agendado", "confirmado")
    assert history(world, appt.id).count(("agendado", "confirmado")) == 1


def test_only_the_tutor_s_own_appointment_is_answered(world):
    appt = book_at(world, "10:00")
    for appointment_id, tutor_id in ((appt.id, appt.tutor_id + 1000), (appt.id, None),
                                     (appt.id + 1000, appt.tutor_id)):
        with pytest.raises(NotFound) as err:
            confirmation.confirm_by_tutor(world.engine, appointment_id=appointment_id,
                                          tutor_id=tutor_id, now=NOW)
        assert err.value.message == "Não encontrei esse agendamento entre os seus."
    assert get_appointment(world, appt.id).status == "agendado"


def test_a_cancelled_a_past_or_a_started_visit_is_refused_with_its_sentence(world):
    cancelled = book_at(world, "10:00")
    visit_status.cancel(world.engine, appointment_id=cancelled.id, now=NOW, actor="staff:1",
                        channel="staff")
    with pytest.raises(InvalidTransition) as err:
        confirmation.confirm_by_tutor(world.engine, appointment_id=cancelled.id,
                                      tutor_id=cancelled.tutor_id, now=NOW)
    assert err.value.message == "Esse agendamento foi cancelado."

    past = book_at(world, "14:00")
    after = at(MONDAY, "14:00") + timedelta(minutes=1)
    with pytest.raises(InvalidTransition) as err:
        confirmation.confirm_by_tutor(world.engine, appointment_id=past.id,
                                      tutor_id=past.tutor_id, now=after)
    assert err.value.message == "Esse agendamento já passou."
    assert get_appointment(world, past.id).status == "agendado"

    started = book_at(world, "16:00")
    visit_status.set_status(world.engine, appointment_id=started.id, status="recebido",
                            now=NOW, actor="staff:1")
    with pytest.raises(InvalidTransition) as err:
        confirmation.confirm_by_tutor(world.engine, appointment_id=started.id,
                                      tutor_id=started.tutor_id, now=NOW)
    assert err.value.message == "Esse atendimento já começou."
    assert get_appointment(world, started.id).status == "recebido"


def test_awaiting_and_confirmed_ahead_list_future_visits_soonest_first(world):
    late = book_at(world, "16:00")
    early = book_at(world, "10:00")
    confirmed = book_at(world, "14:00")
    confirmation.confirm_by_tutor(world.engine, appointment_id=confirmed.id,
                                  tutor_id=confirmed.tutor_id, now=NOW)
    with Session(world.engine) as s:
        assert [a.id for a in confirmation.awaiting(s, early.tutor_id, NOW)] == [early.id,
                                                                                late.id]
        assert [a.id for a in confirmation.confirmed_ahead(s, early.tutor_id, NOW)] == [
            confirmed.id]
        after_ten = at(MONDAY, "10:30")
        assert [a.id for a in confirmation.awaiting(s, early.tutor_id, after_ten)] == [late.id]
