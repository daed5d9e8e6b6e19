"""Funcionários (visits, minutes, revenue per employee) and Comissões (commission per employee
from each service's ``commission_pct``, with the detail lines).

Date basis: the visit's start (execution). Funcionários counts finished or delivered visits.
A line's base is its price less its share of the visit's discount (``rows``), so a combo's
commission is on what the tutor was charged; lines covered by a plan have price 0 and earn no
commission. Commission per line = base × pct / 100, rounded half up to the centavo.
*Realizada* (earned): finished or delivered visits; *prevista* (projected): visits still
scheduled or under way. Cancelled visits and no-shows earn nothing. The average survey score per
employee is over the answers about the period's visits (``reports.surveys``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import distinct, func
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentItem
from scheduler_core.catalog.models import Service
from scheduler_core.reports import rows, surveys
from scheduler_core.reports.local_time import as_date, local_day
from scheduler_core.reports.period import ReportFilter
from scheduler_core.shop.models import Employee


@dataclass(frozen=True)
class EmployeeLine:
    employee_id: int
    name: str
    visits: int
    minutes: int
    revenue_cents: int
    survey_score: float | None = None  # average 1–5 of the answers about the period's visits
    survey_answers: int = 0

    @property
    def average_min(self) -> int:
        return round(self.minutes / self.visits) if self.visits else 0


class CommissionLine(NamedTuple):  # a tuple: a year has tens of thousands of lines
    day: date
    appointment_id: int
    employee_id: int
    employee: str
    service: str
    base_cents: int
    pct: int
    commission_cents: int
    earned: bool  # False: projected


@dataclass(frozen=True)
class CommissionTotal:
    employee_id: int
    name: str
    earned_cents: int
    projected_cents: int
    base_cents: int


@dataclass(frozen=True)
class Comissoes:
    totals: list[CommissionTotal]
    lines: list[CommissionLine]

    @property
    def earned_cents(self) -> int:
        return sum(t.earned_cents for t in self.totals)

    @property
    def projected_cents(self) -> int:
        return sum(t.projected_cents for t in self.totals)


def employee_names(session: Session, shop_id: int) -> dict[int, str]:
    return dict(session.connection().execute(
        select(Employee.id, Employee.name).where(Employee.shop_id == shop_id)).all())


def funcionarios(session: Session, f: ReportFilter) -> list[EmployeeLine]:
    """Visits, minutes and prices summed by the database per employee, less the discount
    shares of the discounted visits."""
    names = employee_names(session, f.shop_id)
    item = AppointmentItem
    stmt = rows.line_select(
        f, rows.DONE, item.employee_id, func.count(distinct(item.appointment_id)),
        func.sum(item.duration_min), func.sum(item.price_cents)).group_by(item.employee_id)
    discount: dict[int, int] = defaultdict(int)
    for share in rows.discount_shares(session, f, rows.DONE):
        discount[share.employee_id] += share.cents
    scores = surveys.employee_scores(session, f)
    out = []
    for e, v, m, p in session.connection().execute(stmt).all():
        score = scores.get(e, surveys.Score(0, 0))
        out.append(EmployeeLine(e, names.get(e, f"#{e}"), int(v), int(m or 0),
                                int(p or 0) - discount[e], score.average, score.count))
    return sorted(out, key=lambda x: (-x.revenue_cents, x.name))


def commission(base_cents: int, pct: int) -> int:
    return (base_cents * pct + 50) // 100


def comissoes(session: Session, f: ReportFilter) -> Comissoes:
    """The lines come from the database with their local date and in order (date, visit,
    line position); the discount shares of the discounted visits are subtracted."""
    names = employee_names(session, f.shop_id)
    services = {i: (n, p or 0) for i, n, p in session.connection().execute(
        select(Service.id, Service.name, Service.commission_pct)).all()}
    statuses = rows.DONE | rows.OPEN
    shares = {s.item_id: s.cents for s in rows.discount_shares(session, f, statuses)}
    item = AppointmentItem
    day = local_day(session, f, Appointment.start)
    stmt = rows.line_select(
        f, statuses, day, Appointment.id, item.employee_id, item.service_id, item.price_cents,
        Appointment.status, item.id,
    ).order_by(day, Appointment.id, item.position, item.id)
    lines = []
    per: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    done = rows.DONE
    for d, appointment, employee, service, price, status, item_id in session.connection(
            ).execute(stmt).all():
        name, p = services.get(service, (f"#{service}", 0))
        base = price - shares.get(item_id, 0)
        earned = status in done
        cut = commission(base, p)
        lines.append(CommissionLine(
            day=as_date(d), appointment_id=appointment, employee_id=employee,
            employee=names.get(employee, ""), service=name, base_cents=base, pct=p,
            commission_cents=cut, earned=earned))
        total = per[employee]
        if earned:
            total[0] += cut
            total[2] += base
        else:
            total[1] += cut
    totals = sorted(
        (CommissionTotal(e, names.get(e, ""), a, b, base) for e, (a, b, base) in per.items()),
        key=lambda t: (-t.earned_cents, t.name))
    return Comissoes(totals=totals, lines=lines)
