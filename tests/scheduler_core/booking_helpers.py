"""Small helpers shared by the booking tests (find a slot, book it, read rows back)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel import Session

from scheduler_core.agenda.models import Appointment, AppointmentItem, StatusChange
from scheduler_core.audit.models import AuditLog
from scheduler_core.scheduling import booking
from tests.scheduler_core.factories import NOW, ShopWorld, next_weekday

SECRET = "segredo-de-teste"
#: Next Monday after NOW (2026-03-09), inside the bot horizon.
MONDAY: date = next_weekday(NOW.date(), 0)


def offer(
    world: ShopWorld,
    day: date = MONDAY,
    services: tuple[str, ...] = ("banho",),
    *,
    channel: str = "staff",
    now: datetime = NOW,
    pet_id: int | None = None,
    employee: str | None = None,
    moving: int | None = None,
    day_to: date | None = None,
) -> booking.Offer:
    """find_slots for the world's pet (or ``pet_id``) on ``day``; ``employee`` pins the banho
    (and tosa) professional by name."""
    by_category = None
    if employee is not None:
        emp = world.employees[employee]
        by_category = {world.categories["banho"]: emp, world.categories["tosa"]: emp}
    return booking.find_slots(
        world.engine,
        shop_id=world.shop_id,
        pet_id=pet_id or world.pet_id,
        service_ids=[world.services[s] for s in services],
        date_from=day,
        date_to=day_to or day,
        channel=channel,
        now=now,
        secret=SECRET,
        employee_by_category=by_category,
        moving_appointment_id=moving,
    )


def starts(result: booking.Offer) -> list[str]:
    """The offered start times as "HH:MM" (wall clock)."""
    return [s.start.strftime("%H:%M") for s in result.slots]


def slot_at(
    result: booking.Offer, hhmm: str, employee_id: int | None = None
) -> booking.OfferedSlot:
    for slot in result.slots:
        if slot.start.strftime("%H:%M") == hhmm and (
            employee_id is None or slot.items[0].employee_id == employee_id
        ):
            return slot
    raise AssertionError(f"no slot at {hhmm}; offered: {starts(result)}")


def book_at(
    world: ShopWorld,
    hhmm: str,
    day: date = MONDAY,
    services: tuple[str, ...] = ("banho",),
    *,
    employee: str | None = "ana",
    origin: str = "staff",
    now: datetime = NOW,
    pet_id: int | None = None,
    **kwargs,
) -> Appointment:
    result = offer(world, day, services, employee=employee, now=now, pet_id=pet_id)
    token = slot_at(result, hhmm).token
    return booking.book(
        world.engine,
        token=token,
        now=now,
        secret=SECRET,
        origin=origin,
        actor="staff:1" if origin != "bot" else "bot",
        **kwargs,
    )


def count_appointments(world: ShopWorld, **filters) -> int:
    with Session(world.engine) as s:
        stmt = select(func.count()).select_from(Appointment)
        for key, value in filters.items():
            stmt = stmt.where(getattr(Appointment, key) == value)
        return s.execute(stmt).scalar_one()


def items_of(world: ShopWorld, appointment_id: int) -> list[AppointmentItem]:
    with Session(world.engine) as s:
        return list(
            s.execute(
                select(AppointmentItem)
                .where(AppointmentItem.appointment_id == appointment_id)
                .order_by(AppointmentItem.position)
            )
            .scalars()
            .all()
        )


def history(world: ShopWorld, appointment_id: int) -> list[tuple[str, str]]:
    with Session(world.engine) as s:
        rows = (
            s.execute(
                select(StatusChange)
                .where(StatusChange.appointment_id == appointment_id)
                .order_by(StatusChange.id)
            )
            .scalars()
            .all()
        )
        return [(r.from_status, r.to_status) for r in rows]


def audit_rows(world: ShopWorld, action: str) -> list[AuditLog]:
    with Session(world.engine) as s:
        return list(
            s.execute(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
            .scalars()
            .all()
        )


def get_appointment(world: ShopWorld, appointment_id: int) -> Appointment:
    with Session(world.engine, expire_on_commit=False) as s:
        return s.get(Appointment, appointment_id)
