"""Where the demo visits went: each one is moved through the status flow of
:mod:`scheduler_core.scheduling.visit_status` (delivered, no-show, cancelled, confirmed, in
progress) at a moment between its booking and the demo's ``now``, as the staff would have done
it; "Agendado" visits stay as booked."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from scheduler_core.agenda.models import AppointmentStatus
from scheduler_core.demo.agenda import Visit
from scheduler_core.demo.seed import data
from scheduler_core.scheduling import visit_status

S = AppointmentStatus


def move_along(engine: Engine, visits: list[Visit], now: datetime, rng: random.Random) -> None:
    """Apply every visit's drawn status through the status flow, oldest visit first."""
    for visit in sorted(visits, key=lambda v: (v.start, v.appointment_id)):
        _move(engine, visit, now, rng)


def _between(visit: Visit, moment: datetime, now: datetime) -> datetime:
    """``moment`` kept after the booking and not after ``now``."""
    return max(visit.booked_at + timedelta(minutes=1), min(moment, now))


def _move(engine: Engine, visit: Visit, now: datetime, rng: random.Random) -> None:
    appointment_id, actor = visit.appointment_id, f"staff:{visit.employee_id}"
    if visit.status == S.ENTREGUE:
        visit_status.set_status(
            engine, appointment_id=appointment_id, status=S.ENTREGUE,
            now=_between(visit, visit.end + timedelta(minutes=10), now), actor=actor,
        )
    elif visit.status == S.EM_ATENDIMENTO:
        visit_status.set_status(
            engine, appointment_id=appointment_id, status=S.EM_ATENDIMENTO,
            now=_between(visit, visit.start, now), actor=actor,
        )
    elif visit.status == S.CONFIRMADO:
        visit_status.set_status(
            engine, appointment_id=appointment_id, status=S.CONFIRMADO,
            now=_between(visit, visit.start - timedelta(days=1), now), actor=actor,
        )
    elif visit.status == S.NAO_COMPARECEU:
        visit_status.mark_no_show(
            engine, appointment_id=appointment_id,
            now=_between(visit, visit.start + timedelta(minutes=30), now), actor=actor,
        )
    elif visit.status == S.CANCELADO:
        moment = visit.start - timedelta(hours=rng.randrange(2, 48))
        visit_status.cancel(
            engine, appointment_id=appointment_id, now=_between(visit, moment, now),
            actor=actor, channel="staff", reason=rng.choice(data("agenda")["cancel_reasons"]),
        )
