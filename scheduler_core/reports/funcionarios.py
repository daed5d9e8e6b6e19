"""Funcionários (visits, minutes, revenue per employee) and Comissões (commission per employee
from each service's ``commission_pct``, with the detail lines).

Date basis: the visit's start (execution). Funcionários counts finished or delivered visits.
A line's base is its price less its share of the visit's discount (``rows``), so a combo's
commission is on what the tutor was charged; lines covered by a plan have price 0 and earn no
commission. Commission per line = base × pct / 100, rounded half up to the centavo.
*Realizada* (earned): finished or delivered visits; *prevista* (projected): visits still
scheduled or under way. Cancelled visits and no-shows earn nothing. Average satisfaction per
employee is not shown: no survey is stored yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from scheduler_core.catalog.models import Service
from scheduler_core.reports import rows
from scheduler_core.reports.period import ReportFilter
from scheduler_core.shop.models import Employee


@dataclass(frozen=True)
class EmployeeLine:
    employee_id: int
    name: str
    visits: int
    minutes: int
    revenue_cents: int

    @property
    def average_min(self) -> int:
        return round(self.minutes / self.visits) if self.visits else 0


@dataclass(frozen=True)
class CommissionLine:
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
    names = employee_names(session, f.shop_id)
    visits: dict[int, set[int]] = defaultdict(set)
    minutes: dict[int, int] = defaultdict(int)
    revenue: dict[int, int] = defaultdict(int)
    for line in rows.lines(session, f, rows.DONE):
        visits[line.employee_id].add(line.appointment_id)
        minutes[line.employee_id] += line.duration_min
        revenue[line.employee_id] += line.revenue_cents
    out = [EmployeeLine(e, names.get(e, f"#{e}"), len(v), minutes[e], revenue[e])
           for e, v in visits.items()]
    return sorted(out, key=lambda x: (-x.revenue_cents, x.name))


def commission(base_cents: int, pct: int) -> int:
    return (base_cents * pct + 50) // 100


def comissoes(session: Session, f: ReportFilter) -> Comissoes:
    names = employee_names(session, f.shop_id)
    services = {i: (n, p) for i, n, p in session.connection().execute(
        select(Service.id, Service.name, Service.commission_pct)).all()}
    lines = []
    for line in rows.lines(session, f, rows.DONE | rows.OPEN, with_start=True):
        name, p = services.get(line.service_id, (f"#{line.service_id}", 0))
        lines.append(CommissionLine(
            day=f.local_date(line.visit_start), appointment_id=line.appointment_id,
            employee_id=line.employee_id, employee=names.get(line.employee_id, ""),
            service=name, base_cents=line.revenue_cents, pct=p or 0,
            commission_cents=commission(line.revenue_cents, p or 0),
            earned=line.status in rows.DONE))
    per: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for c in lines:
        per[c.employee_id][0 if c.earned else 1] += c.commission_cents
        if c.earned:
            per[c.employee_id][2] += c.base_cents
    totals = sorted(
        (CommissionTotal(e, names.get(e, ""), a, b, base) for e, (a, b, base) in per.items()),
        key=lambda t: (-t.earned_cents, t.name))
    return Comissoes(totals=totals, lines=sorted(lines, key=lambda c: (c.day, c.appointment_id)))
