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
from datetime import datetime

from sqlmodel import Session, select

from scheduler_core.agenda.models import AppointmentStatus, StatusChange
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
    """{visit: minutes from "em atendimento" to "finalizado"} for the period's finished or
    delivered visits with both moves."""
    began: dict[int, datetime] = {}
    ended: dict[int, datetime] = {}
    wanted = (AppointmentStatus.EM_ATENDIMENTO, AppointmentStatus.FINALIZADO)
    for aid, to, at in session.connection().execute(
        select(StatusChange.appointment_id, StatusChange.to_status, StatusChange.at)
        .where(StatusChange.appointment_id.in_(rows.done_visit_ids(f)),
               StatusChange.to_status.in_(wanted))
        .order_by(StatusChange.at)
    ).all():
        target = began if to == AppointmentStatus.EM_ATENDIMENTO else ended
        target.setdefault(aid, to_utc(at))
    return {a: (ended[a] - began[a]).total_seconds() / 60 for a in began
            if a in ended and ended[a] >= began[a]}


def servicos(session: Session, f: ReportFilter, *, avulso_only: bool = False
             ) -> list[ServiceLine]:
    lines = [x for x in rows.lines(session, f, rows.DONE) if not (avulso_only and x.in_plan)]
    names = dict(session.connection().execute(select(Service.id, Service.name)).all())
    weight: dict[int, int] = defaultdict(int)
    for x in lines:
        weight[x.appointment_id] += x.duration_min
    real = real_minutes(session, f)
    acc: dict[int, list] = defaultdict(lambda: [0, 0, 0, 0, 0.0, 0])
    for x in lines:
        a = acc[x.service_id]
        a[0] += 1
        a[1] += x.in_plan
        a[2] += x.revenue_cents
        a[3] += x.duration_min
        if x.appointment_id in real and weight[x.appointment_id]:
            a[4] += real[x.appointment_id] * x.duration_min / weight[x.appointment_id]
            a[5] += 1
    out = [ServiceLine(s, names.get(s, f"#{s}"), c, p, r, round(t / c),
                       round(m / n) if n else None)
           for s, (c, p, r, t, m, n) in acc.items()]
    return sorted(out, key=lambda x: (-x.count, -x.revenue_cents, x.name))
