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

from sqlalchemy import case, func, type_coerce
from sqlmodel import Session, select

from scheduler_core.agenda.models import AppointmentItem, AppointmentStatus, StatusChange
from scheduler_core.catalog.models import Service
from scheduler_core.kernel.clock import to_utc
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


def real_minutes(session: Session, f: ReportFilter) -> dict[int, float]:
    """{visit: minutes from its first "em atendimento" to its first "finalizado"} for the
    period's finished or delivered visits with both moves (one row per visit from the database)."""
    to = StatusChange.to_status
    began = func.min(case((to == AppointmentStatus.EM_ATENDIMENTO, StatusChange.at)))
    ended = func.min(case((to == AppointmentStatus.FINALIZADO, StatusChange.at)))
    stmt = (select(StatusChange.appointment_id, type_coerce(began, StatusChange.at.type),
                   type_coerce(ended, StatusChange.at.type))
            .where(StatusChange.appointment_id.in_(rows.done_visit_ids(f)),
                   to.in_((AppointmentStatus.EM_ATENDIMENTO, AppointmentStatus.FINALIZADO)))
            .group_by(StatusChange.appointment_id))
    out = {}
    for visit, start, end in session.connection().execute(stmt).all():
        if start is not None and end is not None and end >= start:
            out[visit] = (to_utc(end) - to_utc(start)).total_seconds() / 60
    return out


def servicos(session: Session, f: ReportFilter, *, avulso_only: bool = False
             ) -> list[ServiceLine]:
    """Counts, prices and table minutes summed by the database per service, less the discount
    shares of the discounted visits; the measured duration from the lines of the measured
    visits only."""
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
    real = real_minutes(session, f)
    measured: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
    if real:
        visit_lines: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for visit, service, minutes in session.connection().execute(
            rows.line_select(f, rows.DONE, item.appointment_id, item.service_id,
                             item.duration_min)
            .where(item.appointment_id.in_(select(StatusChange.appointment_id).where(
                StatusChange.to_status == AppointmentStatus.EM_ATENDIMENTO)), *keep)
            .order_by(item.appointment_id, item.position, item.id)
        ).all():
            if visit in real:
                visit_lines[visit].append((service, minutes))
        for visit, items in visit_lines.items():
            weight = sum(m for _, m in items)
            if not weight:
                continue
            for service, minutes in items:
                acc = measured[service]
                acc[0] += real[visit] * minutes / weight
                acc[1] += 1
    out = []
    for service, count, in_plan, price, table in totals:
        m, n = measured.get(service, (0.0, 0))
        out.append(ServiceLine(service, names.get(service, f"#{service}"), int(count),
                               int(in_plan or 0), int(price or 0) - discount[service],
                               round(int(table) / count), round(m / n) if n else None))
    return sorted(out, key=lambda x: (-x.count, -x.revenue_cents, x.name))
