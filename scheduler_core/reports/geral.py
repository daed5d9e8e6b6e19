"""Geral: visits by status per day, occupancy per employee, no-show and cancellation rates,
who booked (bot, staff, API).

Date basis: the visit's start (execution), every status. Rates are over all the period's
visits. Occupancy = booked minutes (the lines of visits not cancelled nor no-show, by their
snapshot duration) / available minutes (the employee's working ranges on each date of the
period, less the dates under an all-day block of the shop or of the employee; partial blocks
are not subtracted). Employees without a calendar or inactive are left out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, Block, Origin
from scheduler_core.kernel.clock import minutes_of
from scheduler_core.reports import rows
from scheduler_core.reports.local_time import as_date, local_day
from scheduler_core.reports.period import ReportFilter, pct
from scheduler_core.shop.models import Employee, WorkingRange

STATUS_ORDER = [s.value for s in rows.S]


@dataclass(frozen=True)
class DayStatus:
    day: date
    counts: dict[str, int]  # status → visits

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Occupancy:
    employee_id: int
    name: str
    booked_min: int
    available_min: int

    @property
    def occupancy_pct(self) -> float:
        return pct(self.booked_min, self.available_min)


@dataclass(frozen=True)
class Geral:
    total: int
    by_status: dict[str, int]
    by_day: list[DayStatus]
    cancelled: int
    no_show: int
    by_origin: dict[str, int]
    occupancy: list[Occupancy]

    @property
    def cancel_rate_pct(self) -> float:
        return pct(self.cancelled, self.total)

    @property
    def no_show_rate_pct(self) -> float:
        return pct(self.no_show, self.total)


def available_minutes(session: Session, f: ReportFilter) -> dict[int, tuple[str, int]]:
    """{employee id: (name, minutes of work scheduled in the period)}."""
    stmt = select(Employee.id, Employee.name).where(
        Employee.shop_id == f.shop_id, Employee.active.is_(True),
        Employee.has_calendar.is_(True))
    if f.employee_id is not None:
        stmt = stmt.where(Employee.id == f.employee_id)
    staff = dict(session.connection().execute(stmt.order_by(Employee.name)).all())
    week: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for emp, weekday, start, end in session.connection().execute(
        select(WorkingRange.employee_id, WorkingRange.weekday, WorkingRange.start,
               WorkingRange.end).where(WorkingRange.employee_id.in_(list(staff) or [-1]))
    ).all():
        week[emp][weekday] += max(0, minutes_of(end) - minutes_of(start))
    blocked: dict[int | None, set[str]] = defaultdict(set)
    for emp, dates in session.connection().execute(
        select(Block.employee_id, Block.dates).where(Block.shop_id == f.shop_id,
                                                     Block.all_day.is_(True))
    ).all():
        blocked[emp].update(dates or [])
    out = {}
    for emp, name in staff.items():
        total = 0
        for day in f.days():
            iso = day.isoformat()
            if iso in blocked[None] or iso in blocked[emp]:
                continue
            total += week[emp].get(day.weekday(), 0)
        out[emp] = (name, total)
    return out


def geral(session: Session, f: ReportFilter) -> Geral:
    """Visits counted by the database per local day and status, and per origin."""
    visit = rows.visit_columns(f, Appointment.start, Appointment.status).subquery()
    day = local_day(session, f, visit.c.start)
    per_day: dict[date, Counter] = defaultdict(Counter)
    by_status: Counter = Counter()
    for d, status, n in session.connection().execute(
        select(day, visit.c.status, func.count()).group_by(day, visit.c.status)
    ).all():
        per_day[as_date(d)][status] += n
        by_status[status] += n
    origins = rows.visit_columns(f, Appointment.origin).subquery()
    by_origin = dict(session.connection().execute(
        select(origins.c.origin, func.count()).group_by(origins.c.origin)).all())
    booked = rows.booked_minutes(session, f, rows.DONE | rows.OPEN)
    occupancy = [
        Occupancy(emp, name, booked.get(emp, 0), minutes)
        for emp, (name, minutes) in available_minutes(session, f).items()
    ]
    return Geral(
        total=sum(by_status.values()),
        by_status={s: by_status.get(s, 0) for s in STATUS_ORDER},
        by_day=[DayStatus(d, dict(per_day.get(d, {}))) for d in f.days()],
        cancelled=by_status.get(rows.S.CANCELADO, 0),
        no_show=by_status.get(rows.S.NAO_COMPARECEU, 0),
        by_origin={o.value: by_origin.get(o, 0) for o in Origin},
        occupancy=occupancy,
    )
