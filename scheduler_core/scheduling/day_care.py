"""Day care (creche) over a range of days, booked by staff in one call (issue 12, "Creche and
hotel": "the bot books day care for a date or a range"; the panel's wizard uses it too).

Decisions:

- One :class:`Appointment` per day of the range, of a ``creche`` segment, with one item: the
  creche service priced per day from the service table for the pet (porte × pelagem or breed,
  as every service). The day runs from the segment's first opening to its last closing that
  weekday (breaks ignored: the pet stays through lunch); a segment open 24h runs 00:00–23:59.
- Days the segment does not open (no opening range that weekday) or the shop blocks for the
  whole day (a holiday) are skipped and listed in :attr:`DayCareResult.skipped`; a range with
  no open day is refused.
- Places are counted per day through :mod:`scheduler_core.scheduling.occupancy` in the same
  write transaction (the segment row locked on PostgreSQL): when any day is full the whole
  range is refused and the pt-BR message names every full day ("Sem vagas em Creche nos dias
  03/12 e 05/12 …"); nothing is stored. A day the pet already has day care in the segment is
  refused the same way. All or nothing, so staff never have to undo half a range.
- The professional on each item is the one staff chose, else the first who can do the
  service's category for this pet (``stays.responsible_employee``): responsible for the pet,
  not held by it (``snapshot.load_busy``: creche and hotel items do not block a calendar).
- At most :data:`MAX_DAYS` days; the first day must not be in the past nor the last beyond
  the shop's staff horizon (``Shop.staff_horizon_days``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler_core.agenda.models import FREEING_STATUSES, Appointment, AppointmentStatus
from scheduler_core.db.engine import is_postgres, write_session
from scheduler_core.kernel.clock import from_utc_naive, local, to_utc
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.scheduling import occupancy
from scheduler_core.scheduling.agenda_types import SlotItem
from scheduler_core.scheduling.booking_support import audit_appointment, insert_visit
from scheduler_core.scheduling.snapshot import blocks_in_range
from scheduler_core.scheduling.stays import priced_service, responsible_employee
from scheduler_core.shop.models import OpeningRange, Segment, SegmentKind, Shop

MAX_DAYS = 31


@dataclass(frozen=True)
class DayCareResult:
    appointments: tuple[Appointment, ...]  # one per booked day, in date order
    skipped: tuple[date, ...]  # closed days of the range (no opening, a whole-day block)


def days_text(days: list[date]) -> str:
    """"03/12", "03/12 e 05/12", "03/12, 04/12 e 05/12"."""
    shown = [f"{d:%d/%m}" for d in sorted(days)]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} e {shown[-1]}"


def _hours(session: Session, segment: Segment, days: list[date]
           ) -> dict[date, tuple[str, str] | None]:
    """Each day's (first opening, last closing) of the segment; None when it is closed."""
    ranges: dict[int, list[tuple[str, str]]] = {}
    for r in session.execute(select(OpeningRange).where(
            OpeningRange.segment_id == segment.id)).scalars():
        if r.end > r.start:
            ranges.setdefault(r.weekday, []).append((r.start, r.end))
    holidays = {b.day for b in blocks_in_range(session, segment.shop_id, days[0], days[-1])
                if b.employee_id is None and (b.all_day or b.start is None or b.end is None)}
    out: dict[date, tuple[str, str] | None] = {}
    for day in days:
        if day in holidays:
            out[day] = None
        elif segment.open_24h:
            out[day] = ("00:00", "23:59")
        else:
            found = ranges.get(day.weekday())
            out[day] = (min(s for s, _ in found), max(e for _, e in found)) if found else None
    return out


def book_days(
    engine: Engine,
    *,
    pet_id: int,
    service_id: int,
    first: date,
    last: date,
    now: datetime,
    actor: str,
    origin: str = "staff",
    employee_id: int | None = None,
    notes: str = "",
) -> DayCareResult:
    """Book day care for ``pet_id`` on every open day from ``first`` to ``last`` (shop dates,
    inclusive); see the module's decisions. Refusals (pt-BR ValidationFailed / NotFound):
    unknown pet or service, a service not of a creche segment or without a price for the pet,
    a bad range, no open day, a full day or a day the pet already has day care (all named)."""
    if not all(isinstance(d, date) and not isinstance(d, datetime) for d in (first, last)):
        raise ValidationFailed("Informe o primeiro e o último dia (dd/mm/aaaa).")
    if last < first:
        raise ValidationFailed("O último dia deve ser igual ou depois do primeiro.")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed(f"Creche: no máximo {MAX_DAYS} dias de uma vez.")
    with write_session(engine, expire_on_commit=False) as session:
        pet = session.get(Pet, pet_id) if pet_id is not None else None
        tutor = session.get(Tutor, pet.tutor_id) if pet is not None else None
        if pet is None or tutor is None:
            raise NotFound("Pet não encontrado.", details={"pet_id": pet_id})
        shop = session.get(Shop, tutor.shop_id)
        zone = ZoneInfo(shop.timezone)
        today = now.astimezone(zone).date()
        if first < today:
            raise ValidationFailed("O primeiro dia já passou.")
        if last > today + timedelta(days=shop.staff_horizon_days):
            raise ValidationFailed(
                f"A agenda abre até {shop.staff_horizon_days} dias à frente.")
        if is_postgres(session):
            session.execute(select(Pet.id).where(Pet.id == pet.id).with_for_update()).all()
        service, category, segment, offer = priced_service(session, tutor, pet, service_id,
                                                           SegmentKind.CRECHE)
        employee = responsible_employee(session, tutor.shop_id, category.id, pet.species,
                                        employee_id)
        span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        hours = _hours(session, segment, span)
        open_days = [d for d in span if hours[d] is not None]
        skipped = tuple(d for d in span if hours[d] is None)
        if not open_days:
            raise ValidationFailed(f"{segment.name} não abre nesses dias. Escolha outras datas.")
        full = occupancy.full_days(session, segment_id=segment.id, species=pet.species,
                                   days=open_days, lock=True)
        if full:
            word = "no dia" if len(full) == 1 else "nos dias"
            raise ValidationFailed(
                f"Sem vagas em {segment.name} {word} {days_text(list(full))}. "
                "Nada foi agendado: escolha outras datas.",
                details={"full_days": sorted(d.isoformat() for d in full)})
        taken = _days_with_day_care(session, pet.id, segment.id, open_days, zone)
        if taken:
            raise ValidationFailed(
                f"{pet.name} já tem {segment.name} em {days_text(taken)}. "
                "Nada foi agendado: escolha outras datas.",
                details={"taken_days": [d.isoformat() for d in taken]})
        booked = []
        for day in open_days:
            opens, closes = hours[day]
            start, end = local(day, opens, zone), local(day, closes, zone)
            occupancy.check_capacity(session, segment_id=segment.id, species=pet.species,
                                     start=start, end=end)
            price = offer.price_cents
            item = SlotItem(service_id=service.id, employee_id=employee, start=start, end=end,
                            price_cents=price,
                            duration_min=int((end - start).total_seconds() // 60))
            appt = Appointment(
                shop_id=tutor.shop_id, segment_id=segment.id, tutor_id=tutor.id,
                pet_id=pet.id, start=to_utc(start), end=to_utc(end),
                status=AppointmentStatus.AGENDADO, is_encaixe=False, origin=str(origin),
                total_cents=price, discount_cents=0, notes=(notes or "")[:2000],
                created_at=to_utc(now), updated_at=to_utc(now),
            )
            insert_visit(session, appt, [(item, price, False)], now=now, actor=actor)
            audit_appointment(session, appt, "appointment.book", actor=actor, now=now,
                              details={"origin": str(origin), "pet_id": pet.id, "start": start,
                                       "end": end, "day_care_range": [first.isoformat(),
                                                                      last.isoformat()],
                                       "items": [{"service_id": service.id,
                                                  "employee_id": employee,
                                                  "price_cents": price}]})
            session.flush()
            booked.append(appt)
        return DayCareResult(tuple(booked), skipped)


def _days_with_day_care(session: Session, pet_id: int, segment_id: int, days: list[date],
                        zone: ZoneInfo) -> list[date]:
    """The days of ``days`` the pet already has an open visit of this creche segment."""
    lo = to_utc(local(days[0], "00:00", zone))
    hi = to_utc(local(days[-1] + timedelta(days=1), "00:00", zone))
    wanted = set(days)
    found: set[date] = set()
    for start, end in session.execute(
        select(Appointment.start, Appointment.end).where(
            Appointment.pet_id == pet_id, Appointment.segment_id == segment_id,
            Appointment.status.not_in([str(s) for s in FREEING_STATUSES]),
            Appointment.start < hi, Appointment.end > lo)
    ).all():
        found |= wanted & set(occupancy.occupied_days(from_utc_naive(start, zone),
                                                      from_utc_naive(end, zone)))
    return sorted(found)
