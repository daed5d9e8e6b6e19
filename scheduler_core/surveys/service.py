"""Recording a survey answer. Issue 13 (sending the surveys) calls :func:`record_survey_answer`
when a tutor answers; the demo shop seeds a few through it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentItem
from scheduler_core.kernel.clock import to_utc
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.surveys.models import SurveyAnswer

MIN_SCORE, MAX_SCORE = 1, 5
COMMENT_LIMIT = 1000


def record_survey_answer(session: Session, appointment_id: int, score: int, *, now: datetime,
                         comment: str = "", employee_id: int | None = None) -> SurveyAnswer:
    """Store the tutor's answer about a visit (the caller commits). The tutor is the visit's;
    the employee is ``employee_id`` or the one of the visit's first line. Refuses a score
    outside 1–5 and an unknown visit (pt-BR messages); a second answer for the same visit
    replaces the first."""
    if isinstance(score, bool) or not isinstance(score, int) or not (
            MIN_SCORE <= score <= MAX_SCORE):
        raise ValidationFailed("A nota deve ser um número de 1 a 5.", details={"field": "score"})
    visit = session.get(Appointment, appointment_id)
    if visit is None:
        raise NotFound("Atendimento não encontrado.", details={"appointment_id": appointment_id})
    if employee_id is None:
        employee_id = session.exec(
            select(AppointmentItem.employee_id).where(AppointmentItem.appointment_id == visit.id)
            .order_by(AppointmentItem.position, AppointmentItem.id)).first()
    answer = session.exec(
        select(SurveyAnswer).where(SurveyAnswer.appointment_id == visit.id)).first()
    if answer is None:
        answer = SurveyAnswer(shop_id=visit.shop_id, appointment_id=visit.id,
                              tutor_id=visit.tutor_id, score=score, answered_at=to_utc(now))
    answer.score = score
    answer.comment = (comment or "").strip()[:COMMENT_LIMIT]
    answer.employee_id = employee_id
    answer.answered_at = to_utc(now)
    session.add(answer)
    session.flush()
    return answer


def answers_of_tutor(session: Session, tutor_id: int, *, limit: int = 10) -> list[SurveyAnswer]:
    """The tutor's latest survey answers, newest first (the tutor page shows them)."""
    return list(session.exec(
        select(SurveyAnswer).where(SurveyAnswer.tutor_id == tutor_id)
        .order_by(SurveyAnswer.answered_at.desc(), SurveyAnswer.id.desc()).limit(limit)).all())
