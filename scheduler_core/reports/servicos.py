"""Serviços: ranking by count and revenue, plan vs avulso split, average duration vs the table's.

Date basis: the visit's start (execution), finished or delivered visits. *Avulso* = a line not
covered by a plan. The table's duration is the line's snapshot of the price table; the real
duration of a visit is from its move to "em atendimento" to its move to "finalizado" (status
history), shared among its lines in proportion to their table durations. Lines of visits
without both moves have no real duration.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Float, case, cast, func, type_coerce
from sqlmodel import Session, select

from scheduler_core.agenda.models import AppointmentItem, AppointmentStatus, StatusChange
from scheduler_core.catalog.models import Service
from scheduler_core.db.engine import is_postgres
from scheduler_core.reports import rows
from scheduler_core.reports.period import ReportFilter


@dataclass(frozen=True)
class ServiceLine:
    service_id: int
    name: str
    count: int
    in_plan: int
    revenue_cents: int
    table_min: int  # average of the table's durations
    real_min: int | None  # average measured duration, None when never measured

    @property
    def avulso(self) -> int:
        return self.count - self.in_plan


def _minutes_between(session: Session, began, ended):  # noqa: ANN001, ANN202
    """SQL: the minutes from ``began`` to ``ended`` (UTC timestamps), as a float."""
    if is_postgres(session):
        return cast(func.extract("epoch", ended - began), Float) / 60.0
    return (func.julianday(ended) - func.julianday(began)) * 1440.0


def real_minutes_select(session: Session, f: ReportFilter):  # noqa: ANN201 - a select
    """A select of (visit, minutes from its first "em atendimento" to its first
    "finalizado") for the period's finished or delivered visits with both moves in order."""
    to = StatusChange.to_status
    began = type_coerce(func.min(case((to == AppointmentStatus.EM_ATENDIMENTO,
                                       StatusChange.at))), StatusChange.at.type)
    ended = type_coerce(func.min(case((to == AppointmentStatus.FINALIZADO, StatusChange.at))),
                        StatusChange.at.type)
    return (select(StatusChange.appointment_id.label("visit"),
                   _minutes_between(session, began, ended).label("minutes"))
            .where(StatusChange.appointment_id.in_(rows.done_visit_ids(f)),
                   to.in_((AppointmentStatus.EM_ATENDIMENTO, AppointmentStatus.FINALIZADO)))
            .group_by(StatusChange.appointment_id)
            .having(began.is_not(None), ended.is_not(None), ended >= began))


def real_minutes(session: Session, f: ReportFilter) -> dict[int, float]:
    """{visit: measured minutes} (see :func:`real_minutes_select`)."""
    return {v: float(m) for v, m in
            session.connection().execute(real_minutes_select(session, f)).all()}


def _measured(session: Session, f: ReportFilter, keep: list) -> dict[int, tuple[float, int]]:
    """{service: (Σ its lines' shares of their visits' measured minutes, lines measured)},
    added up by the database: a visit's minutes are shared among its (kept) lines in
    proportion to their table durations."""
    item = AppointmentItem
    real = real_minutes_select(session, f).subquery()
    lines = (rows.line_select(
        f, rows.DONE, item.service_id.label("service"), item.duration_min.label("minutes"),
        real.c.minutes.label("real"),
        func.sum(item.duration_min).over(partition_by=item.appointment_id).label("w"))
        .join(real, real.c.visit == item.appointment_id).where(*keep)).subquery()
    stmt = (select(lines.c.service,
                   func.sum(lines.c.real * lines.c.minutes / cast(lines.c.w, Float)),
                   func.count())
            .where(lines.c.w > 0).group_by(lines.c.service))
    return {svc: (float(m or 0), int(n)) for svc, m, n in session.connection().execute(stmt)}


def servicos(session: Session, f: ReportFilter, *, avulso_only: bool = False
             ) -> list[ServiceLine]:
    """Counts, prices and table minutes summed by the database per service, less the discount
    shares of the discounted visits; the measured duration from the lines of the measured
    visits only, shared and added up by the database too (it was a Python loop over every
    measured visit's lines: bench/reports.py)."""
    item = AppointmentItem
    keep = [item.in_plan.is_(False)] if avulso_only else []
    names = dict(session.connection().execute(select(Service.id, Service.name)).all())
    totals = session.connection().execute(
        rows.line_select(f, rows.DONE, item.service_id, func.count(),
                         func.sum(case((item.in_plan.is_(True), 1), else_=0)),
                         func.sum(item.price_cents), func.sum(item.duration_min))
        .where(*keep).group_by(item.service_id)).all()
    discount: dict[int, int] = defaultdict(int)
    for share in rows.discount_shares(session, f, rows.DONE):
        if not (avulso_only and share.in_plan):
            discount[share.service_id] += share.cents
    measured = _measured(session, f, keep)
    out = []
    for service, count, in_plan, price, table in totals:
        m, n = measured.get(service, (0.0, 0))
        out.append(ServiceLine(service, names.get(service, f"#{service}"), int(count),
                               int(in_plan or 0), int(price or 0) - discount[service],
                               round(int(table) / count), round(m / n) if n else None))
    return sorted(out, key=lambda x: (-x.count, -x.revenue_cents, x.name))
