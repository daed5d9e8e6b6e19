"""Recurring appointments (scheduling.md §3.6): "every N weeks, N times or until a
date", booked by staff from one chosen slot.

Decisions:

- The first appointment is the slot staff picked (booked with :func:`booking.book`); every later
  occurrence is the same weekday and wall-clock time, N weeks on, with the same services (and
  combo), preferring the same professionals (any qualified one when they are busy).
- Each occurrence is checked with the full availability rules and booked in its own transaction;
  one that does not fit (taken, closed, blocked, restricted, beyond the staff horizon) is listed
  as a conflict with its pt-BR reason and not booked, so staff place it (another time or an
  encaixe). The rest of the series is booked.
- Retrying the same request (same idempotency key) books nothing twice: each occurrence has its
  own key derived from the first appointment.
- With a plan (``pet_plan_id``, as the wizard passes it for a single booking too) every
  occurrence is booked through the same :func:`booking.book` path: each takes a session of the
  cycle holding its date (a package: its next session) while there is one; once the allowance
  runs out, or past the plan's term, the rest keep the normal price and their ``plan_note``
  says why (:attr:`SeriesResult.priced_normally`).
- Cancelling offers "this one" (the normal cancel) or "this and following"
  (:func:`cancel_following`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler_core.agenda.models import Appointment, AppointmentStatus, RecurrenceSeries
from scheduler_core.catalog.combos import combo_services
from scheduler_core.db.engine import write_session
from scheduler_core.kernel.clock import from_utc_naive
from scheduler_core.kernel.errors import CoreError, ValidationFailed
from scheduler_core.scheduling import booking, tokens, visit_status
from scheduler_core.scheduling.appointments import appointment_items
from scheduler_core.scheduling.booking_support import require_aware
from scheduler_core.shop.models import Shop

MAX_OCCURRENCES = 52
EVERY_WEEKS_MAX = 8


@dataclass(frozen=True)
class Conflict:
    """An occurrence that could not be booked."""

    day: date
    message: str  # pt-BR


@dataclass(frozen=True)
class SeriesResult:
    series_id: int
    appointments: tuple[Appointment, ...]  # booked, first included, in date order
    conflicts: tuple[Conflict, ...]

    @property
    def priced_normally(self) -> tuple[Appointment, ...]:
        """Booked occurrences the plan did not (wholly) cover: its sessions ran out, or the day
        is outside its term; ``plan_note`` says why (only when the series used a plan)."""
        return tuple(a for a in self.appointments if a.plan_note)

    @property
    def by_plan(self) -> tuple[Appointment, ...]:
        """Booked occurrences that took a session of the plan for everything it covers."""
        return tuple(a for a in self.appointments if a.pet_plan_id is not None
                     and not a.plan_note)


def occurrence_dates(
    first: date, every_weeks: int, count: int | None = None, until: date | None = None
) -> list[date]:
    """The series' dates, ``first`` included: every ``every_weeks`` weeks, ``count`` times or up
    to ``until`` (inclusive), at most :data:`MAX_OCCURRENCES`. Raises ValidationFailed (pt-BR)
    when the rule is incomplete or out of range."""
    if not 1 <= every_weeks <= EVERY_WEEKS_MAX:
        raise ValidationFailed(f"Repetição: escolha de 1 a {EVERY_WEEKS_MAX} semanas.")
    if (count is None) == (until is None):
        raise ValidationFailed("Repetição: informe o número de vezes ou a data final.")
    if count is not None and not 2 <= count <= MAX_OCCURRENCES:
        raise ValidationFailed(f"Repetição: de 2 a {MAX_OCCURRENCES} vezes.")
    if until is not None and until <= first:
        raise ValidationFailed("Repetição: a data final deve ser depois do primeiro dia.")
    days = []
    day = first
    while len(days) < (count or MAX_OCCURRENCES) and (until is None or day <= until):
        days.append(day)
        day += timedelta(weeks=every_weeks)
    return days


def book_series(
    engine: Engine,
    *,
    token: str,
    now: datetime,
    secret: str,
    actor: str,
    every_weeks: int,
    count: int | None = None,
    until: date | None = None,
    idempotency_key: str | None = None,
    notes: str = "",
    leva_e_traz: bool = False,
    pet_plan_id: int | None = None,
) -> SeriesResult:
    """Book the chosen slot (staff) and its repetitions; see the module's decisions. A bad
    rule is refused before anything is booked. With ``pet_plan_id`` every occurrence is booked
    by the plan (its sessions, while they last; then the normal price, as a single booking)."""
    require_aware(now)
    try:
        chosen_day = tokens.slot_from_token(token, secret=secret, now=now).day
    except tokens.TokenError:
        chosen_day = None  # expired or forged: book() answers (or finds the earlier try)
    if chosen_day is not None:
        occurrence_dates(chosen_day, every_weeks, count, until)
    first = booking.book(
        engine, token=token, now=now, secret=secret, origin="staff", actor=actor,
        idempotency_key=idempotency_key, notes=notes, leva_e_traz=leva_e_traz,
        pet_plan_id=pet_plan_id,
    )
    with Session(engine) as session:
        zone = ZoneInfo(session.get(Shop, first.shop_id).timezone)
        plan = _visit_plan(session, first)
    start = from_utc_naive(first.start, zone)
    days = occurrence_dates(start.date(), every_weeks, count, until)
    series_id = first.series_id or _new_series(
        engine, first, every_weeks, count, until, actor, now
    )

    booked = [first]
    conflicts = []
    for day in days[1:]:
        found = _book_occurrence(
            engine, first, plan, datetime.combine(day, start.time(), tzinfo=zone), series_id,
            now=now, secret=secret, actor=actor, notes=notes, leva_e_traz=leva_e_traz,
            pet_plan_id=pet_plan_id,
        )
        if isinstance(found, str):
            conflicts.append(Conflict(day, found))
        else:
            booked.append(found)
    return SeriesResult(series_id, tuple(booked), tuple(conflicts))


@dataclass(frozen=True)
class _VisitPlan:
    service_ids: tuple[int, ...]  # extra services when a combo is booked
    combo_id: int | None
    employee_ids: frozenset[int]  # preferred for every occurrence


def _visit_plan(session: Session, appt: Appointment) -> _VisitPlan:
    items = appointment_items(session, appt.id)
    ids = [item.service_id for item in items]
    if appt.combo_id is not None:
        in_combo = set(combo_services(session, appt.combo_id))
        ids = [i for i in ids if i not in in_combo]
    return _VisitPlan(
        service_ids=tuple(ids),
        combo_id=appt.combo_id,
        employee_ids=frozenset(item.employee_id for item in items),
    )


def _new_series(
    engine: Engine,
    first: Appointment,
    every_weeks: int,
    count: int | None,
    until: date | None,
    actor: str,
    now: datetime,
) -> int:
    with write_session(engine) as session:
        series = RecurrenceSeries(
            shop_id=first.shop_id, pet_id=first.pet_id, every_weeks=every_weeks, count=count,
            until=until, created_by=actor, created_at=now,
        )
        session.add(series)
        session.flush()
        appt = session.get(Appointment, first.id)
        appt.series_id = series.id
        session.add(appt)
        return series.id


def _book_occurrence(
    engine: Engine, first: Appointment, plan: _VisitPlan, when: datetime, series_id: int, *,
    now: datetime, secret: str, actor: str, notes: str, leva_e_traz: bool,
    pet_plan_id: int | None = None,
) -> Appointment | str:
    """The occurrence at ``when``: booked (or already booked by an earlier try of the same
    request), or the pt-BR reason it does not fit."""
    key = f"serie:{first.id}:{when.date().isoformat()}"
    with Session(engine, expire_on_commit=False) as session:
        done = session.scalars(
            select(Appointment).where(Appointment.idempotency_key == key)
        ).first()
    if done is not None:
        return done
    try:
        offer = booking.find_slots(
            engine, shop_id=first.shop_id, pet_id=first.pet_id,
            service_ids=plan.service_ids, combo_id=plan.combo_id, date_from=when.date(),
            date_to=when.date(), channel="staff", now=now, secret=secret,
            preferred_employee_ids=plan.employee_ids,
        )
        slot = next((s for s in offer.slots if s.start == when), None)
        if slot is None:
            return offer.message or f"O horário das {when:%H:%M} não está livre."
        return booking.book(
            engine, token=slot.token, now=now, secret=secret, origin="staff", actor=actor,
            idempotency_key=key, notes=notes, leva_e_traz=leva_e_traz, series_id=series_id,
            pet_plan_id=pet_plan_id,
        )
    except CoreError as exc:
        return exc.message


def cancel_following(
    engine: Engine, *, appointment_id: int, now: datetime, actor: str, reason: str = ""
) -> list[int]:
    """"This and following": cancel the appointment and every later open one of its series
    (staff channel, through the normal cancel). Returns the cancelled ids."""
    require_aware(now)
    with Session(engine) as session:
        appt = session.get(Appointment, appointment_id)
        if appt is None:
            raise ValidationFailed("Agendamento não encontrado.")
        if appt.series_id is None:
            raise ValidationFailed("Este agendamento não faz parte de uma série.")
        ids = session.scalars(
            select(Appointment.id)
            .where(
                Appointment.series_id == appt.series_id,
                Appointment.start >= appt.start,
                Appointment.status.in_(
                    [AppointmentStatus.AGENDADO, AppointmentStatus.CONFIRMADO]
                ),
            )
            .order_by(Appointment.start)
        ).all()
    done = []
    for appt_id in ids:
        visit_status.cancel(
            engine, appointment_id=appt_id, now=now, actor=actor, channel="staff",
            reason=reason or "Cancelamento da série",
        )
        done.append(appt_id)
    return done
