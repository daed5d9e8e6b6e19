"""Clientes: new and active tutors, returning rate, tutors at risk, birthdays of the month.

Date basis: *novos* by the tutor's registration date; *ativos* = tutors with at least one
finished or delivered visit started in the period (execution); *retorno* = active tutors who
also had such a visit before the period; *em risco* = tutors whose last finished visit is
more than ``risk_days`` before the period's end (reference date, not the clock); birthdays =
tutors born in the month of the period's start; survey scores = the average and count of the
answers about the period's visits (``reports.surveys``; issue 13 writes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, extract, func, type_coerce
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.people.models import Tutor
from scheduler_core.reports import rows, surveys
from scheduler_core.reports.period import ReportFilter, pct

RISK_DAYS = 60
LIST_LIMIT = 200


@dataclass(frozen=True)
class TutorLine:
    tutor_id: int
    name: str
    whatsapp: str
    day: date | None  # last visit (at risk) or birthday (birthdays)
    days_since: int | None = None


@dataclass(frozen=True)
class Clientes:
    new_tutors: int
    active_tutors: int
    returning_tutors: int
    at_risk_count: int
    at_risk: list[TutorLine]
    birthdays: list[TutorLine]
    risk_days: int
    survey_answers: int = 0
    survey_score: float | None = None  # average 1–5

    @property
    def returning_pct(self) -> float:
        return pct(self.returning_tutors, self.active_tutors)


def active_tutor_ids(f: ReportFilter):  # noqa: ANN201 - a SQLAlchemy select of tutor ids
    """The tutors with a finished or delivered visit in the period (segment and employee
    filters apply), as a select for the database to count."""
    return rows.visit_columns(f, Appointment.tutor_id).where(
        Appointment.status.in_(sorted(rows.DONE))).distinct()


def clientes(session: Session, f: ReportFilter, risk_days: int = RISK_DAYS) -> Clientes:
    """Counts by the database; only the listed tutors at risk are read row by row."""
    lo, hi = f.utc_bounds()
    conn = session.connection()
    new = conn.execute(
        select(func.count(Tutor.id)).where(Tutor.shop_id == f.shop_id, Tutor.created_at >= lo,
                                           Tutor.created_at < hi)
    ).scalar_one()
    done = sorted(rows.DONE)
    active = active_tutor_ids(f).subquery()
    before = select(Appointment.tutor_id).where(
        Appointment.shop_id == f.shop_id, Appointment.status.in_(done), Appointment.start < lo)
    active_count, returning = conn.execute(select(
        func.count(), func.coalesce(func.sum(case((active.c.tutor_id.in_(before), 1), else_=0)),
                                    0))).one()
    cutoff = hi - timedelta(days=risk_days)
    last = func.max(Appointment.start)
    risky = (
        select(Appointment.tutor_id, type_coerce(last, Appointment.start.type).label("last"))
        .where(Appointment.shop_id == f.shop_id, Appointment.status.in_(done),
               Appointment.start < hi)
        .group_by(Appointment.tutor_id)
        .having(last < cutoff)
    )
    risk_count = conn.execute(select(func.count()).select_from(risky.subquery())).scalar_one()
    shown = conn.execute(
        risky.order_by(last.desc(), Appointment.tutor_id).limit(LIST_LIMIT)).all()
    people = _tutors(session, [t for t, _ in shown])
    at_risk = [
        TutorLine(t, *people.get(t, ("", "")), f.local_date(at),
                  (f.end - f.local_date(at)).days)
        for t, at in shown
    ]
    born = session.connection().execute(
        select(Tutor.id, Tutor.name, Tutor.whatsapp, Tutor.birth_date)
        .where(Tutor.shop_id == f.shop_id, Tutor.birth_date.is_not(None),
               extract("month", Tutor.birth_date) == f.start.month)
        .limit(LIST_LIMIT)
    ).all()
    score = surveys.shop_score(session, f)
    birthdays = sorted((TutorLine(i, n, w, b) for i, n, w, b in born),
                       key=lambda t: (t.day.day, t.name))
    return Clientes(new_tutors=new, active_tutors=int(active_count),
                    returning_tutors=int(returning), at_risk_count=int(risk_count),
                    at_risk=at_risk, birthdays=birthdays, risk_days=risk_days,
                    survey_answers=score.count, survey_score=score.average)


def _tutors(session: Session, ids: list[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    return {i: (n, w) for i, n, w in session.connection().execute(
        select(Tutor.id, Tutor.name, Tutor.whatsapp).where(Tutor.id.in_(ids))).all()}
