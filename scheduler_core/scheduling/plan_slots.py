"""Selling a plan with a fixed-slot reservation ("horário fixo: sim", scheduling.md §2.8, §4.2):
the sale, then every recurring visit booked through the booking service, and the list of the
occurrences that did not fit and why (pt-BR).

Decisions:

- The reserved services are the template's services with a reservation (``reserve`` semanal or
  quinzenal); they are booked together, one visit per occurrence. Weekly repeats every week,
  fortnightly every other week; ``per_week`` is how many weekday-and-time slots the seller
  picks (exactly that many, on different weekdays).
- Occurrences run from the plan's start to its end date. Each is checked with the full staff
  rules and booked in its own transaction with the plan (``pet_plan_id``: its services cost 0);
  one that does not fit — taken, closed, blocked, beyond the staff horizon — or for which the
  plan has no session left (the cycle's or the package's quantity is used) is listed as a
  conflict with its reason and not booked, so staff place it. The sale itself stands.
- A retry of the same sale books nothing twice: each occurrence has its idempotency key
  ("plano:<plan>:<date>:<time>").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler_core.agenda.models import Appointment
from scheduler_core.kernel.dates_ptbr import WEEKDAY_NAMES
from scheduler_core.kernel.errors import CoreError, ValidationFailed
from scheduler_core.kernel.text import plural
from scheduler_core.plans import lifecycle
from scheduler_core.plans import service as plans
from scheduler_core.plans.models import PetPlan, PlanTemplate, PlanTemplateService
from scheduler_core.scheduling import booking
from scheduler_core.scheduling.booking_support import require_aware
from scheduler_core.scheduling.recurrence import Conflict
from scheduler_core.shop.models import Shop

EVERY_WEEKS = {"semanal": 1, "quinzenal": 2}


@dataclass(frozen=True)
class FixedSlot:
    weekday: int  # 0 = Monday … 6 = Sunday
    at: time  # wall clock


@dataclass(frozen=True)
class FixedSlotSale:
    plan: PetPlan
    appointments: tuple[Appointment, ...]  # booked, in date order
    conflicts: tuple[Conflict, ...]


def _reservation(session: Session, template_id: int) -> tuple[list[int], int, int]:
    """(reserved service ids, every N weeks, slots per week) of the template."""
    rows = session.execute(
        select(PlanTemplateService).where(PlanTemplateService.template_id == template_id,
                                          PlanTemplateService.reserve.is_not(None))
        .order_by(PlanTemplateService.service_id)
    ).scalars().all()
    if not rows:
        raise ValidationFailed("Este plano não tem reserva de horário fixo.",
                               details={"template_id": template_id})
    every = {EVERY_WEEKS.get(r.reserve, 0) for r in rows}
    if len(every) != 1 or 0 in every:
        raise ValidationFailed("A reserva de horário do plano é inválida.",
                               details={"template_id": template_id})
    return [r.service_id for r in rows], every.pop(), max(r.per_week for r in rows)


def _check_slots(slots: Sequence[FixedSlot], per_week: int) -> None:
    if len(slots) != per_week:
        raise ValidationFailed(
            f"Escolha {plural(per_week, 'horário fixo', 'horários fixos')} por semana "
            "(dia e hora).",
            details={"field": "slots", "per_week": per_week})
    for slot in slots:
        if not isinstance(slot.weekday, int) or not 0 <= slot.weekday <= 6 or not isinstance(
            slot.at, time
        ):
            raise ValidationFailed("Horário fixo inválido.", details={"field": "slots"})
    if len({s.weekday for s in slots}) != len(slots):
        raise ValidationFailed("Escolha dias da semana diferentes para os horários fixos.",
                               details={"field": "slots"})


def occurrences(start: date, end: date, slots: Sequence[FixedSlot],
                every_weeks: int) -> list[tuple[date, time]]:
    """Every (day, time) of the slots from ``start`` to ``end``, in order."""
    found = []
    for slot in slots:
        day = start + timedelta(days=(slot.weekday - start.weekday()) % 7)
        while day <= end:
            found.append((day, slot.at))
            day += timedelta(weeks=every_weeks)
    return sorted(found)


def sell_with_fixed_slots(
    engine: Engine,
    *,
    pet_id: int,
    template_id: int,
    start_date: date,
    slots: Sequence[FixedSlot],
    now: datetime,
    actor: str,
    secret: str,
    employee_id: int | None = None,
    price_cents: int | None = None,
) -> FixedSlotSale:
    """Sell the template and book its fixed slots (module docstring). Bad slots are refused
    before anything is sold."""
    require_aware(now)
    with Session(engine) as session:
        service_ids, every_weeks, per_week = _reservation(session, template_id)
    _check_slots(slots, per_week)
    plan = plans.sell_plan(engine, pet_id=pet_id, template_id=template_id,
                           start_date=start_date, now=now, actor=actor, price_cents=price_cents)
    with Session(engine) as session:
        zone = ZoneInfo(session.execute(
            select(Shop.timezone).join(PlanTemplate, PlanTemplate.shop_id == Shop.id)
            .where(PlanTemplate.id == template_id)).scalar_one())
    booked: list[Appointment] = []
    conflicts: list[Conflict] = []
    for day, at in occurrences(plan.start_date, plan.end_date, slots, every_weeks):
        found = _book(engine, plan, service_ids, datetime.combine(day, at, tzinfo=zone),
                      now=now, actor=actor, secret=secret, employee_id=employee_id)
        if isinstance(found, str):
            conflicts.append(Conflict(day, f"{WEEKDAY_NAMES[day.weekday()]} {day:%d/%m} às "
                                           f"{at:%H:%M}: {found}"))
        else:
            booked.append(found)
    return FixedSlotSale(plan, tuple(booked), tuple(conflicts))


def _book(
    engine: Engine, plan: PetPlan, service_ids: list[int], when: datetime, *, now: datetime,
    actor: str, secret: str, employee_id: int | None,
) -> Appointment | str:
    """The occurrence at ``when`` booked with the plan, or the pt-BR reason it was not."""
    key = f"plano:{plan.id}:{when.date().isoformat()}:{when:%H%M}"
    with Session(engine, expire_on_commit=False) as session:
        done = session.scalars(select(Appointment).where(Appointment.idempotency_key == key)
                               ).first()
        if done is not None:
            return done
        offer = lifecycle.active_plan_for(session, plan.pet_id, service_ids, when.date(),
                                          segment_id=plan.segment_id)
    if offer is None or offer.pet_plan_id != plan.id or offer.exhausted:
        return "sem sessão do plano para este dia (a quantidade do ciclo já foi reservada)."
    try:
        result = _find(engine, plan, service_ids, when, now, secret, employee_id)
        slot = next((s for s in result.slots if s.start == when), None)
        if slot is None:
            return result.message or f"o horário das {when:%H:%M} não está livre."
        return booking.book(engine, token=slot.token, now=now, secret=secret, origin="staff",
                            actor=actor, idempotency_key=key, pet_plan_id=plan.id)
    except CoreError as exc:
        return exc.message


def _find(engine: Engine, plan: PetPlan, service_ids: list[int], when: datetime,
          now: datetime, secret: str, employee_id: int | None) -> booking.Offer:
    with Session(engine) as session:
        shop_id = session.execute(
            select(PlanTemplate.shop_id).where(PlanTemplate.id == plan.template_id)
        ).scalar_one()
    return booking.find_slots(
        engine, shop_id=shop_id, pet_id=plan.pet_id, service_ids=service_ids,
        date_from=when.date(), date_to=when.date(), channel="staff", now=now, secret=secret,
        preferred_employee_ids=(employee_id,) if employee_id else (),
    )
