"""Hotel stays of several nights (issue 12, "Creche and hotel"): one visit from the check-in
day at the segment's check-in time to the check-out day at its check-out time.

Decisions:

- A stay is one :class:`Appointment` of a ``hotel`` segment with one item: the hotel service,
  priced per night from the service table for the pet (porte × pelagem or breed, as every
  service) × the number of nights. Check-in and check-out times are the segment's
  (``Segment.check_in_time`` / ``check_out_time``, default 14:00 and 12:00).
- Places are counted by :mod:`scheduler_core.scheduling.occupancy`: the stay takes one on each
  night, from the check-in day to the day before check-out; a full night refuses the whole
  stay with its pt-BR reason (nothing is stored).
- The professional on the item is the one staff chose, else the first (by name) who can do the
  service's category for this pet (``shop.team.employees_for``): the person responsible for
  the stay, not a slot of their calendar. A stay does not block that professional's agenda
  (``snapshot.load_busy`` marks items of creche and hotel segments ``holds_employee=False``):
  the pet sleeps at the shop, the employee is not busy all night, and the segment's places
  per day (``occupancy``) are what limits stays. The stay is shown on every day it spans
  (the agenda's "Hospedagem e creche" strip).
- Stored through ``booking_support.insert_visit`` (the one insert path of a visit) in one
  write unit of work that locks the pet (PostgreSQL) and the segment (``check_capacity``).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.catalog.models import Service, ServiceCategory
from scheduler_core.catalog.offers import ServiceOffer, services_for_pet
from scheduler_core.db.engine import is_postgres, write_session
from scheduler_core.kernel.clock import local, to_utc
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.scheduling import occupancy
from scheduler_core.scheduling.agenda_types import SlotItem
from scheduler_core.scheduling.booking_support import audit_appointment, insert_visit
from scheduler_core.shop.models import Segment, SegmentKind, Shop
from scheduler_core.shop.team import employees_for

MAX_NIGHTS = 60


def book_stay(
    engine: Engine,
    *,
    pet_id: int,
    service_id: int,
    check_in: date,
    check_out: date,
    now: datetime,
    actor: str,
    origin: str = "staff",
    employee_id: int | None = None,
    notes: str = "",
) -> Appointment:
    """Book a hotel stay for ``pet_id`` from ``check_in`` to ``check_out`` (shop dates), see
    the module's decisions. Refusals (pt-BR): unknown pet or service, a service that is not of
    a hotel segment or has no price for the pet, check-out not after check-in, more than
    :data:`MAX_NIGHTS` nights, a full night."""
    if not all(isinstance(d, date) and not isinstance(d, datetime)
               for d in (check_in, check_out)):
        raise ValidationFailed("Informe as datas de entrada e saída.")
    nights = (check_out - check_in).days
    if nights < 1:
        raise ValidationFailed("A saída deve ser pelo menos um dia depois da entrada.")
    if nights > MAX_NIGHTS:
        raise ValidationFailed(f"Hospedagem: no máximo {MAX_NIGHTS} diárias.")
    with write_session(engine, expire_on_commit=False) as session:
        pet = session.get(Pet, pet_id) if pet_id is not None else None
        tutor = session.get(Tutor, pet.tutor_id) if pet is not None else None
        if pet is None or tutor is None:
            raise NotFound("Pet não encontrado.", details={"pet_id": pet_id})
        if is_postgres(session):
            session.execute(select(Pet.id).where(Pet.id == pet.id).with_for_update()).all()
        service, category, segment, offer = priced_service(session, tutor, pet, service_id,
                                                           SegmentKind.HOTEL)
        employee = responsible_employee(session, tutor.shop_id, category.id, pet.species,
                                        employee_id)
        zone = ZoneInfo(session.get(Shop, tutor.shop_id).timezone)
        start = local(check_in, segment.check_in_time, zone)
        end = local(check_out, segment.check_out_time, zone)
        occupancy.check_capacity(session, segment_id=segment.id, species=pet.species,
                                 start=start, end=end)
        price = offer.price_cents * nights
        item = SlotItem(service_id=service.id, employee_id=employee, start=start, end=end,
                        price_cents=price, duration_min=int((end - start).total_seconds() // 60))
        appt = Appointment(
            shop_id=tutor.shop_id, segment_id=segment.id, tutor_id=tutor.id, pet_id=pet.id,
            start=to_utc(start), end=to_utc(end), status=AppointmentStatus.AGENDADO,
            is_encaixe=False, origin=str(origin), total_cents=price, discount_cents=0,
            notes=(notes or "")[:2000], created_at=to_utc(now), updated_at=to_utc(now),
        )
        insert_visit(session, appt, [(item, price, False)], now=now, actor=actor)
        audit_appointment(session, appt, "appointment.book", actor=actor, now=now, details={
            "origin": str(origin), "pet_id": pet.id, "start": start, "end": end,
            "stay_nights": nights, "items": [{"service_id": service.id, "price_cents": price}],
        })
        session.flush()
        return appt


def priced_service(session: Session, tutor: Tutor, pet: Pet, service_id: int | None,
                   kind: str) -> tuple[Service, ServiceCategory, Segment, ServiceOffer]:
    """The shop's service ``service_id`` of a ``kind`` (hotel / creche) segment with its offer
    (price) for ``pet``; pt-BR refusals when unknown, of another kind or not priced."""
    row = session.execute(
        select(Service, ServiceCategory, Segment)
        .join(ServiceCategory, ServiceCategory.id == Service.category_id)
        .join(Segment, Segment.id == ServiceCategory.segment_id)
        .where(Service.id == service_id, Segment.shop_id == tutor.shop_id)
    ).first() if service_id is not None else None
    if row is None:
        raise NotFound("Serviço não encontrado.", details={"service_id": service_id})
    service, category, segment = row
    if segment.kind != kind:
        raise ValidationFailed(f"Este serviço não é de {SEGMENT_WORDS.get(kind, kind)}.")
    offer = next((o for o in services_for_pet(
        session, tutor.shop_id, pet.id, channel="staff").services if o.id == service.id), None)
    if offer is None or offer.price_cents is None:
        raise ValidationFailed(f"O serviço {service.name} não tem preço para {pet.name}.")
    return service, category, segment, offer


SEGMENT_WORDS = {SegmentKind.HOTEL: "hotel", SegmentKind.CRECHE: "creche"}


def responsible_employee(session: Session, shop_id: int, category_id: int, species: str,
                         employee_id: int | None) -> int:
    """The chosen professional, or the first one (by name) who can do the category's services
    for this pet (``shop.team.employees_for``: active, with a calendar, taking the species).
    Also the day-care range's (``day_care.book_days``)."""
    able = [e.id for e in employees_for(session, shop_id, category_id, species)
            if employee_id is None or e.id == employee_id]
    if not able:
        raise ValidationFailed("Nenhum profissional atende este serviço.")
    return able[0]
