"""Clientes: new and active tutors, returning rate, tutors at risk, birthdays of the month.

Date basis: *novos* by the tutor's registration date; *ativos* = tutors with at least one
finished or delivered visit started in the period (execution); *retorno* = active tutors who
also had such a visit before the period; *em risco* = tutors whose last finished visit is
more than ``risk_days`` before the period's end (reference date, not the clock); birthdays =
tutors born in the month of the period's start. Satisfaction scores are not shown: no survey
is stored yet (nothing to read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import extract, func
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.kernel.clock import to_utc
from scheduler_core.people.models import Tutor
from scheduler_core.reports import rows
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

    @property
    def returning_pct(self) -> float:
        return pct(self.returning_tutors, self.active_tutors)


def active_tutor_ids(session: Session, f: ReportFilter) -> set[int]:
    return {v.tutor_id for v in rows.visits(session, f) if v.status in rows.DONE}


def clientes(session: Session, f: ReportFilter, risk_days: int = RISK_DAYS) -> Clientes:
    lo, hi = f.utc_bounds()
    new = session.connection().execute(
        select(func.count(Tutor.id)).where(Tutor.shop_id == f.shop_id, Tutor.created_at >= lo,
                                           Tutor.created_at < hi)
    ).scalar_one()
    active = active_tutor_ids(session, f)
    done = sorted(rows.DONE)
    cutoff = hi - timedelta(days=risk_days)
    per_tutor = (
        select(Appointment.tutor_id, func.min(Appointment.start) < lo,
               func.max(Appointment.start))
        .where(Appointment.shop_id == f.shop_id, Appointment.status.in_(done),
               Appointment.start < hi)
        .group_by(Appointment.tutor_id)
    )
    before: set[int] = set()
    risky: list[tuple[int, datetime]] = []
    for tutor, was_before, last in session.connection().execute(per_tutor).all():
        if was_before:
            before.add(tutor)
        last = to_utc(last)
        if last < cutoff:
            risky.append((tutor, last))
    risky.sort(key=lambda t: t[1], reverse=True)
    risk_count, shown = len(risky), risky[:LIST_LIMIT]
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
    birthdays = sorted((TutorLine(i, n, w, b) for i, n, w, b in born),
                       key=lambda t: (t.day.day, t.name))
    return Clientes(new_tutors=new, active_tutors=len(active),
                    returning_tutors=len(active & before), at_risk_count=risk_count,
                    at_risk=at_risk, birthdays=birthdays, risk_days=risk_days)


def _tutors(session: Session, ids: list[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    return {i: (n, w) for i, n, w in session.connection().execute(
        select(Tutor.id, Tutor.name, Tutor.whatsapp).where(Tutor.id.in_(ids))).all()}
