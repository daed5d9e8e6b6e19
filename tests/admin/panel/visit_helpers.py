"""A visit of the demo shop booked through the core on a quiet day far ahead (the demo's
agenda is full near today), for the visit-editing tests of the panel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from scheduler_core.catalog.models import Service, ServiceCategory
from scheduler_core.people.models import Pet
from scheduler_core.scheduling import booking
from scheduler_core.shop.models import Employee, Shop


@dataclass
class QuietVisit:
    appointment_id: int
    pet_id: int
    shop_id: int
    day: date
    category_id: int  # the visit's Banho category
    employee_id: int  # who does the Banho
    other_employee_id: int  # another professional who can do it


def quiet_visit(engine, *, days_ahead: int = 60) -> QuietVisit:
    """A staff-booked Banho of a dog at the first free time ``days_ahead`` days from now, by
    Juliana (Rafael also does baths)."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        shop = session.exec(select(Shop)).first()
        pet = session.exec(select(Pet).where(
            Pet.species == "cao", col(Pet.porte).is_not(None), col(Pet.pelagem).is_not(None))
            .order_by(Pet.id)).first()
        bath = session.exec(select(Service).where(Service.name == "Banho")).one()
        category = session.get(ServiceCategory, bath.category_id)
        juliana = session.exec(select(Employee).where(Employee.name == "Juliana Ferreira")).one()
        rafael = session.exec(select(Employee).where(Employee.name == "Rafael Souza")).one()
    start = now.date() + timedelta(days=days_ahead)
    offer = booking.find_slots(
        engine, shop_id=shop.id, pet_id=pet.id, service_ids=[bath.id], date_from=start,
        date_to=start + timedelta(days=6), channel="staff", now=now, secret="x",
        employee_by_category={category.id: juliana.id})
    slot = offer.slots[0]
    appt = booking.book(engine, token=slot.token, now=now, secret="x", origin="staff",
                        actor="staff:test")
    return QuietVisit(appt.id, pet.id, shop.id, slot.start.date(), category.id, juliana.id,
                      rafael.id)
