"""A visit's status move with its history row: the one writer of ``Appointment.status``
(scheduling's visit_status and the plan cancellation in plans/lifecycle call it)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from scheduler_core.agenda.models import Appointment, StatusChange
from scheduler_core.kernel.clock import to_utc


def change_status(
    session: Session, appt: Appointment, to_status: str, now: datetime, actor: str
) -> None:
    """Set the status and log the move in the status history."""
    session.add(
        StatusChange(
            appointment_id=appt.id,
            from_status=str(appt.status or ""),
            to_status=str(to_status),
            at=to_utc(now),
            actor=actor,
        )
    )
    appt.status = str(to_status)
    appt.updated_at = to_utc(now)
