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
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import and_, case, distinct, func, or_
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
    lines: list[CommissionLine]  # the first ``line_limit`` lines (all without a limit)
    line_count: int = 0  # every line of the period

    @property
    def earned_cents(self) -> int:
        return sum(t.earned_cents for t in self.totals)

    @property
    def projected_cents(self) -> int:
        return sum(t.projected_cents for t in self.totals)


#: Where a page of commission lines ends: (visit start, visit id, line position, line id).
LineCursor = tuple[datetime, int, int, int]


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


def _services(session: Session) -> dict[int, tuple[str, int]]:
    return {i: (n, p or 0) for i, n, p in session.connection().execute(
        select(Service.id, Service.name, Service.commission_pct)).all()}


def comissoes(session: Session, f: ReportFilter, *, line_limit: int | None = None
              ) -> Comissoes:
    """Totals from the database: the lines grouped by employee, service, price and earned or
    projected (a few dozen rows for a year), each group's commission computed once, then the
    discounted lines corrected with their discount shares (the same per-line rounding as the
    detail lines). The detail lines: the first ``line_limit`` (the screen's), all without one;
    :func:`commission_pages` streams them all for an export."""
    names = employee_names(session, f.shop_id)
    services = _services(session)
    statuses = rows.DONE | rows.OPEN
    shares = rows.discount_shares(session, f, statuses)
    item = AppointmentItem
    earned_sql = Appointment.status.in_(sorted(rows.DONE))
    groups = rows.line_select(
        f, statuses, item.employee_id, item.service_id, item.price_cents,
        case((earned_sql, True), else_=False), func.count(),
    ).group_by(item.employee_id, item.service_id, item.price_cents, earned_sql)
    per: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    count = 0
    for employee, service, price, earned, n in session.connection().execute(groups).all():
        pct = services.get(service, ("", 0))[1]
        total = per[employee]
        count += n
        if earned:
            total[0] += commission(price, pct) * n
            total[2] += price * n
        else:
            total[1] += commission(price, pct) * n
    for sh in shares:
        pct = services.get(sh.service_id, ("", 0))[1]
        delta = commission(sh.price_cents - sh.cents, pct) - commission(sh.price_cents, pct)
        total = per[sh.employee_id]
        if sh.status in rows.DONE:
            total[0] += delta
            total[2] -= sh.cents
        else:
            total[1] += delta
    totals = sorted(
        (CommissionTotal(e, names.get(e, ""), a, b, base) for e, (a, b, base) in per.items()),
        key=lambda t: (-t.earned_cents, t.name))
    lines, _ = _line_page(session, f, names, services, {s.item_id: s.cents for s in shares},
                          None, line_limit)
    return Comissoes(totals=totals, lines=lines, line_count=count)


def commission_page(session: Session, f: ReportFilter, after: LineCursor | None, size: int
                    ) -> tuple[list[CommissionLine], LineCursor | None]:
    """Up to ``size`` commission lines after the cursor ``after`` (None: from the first), in
    the screen's order, and the cursor of the next page (None: no more). Keyset pages, so an
    export of a year of lines never holds them all."""
    shares = {s.item_id: s.cents
              for s in rows.discount_shares(session, f, rows.DONE | rows.OPEN)}
    return _line_page(session, f, employee_names(session, f.shop_id), _services(session),
                      shares, after, size)


def _line_page(session: Session, f: ReportFilter, names: dict[int, str],
               services: dict[int, tuple[str, int]], shares: dict[int, int],
               after: LineCursor | None, limit: int | None
               ) -> tuple[list[CommissionLine], LineCursor | None]:
    """Up to ``limit`` lines after ``after``, ordered by visit start, visit, line position;
    with the cursor of the last one when more may follow."""
    item = AppointmentItem
    day = local_day(session, f, Appointment.start)
    stmt = rows.line_select(
        f, rows.DONE | rows.OPEN, day, Appointment.id, item.employee_id, item.service_id,
        item.price_cents, Appointment.status, item.id, Appointment.start, item.position,
    ).order_by(Appointment.start, Appointment.id, item.position, item.id)
    if after is not None:
        start, visit, position, item_id = after
        stmt = stmt.where(or_(
            Appointment.start > start,
            and_(Appointment.start == start, Appointment.id > visit),
            and_(Appointment.id == visit,
                 or_(item.position > position,
                     and_(item.position == position, item.id > item_id)))))
    if limit is not None:
        stmt = stmt.limit(limit)
    lines = []
    last = None
    done = rows.DONE
    for d, appointment, employee, service, price, status, item_id, start, position in (
            session.connection().execute(stmt).all()):
        name, p = services.get(service, (f"#{service}", 0))
        base = price - shares.get(item_id, 0)
        lines.append(CommissionLine(
            day=as_date(d), appointment_id=appointment, employee_id=employee,
            employee=names.get(employee, ""), service=name, base_cents=base, pct=p,
            commission_cents=commission(base, p), earned=status in done))
        last = (start, appointment, position, item_id)
    more = limit is not None and len(lines) == limit
    return lines, (last if more else None)
