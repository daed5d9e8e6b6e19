"""Read models for the agenda screens (day columns, status board, week), straight from the tables.

Nothing here decides a scheduling rule; it only reads what the booking service wrote.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from admin.panel.timeutil import day_bounds, for_column, to_local
from scheduler_core.agenda.models import (
    Appointment,
    AppointmentItem,
    AppointmentStatus,
    Block,
    RecurrenceSeries,
    StatusChange,
)
from scheduler_core.catalog.models import Service, ServiceCategory
from scheduler_core.kernel.clock import minutes_of
from scheduler_core.kernel.text import plural
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.scheduling.occupancy import DAILY_KINDS
from scheduler_core.scheduling.unavailable import Unavailable, team_unavailable
from scheduler_core.scheduling.visit_status import OPEN_STATUSES, is_backward
from scheduler_core.shop.models import (
    Employee,
    EmployeeCategory,
    OpeningRange,
    Segment,
    Shop,
    WorkingRange,
)

HIDDEN_BY_DEFAULT = {AppointmentStatus.CANCELADO, AppointmentStatus.NAO_COMPARECEU}
#: A segment without a slot step offers every 15 minutes (``snapshot.segment_info``).
DEFAULT_STEP = 15


@dataclass
class ItemView:
    id: int
    service: str
    employee_id: int
    start: datetime  # shop wall clock
    end: datetime


@dataclass
class ApptView:
    id: int
    status: str
    start: datetime
    end: datetime
    pet: str
    tutor: str
    tutor_id: int
    pet_id: int
    segment_id: int
    is_encaixe: bool
    origin: str
    total_cents: int
    leva_e_traz: bool
    notes: str
    items: list[ItemView] = field(default_factory=list)
    professionals: str = ""  # the items' employees, in order, e.g. "Bruna, Carlos"
    #: A creche day or a hotel stay (``occupancy.DAILY_KINDS``): shown in the day's
    #: "Hospedagem e creche" strip on every day it spans, not in a professional's column (it
    #: does not hold the professional: ``snapshot.load_busy``).
    daily: bool = False

    def spans(self, day: date) -> bool:
        """Whether the visit is at the shop on ``day`` (check-out day included; a visit
        ending at midnight is not on the next day)."""
        last = self.end.date()
        if last > self.start.date() and self.end.time() == datetime.min.time():
            last -= timedelta(days=1)
        return self.start.date() <= day <= last

    def span_label(self, day: date) -> str:
        """What the strip says of the visit on ``day``: a day's hours, or the stay's
        check-in, its night number or its check-out ("entrada 14:00 · 1ª de 3 diárias")."""
        if self.start.date() == self.end.date():
            return f"{self.start:%H:%M}–{self.end:%H:%M}"
        nights = (self.end.date() - self.start.date()).days
        night = (day - self.start.date()).days + 1
        if day == self.end.date():
            return f"saída {self.end:%H:%M} · fim de {plural(nights, 'diária')}"
        head = f"entrada {self.start:%H:%M} · " if day == self.start.date() else ""
        return f"{head}{night}ª de {plural(nights, 'diária')}"

    @property
    def services(self) -> str:
        return " + ".join(i.service for i in self.items)

    def detail(self, item: ItemView | None = None) -> str:
        """The one-line full description a short card shows as its tooltip."""
        when = f"{(item or self).start:%H:%M}–{(item or self).end:%H:%M}"
        what = item.service if item else self.services
        return f"{when} · {self.pet} ({self.tutor}) · {what} · {self.professionals}"

    @property
    def employee_ids(self) -> set[int]:
        return {i.employee_id for i in self.items}


@dataclass
class BlockView:
    day: date
    employee_id: int | None
    all_day: bool
    start: str | None
    end: str | None
    reason: str


@dataclass
class AgendaData:
    days: list[date]
    employees: list[Employee]
    segments: list[Segment]
    appointments: list[ApptView]
    blocks: list[BlockView]
    day_start_min: int = 7 * 60
    day_end_min: int = 20 * 60
    #: {(day, employee id): unavailable intervals} (scheduling.unavailable)
    unavailable: dict[tuple[date, int], list[Unavailable]] = field(default_factory=dict)
    #: {employee id: minutes between the starts the engine offers}: the slot step of the
    #: segment(s) the employee works in (the finest one; ``Segment.slot_step_min``).
    steps: dict[int, int] = field(default_factory=dict)

    def step_of(self, employee_id: int) -> int:
        """The click-to-book cells' length in the employee's column."""
        return self.steps.get(employee_id, DEFAULT_STEP)

    def for_day(self, day: date) -> list[ApptView]:
        return [a for a in self.appointments if a.start.date() == day]

    def stays_on(self, day: date) -> list[ApptView]:
        """The creche days and hotel stays at the shop on ``day``, by start."""
        return [a for a in self.appointments if a.daily and a.spans(day)]

    def items_of(self, day: date, employee_id: int) -> list[tuple[ApptView, ItemView]]:
        """The (visit, item) pairs of one employee on ``day``, by start (creche days and
        hotel stays are in :meth:`stays_on`)."""
        pairs = [(a, it) for a in self.for_day(day) if not a.daily for it in a.items
                 if it.employee_id == employee_id]
        return sorted(pairs, key=lambda p: (p[1].start, p[0].id))

    def visits_of(self, day: date, employee_id: int) -> list[tuple[ApptView, datetime, str]]:
        """(visit, its first start with the employee, the services the employee does) of one
        employee on ``day``: one line per visit in the week grid."""
        grouped: dict[int, tuple[ApptView, datetime, list[str]]] = {}
        for a, it in self.items_of(day, employee_id):
            if a.id in grouped:
                grouped[a.id][2].append(it.service)
            else:
                grouped[a.id] = (a, it.start, [it.service])
        return [(a, start, " + ".join(names)) for a, start, names in grouped.values()]

    def off_in_view(self, day: date, employee_id: int) -> list[Unavailable]:
        """The employee's unavailable intervals of ``day`` clipped to the grid's hours."""
        lo, hi = self.day_start_min, self.day_end_min
        return [Unavailable(max(u.start_min, lo), min(u.end_min, hi), u.kind, u.label)
                for u in self.unavailable.get((day, employee_id), [])
                if u.end_min > lo and u.start_min < hi]

    def day_off(self, day: date, employee_id: int) -> Unavailable | None:
        """The interval covering the whole day (a day off or an all-day block), if any."""
        for u in self.unavailable.get((day, employee_id), []):
            if u.start_min <= 0 and u.end_min >= 24 * 60:
                return u
        return None

    def free_cells(self, day: date, employee_id: int, now_local: datetime | None = None,
                   step: int = 30) -> list[int]:
        """Starts (minutes of the day) of the grid's ``step`` cells outside unavailable time
        and not over by ``now_local`` (the shop's wall clock): where a click books."""
        off = self.unavailable.get((day, employee_id), [])
        first = self.day_start_min
        if now_local is not None and day <= now_local.date():
            if day < now_local.date():
                return []
            first = max(first, now_local.hour * 60 + now_local.minute - step + 1)
        return [m for m in range(self.day_start_min, self.day_end_min, step)
                if m >= first and not any(u.start_min < m + step and u.end_min > m for u in off)]

    def blocks_for(self, day: date, employee_id: int | None) -> list[BlockView]:
        return [
            b for b in self.blocks
            if b.day == day and (b.employee_id is None or b.employee_id == employee_id)
        ]


def segments_of(session: Session, shop_id: int) -> list[Segment]:
    return list(session.exec(
        select(Segment).where(Segment.shop_id == shop_id).order_by(Segment.id)
    ).all())


def employees_of(session: Session, shop_id: int, *, calendar_only: bool = False,
                 segment_id: int | None = None) -> list[Employee]:
    query = select(Employee).where(Employee.shop_id == shop_id, Employee.active.is_(True))
    if calendar_only:
        query = query.where(Employee.has_calendar.is_(True))
    employees = list(session.exec(query.order_by(Employee.name, Employee.id)).all())
    if segment_id is not None:
        in_segment = set(session.exec(
            select(EmployeeCategory.employee_id)
            .join(ServiceCategory, ServiceCategory.id == EmployeeCategory.category_id)
            .where(ServiceCategory.segment_id == segment_id)
        ).all())
        employees = [e for e in employees if e.id in in_segment]
    return employees


def load_agenda(
    session: Session,
    shop: Shop,
    first_day: date,
    *,
    days: int = 1,
    segment_id: int | None = None,
    employee_id: int | None = None,
    status: str | None = None,
) -> AgendaData:
    tz = shop.timezone
    start_utc, end_utc = day_bounds(first_day, tz, days)
    employees = employees_of(session, shop.id, calendar_only=True, segment_id=segment_id)
    if employee_id:
        employees = [e for e in employees if e.id == employee_id]
    query = select(Appointment).where(
        Appointment.shop_id == shop.id,
        Appointment.start < for_column(Appointment.__table__.c.start, end_utc),
        Appointment.end > for_column(Appointment.__table__.c.end, start_utc),
    )
    if segment_id:
        query = query.where(Appointment.segment_id == segment_id)
    if status:
        query = query.where(Appointment.status == status)
    else:
        query = query.where(col(Appointment.status).not_in(list(HIDDEN_BY_DEFAULT)))
    appts = list(session.exec(query.order_by(Appointment.start, Appointment.id)).all())
    daily_segments = set(session.exec(select(Segment.id).where(
        Segment.shop_id == shop.id, col(Segment.kind).in_(list(DAILY_KINDS)))).all())
    ids = [a.id for a in appts]
    items = session.exec(
        select(AppointmentItem).where(col(AppointmentItem.appointment_id).in_(ids))
        .order_by(AppointmentItem.position, AppointmentItem.id)
    ).all() if ids else []
    services = {s.id: s.name for s in session.exec(select(Service)).all()}
    names = {e.id: e.name for e in session.exec(
        select(Employee).where(Employee.shop_id == shop.id)).all()}
    pets = {p.id: p for p in session.exec(
        select(Pet).where(col(Pet.id).in_({a.pet_id for a in appts}))
    ).all()} if appts else {}
    tutors = {t.id: t for t in session.exec(
        select(Tutor).where(col(Tutor.id).in_({a.tutor_id for a in appts}))
    ).all()} if appts else {}
    by_appt: dict[int, list[AppointmentItem]] = defaultdict(list)
    for it in items:
        by_appt[it.appointment_id].append(it)
    views = []
    for a in appts:
        view = ApptView(
            id=a.id, status=a.status, start=to_local(a.start, tz), end=to_local(a.end, tz),
            pet=pets[a.pet_id].name if a.pet_id in pets else "?",
            tutor=tutors[a.tutor_id].name if a.tutor_id in tutors else "?",
            tutor_id=a.tutor_id, pet_id=a.pet_id, segment_id=a.segment_id,
            is_encaixe=a.is_encaixe, origin=a.origin, total_cents=a.total_cents,
            leva_e_traz=a.leva_e_traz, notes=a.notes,
            items=[
                ItemView(id=it.id, service=services.get(it.service_id, "?"),
                         employee_id=it.employee_id, start=to_local(it.start, tz),
                         end=to_local(it.end, tz))
                for it in by_appt[a.id]
            ],
            professionals=", ".join(dict.fromkeys(
                names.get(it.employee_id, "?") for it in by_appt[a.id])),
            daily=a.segment_id in daily_segments,
        )
        if employee_id and employee_id not in view.employee_ids:
            continue
        views.append(view)
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    blocks = []
    wanted = {d.isoformat() for d in day_list}
    for b in session.exec(select(Block).where(Block.shop_id == shop.id)).all():
        for d in b.dates or []:
            if d in wanted:
                blocks.append(BlockView(day=date.fromisoformat(d), employee_id=b.employee_id,
                                        all_day=b.all_day, start=b.start, end=b.end,
                                        reason=b.reason))
    data = AgendaData(days=day_list, employees=employees, segments=segments_of(session, shop.id),
                      appointments=views, blocks=blocks)
    emp_ids = [e.id for e in employees]
    data.steps = _slot_steps(session, emp_ids, segment_id)
    for d in day_list:
        for emp_id, off in team_unavailable(session, shop.id, emp_ids, d).items():
            data.unavailable[(d, emp_id)] = off
    _fit_hours(session, data, first_day, segment_id, shop.id)
    return data


def _slot_steps(session: Session, employee_ids: list[int], segment_id: int | None
                ) -> dict[int, int]:
    """Each employee's slot step: the finest of the segments they work in (of the filtered
    segment only, when the agenda is filtered)."""
    if not employee_ids:
        return {}
    query = (select(EmployeeCategory.employee_id, Segment.slot_step_min)
             .join(ServiceCategory, ServiceCategory.id == EmployeeCategory.category_id)
             .join(Segment, Segment.id == ServiceCategory.segment_id)
             .where(col(EmployeeCategory.employee_id).in_(employee_ids)))
    if segment_id:
        query = query.where(Segment.id == segment_id)
    steps: dict[int, int] = {}
    for emp_id, step in session.exec(query).all():
        step = step if step and 0 < step <= 240 else DEFAULT_STEP
        steps[emp_id] = min(steps.get(emp_id, step), step)
    return steps


def _fit_hours(session: Session, data: AgendaData, day: date, segment_id: int | None,
               shop_id: int) -> None:
    """Show the day from the earliest opening (or shift) to the latest closing, whole hours."""
    seg_ids = [segment_id] if segment_id else [s.id for s in data.segments]
    ranges = session.exec(
        select(OpeningRange).where(col(OpeningRange.segment_id).in_(seg_ids),
                                   OpeningRange.weekday == day.weekday())
    ).all() if seg_ids else []
    emp_ids = [e.id for e in data.employees]
    ranges = list(ranges) + (list(session.exec(
        select(WorkingRange).where(col(WorkingRange.employee_id).in_(emp_ids),
                                   WorkingRange.weekday == day.weekday())
    ).all()) if emp_ids else [])
    starts = [minutes_of(r.start) for r in ranges]
    ends = [minutes_of(r.end) for r in ranges]
    for a in data.appointments:
        if a.start.date() == day and not a.daily:
            starts.append(a.start.hour * 60 + a.start.minute)
            ends.append(a.end.hour * 60 + a.end.minute if a.end.date() == day else 24 * 60)
    if starts:
        data.day_start_min = max(0, (min(starts) // 60) * 60)
        data.day_end_min = min(24 * 60, -(-max(ends) // 60) * 60)
    if data.day_end_min <= data.day_start_min:
        data.day_start_min, data.day_end_min = 7 * 60, 20 * 60


def appointment_detail(session: Session, shop: Shop, appointment_id: int) -> dict | None:
    appt = session.get(Appointment, appointment_id)
    if appt is None or appt.shop_id != shop.id:
        return None
    tz = shop.timezone
    items = session.exec(
        select(AppointmentItem).where(AppointmentItem.appointment_id == appt.id)
        .order_by(AppointmentItem.position, AppointmentItem.id)
    ).all()
    services = {s.id: s for s in session.exec(select(Service)).all()}
    employees = {e.id: e.name for e in session.exec(select(Employee)).all()}
    history = session.exec(
        select(StatusChange).where(StatusChange.appointment_id == appt.id)
        .order_by(StatusChange.at, StatusChange.id)
    ).all()
    return {
        "appt": appt,
        "start": to_local(appt.start, tz),
        "end": to_local(appt.end, tz),
        "pet": session.get(Pet, appt.pet_id),
        "tutor": session.get(Tutor, appt.tutor_id),
        "items": [
            {"service": services[it.service_id].name if it.service_id in services else "?",
             "service_id": it.service_id,
             "employee": employees.get(it.employee_id, "?"), "employee_id": it.employee_id,
             "start": to_local(it.start, tz), "end": to_local(it.end, tz),
             "price_cents": it.price_cents, "in_plan": it.in_plan}
            for it in items
        ],
        "history": [{"from": h.from_status, "to": h.to_status, "at": to_local(h.at, tz),
                     "actor": h.actor, "backward": is_backward(h.from_status, h.to_status)}
                    for h in history],
        "series": _series_info(session, appt, tz),
    }


def _series_info(session: Session, appt: Appointment, tz: str) -> dict | None:
    """The recurrence series the appointment belongs to: its rule and its open dates."""
    if appt.series_id is None:
        return None
    series = session.get(RecurrenceSeries, appt.series_id)
    rows = session.exec(
        select(Appointment).where(Appointment.series_id == appt.series_id)
        .order_by(Appointment.start)
    ).all()
    every = "toda semana" if series.every_weeks == 1 else f"a cada {series.every_weeks} semanas"
    return {
        "every": every,
        "open": [{"id": r.id, "start": to_local(r.start, tz)} for r in rows
                 if r.status in OPEN_STATUSES],
        "following": sum(1 for r in rows if r.status in OPEN_STATUSES and r.start > appt.start),
    }
