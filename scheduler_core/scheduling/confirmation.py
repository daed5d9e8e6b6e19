"""A tutor's answers to the confirmation request sent before a visit (spec/chatbot.md §13: the
message carries Confirmar / Remarcar / Cancelar buttons naming the appointment; "Confirm sets the
status to Confirmed; Reschedule and Cancel enter the flows of §7.1 with the same checks").

- :func:`open_for_tutor`: the appointment a notification's button names, when the tutor may
  still act on it from the bot: one of the tutor's own, Agendado or Confirmado, not started.
  Another tutor's appointment is :class:`NotFound`, the same answer as an id that does not
  exist (a forged id tells nothing). Otherwise :class:`InvalidTransition` with the pt-BR
  sentence the bot sends as it is.
- :func:`confirm_by_tutor`: Agendado → Confirmado through
  :func:`scheduler_core.scheduling.visit_status.set_status` (status history and audit entry,
  actor ``bot``). Confirming again changes nothing (``already``): a tutor who taps twice, or a
  retried turn, gets the same friendly answer.
- :func:`awaiting`: the tutor's visits still waiting for a confirmation (future, Agendado),
  soonest first, for a typed "confirmo o horário" without a button; :func:`confirmed_ahead`,
  those already confirmed (nothing left to confirm: the tutor is told they are).

Decision: the minimum notice of the bot's reschedule/cancel rules does not apply to confirming
(confirming frees or moves nothing); a visit that already started cannot be confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.kernel.clock import to_utc
from scheduler_core.kernel.errors import InvalidTransition, NotFound
from scheduler_core.scheduling import visit_status
from scheduler_core.scheduling.booking_support import require_aware

S = AppointmentStatus

CANCELLED_TEXT = "Esse agendamento foi cancelado."
PAST_TEXT = "Esse agendamento já passou."
STARTED_TEXT = "Esse atendimento já começou."


@dataclass(frozen=True)
class Confirmed:
    appointment: Appointment
    already: bool  # it was confirmed before this answer


def open_for_tutor(session: Session, *, appointment_id: int, tutor_id: int | None,
                   now: datetime) -> Appointment:
    """The tutor's appointment ``appointment_id`` if it is still open to the tutor's answer
    (see the module docstring); else :class:`NotFound` or :class:`InvalidTransition`."""
    require_aware(now)
    appt = session.get(Appointment, appointment_id) if appointment_id is not None else None
    if appt is None or tutor_id is None or appt.tutor_id != tutor_id:
        raise NotFound("Não encontrei esse agendamento entre os seus.",
                       details={"appointment_id": appointment_id})
    if appt.status == S.CANCELADO:
        raise InvalidTransition(CANCELLED_TEXT, details={"status": appt.status})
    if appt.status == S.NAO_COMPARECEU or to_utc(appt.start) <= to_utc(now):
        raise InvalidTransition(PAST_TEXT, details={"status": appt.status})
    if appt.status not in visit_status.OPEN_STATUSES:
        raise InvalidTransition(STARTED_TEXT, details={"status": appt.status})
    return appt


def confirm_by_tutor(engine: Engine, *, appointment_id: int, tutor_id: int | None,
                     now: datetime, actor: str = "bot") -> Confirmed:
    """The tutor confirms the visit (the Confirmar button or a typed confirmation)."""
    with Session(engine, expire_on_commit=False) as session:
        appt = open_for_tutor(session, appointment_id=appointment_id, tutor_id=tutor_id,
                              now=now)
        if appt.status == S.CONFIRMADO:
            return Confirmed(appt, already=True)
    # set_status locks the row and checks the status again (a cancellation in between wins).
    appt = visit_status.set_status(engine, appointment_id=appointment_id, status=S.CONFIRMADO,
                                   now=now, actor=actor)
    return Confirmed(appt, already=False)


def awaiting(session: Session, tutor_id: int, now: datetime) -> list[Appointment]:
    """The tutor's future Agendado visits (waiting for a confirmation), soonest first."""
    return _ahead(session, tutor_id, now, S.AGENDADO)


def confirmed_ahead(session: Session, tutor_id: int, now: datetime) -> list[Appointment]:
    """The tutor's future visits already Confirmado, soonest first (a typed "confirmo" with
    nothing left to confirm is told these are confirmed)."""
    return _ahead(session, tutor_id, now, S.CONFIRMADO)


def _ahead(session: Session, tutor_id: int, now: datetime, status: str) -> list[Appointment]:
    require_aware(now)
    return list(session.exec(
        select(Appointment).where(Appointment.tutor_id == tutor_id,
                                  Appointment.status == status,
                                  Appointment.start > to_utc(now))
        .order_by(Appointment.start, Appointment.id)
    ).all())
