"""Encaixe: a staff-only squeeze-in booked at a chosen time with a chosen professional per
service, overriding the agenda's rules (grid, hours, overlaps, blocks, restrictions). Each rule
it overrides is a :class:`Conflict`, shown to staff beforehand (:func:`encaixe_conflicts`) and
stored in the audit log. Conventions as in :mod:`scheduler_core.scheduling.booking`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler_core.agenda.models import Appointment, AppointmentStatus, Origin
from scheduler_core.catalog.segments import services_segment
from scheduler_core.db.engine import write_session
from scheduler_core.kernel.channels import Channel
from scheduler_core.kernel.clock import minutes_of, to_utc
from scheduler_core.kernel.errors import PetNotBookable, ValidationFailed
from scheduler_core.people.models import Pet
from scheduler_core.scheduling import availability
from scheduler_core.scheduling.agenda_types import (
    AgendaSnapshot,
    EmployeeInfo,
    PriceCell,
    ServiceInfo,
    SlotItem,
    TimeRange,
)
from scheduler_core.scheduling.booking_support import (
    audit_appointment,
    check_pet_bookable,
    get_pet,
    insert_visit,
    lock_capacity,
    require_aware,
)
from scheduler_core.scheduling.snapshot import load_snapshot, pet_info
from scheduler_core.shop.models import Shop

S = AppointmentStatus


@dataclass(frozen=True)
class Conflict:
    """A rule an Encaixe overrides (shown to staff as a warning, stored in the audit log)."""

    kind: str  # overlap | outside_hours | outside_working_hours | block | resource | restriction
    #            | wrong_category | species | past
    message: str  # pt-BR
    employee_id: int | None = None
    appointment_id: int | None = None
    resource_id: int | None = None
    restriction_id: int | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class EncaixeResult:
    appointment: Appointment
    conflicts: tuple[Conflict, ...] = field(default_factory=tuple)


def _fits(ranges: Iterable[TimeRange], a: int, b: int) -> bool:
    """[a, b) (minutes from the day's 00:00) lies inside the ranges (adjacent ones merged)."""
    minutes = [(minutes_of(r.start), minutes_of(r.end)) for r in ranges]
    return any(s <= a and b <= e for s, e in _merge_ranges(minutes))


def _merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(ranges):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _minutes(moment: datetime, day: date, zone: ZoneInfo) -> int:
    """Minutes of ``moment`` (wall clock of ``zone``) counted from ``day`` 00:00."""
    local = moment.astimezone(zone)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute


def _encaixe_plan(
    session: Session,
    *,
    pet: Pet,
    shop: Shop,
    service_ids: list[int],
    start: datetime,
    employee_by_service: Mapping[int, int],
    now: datetime,
    except_appointment_id: int | None = None,
) -> tuple[int, list[SlotItem], list[Conflict]]:
    """(segment id, chained items, conflicts) for an Encaixe; raises on what cannot be forced.
    The visit ``except_appointment_id`` (one being edited in place) does not count as busy."""
    if not service_ids:
        raise ValidationFailed("Escolha pelo menos um serviço.")
    segment_id = services_segment(session, service_ids)
    zone = ZoneInfo(shop.timezone)
    day = start.astimezone(zone).date()
    snapshot = load_snapshot(session, shop.id, segment_id, day, day + timedelta(days=1))
    if except_appointment_id is not None:
        snapshot = replace(snapshot, busy=tuple(
            b for b in snapshot.busy if b.appointment_id != except_appointment_id))
    info = pet_info(pet)
    try:
        resolved = availability.resolve_items(snapshot, info, service_ids)
    except availability.NotBookable as exc:
        raise PetNotBookable(exc.message, details={"reason": str(exc.reason)}) from exc
    employees = {e.id: e for e in snapshot.employees}
    items = _chain_items(resolved, employees, employee_by_service, start)

    conflicts = _visit_conflicts(snapshot, items, day, zone, now)
    conflicts += _block_conflicts(snapshot, items, employees, day, zone)
    seen_overlaps: set[tuple[int, int]] = set()
    for it in items:
        conflicts += _item_conflicts(
            snapshot, pet, it, employees[it.employee_id], day, zone, seen_overlaps
        )
    restriction = availability.check_restrictions(
        snapshot, info, [s.id for s, _c in resolved], day, Channel.STAFF
    )
    if restriction is not None:
        conflicts.append(
            Conflict(
                "restriction",
                restriction.description or f"Restrição: {restriction.name}.",
                restriction_id=restriction.id,
            )
        )
    return segment_id, items, conflicts


def _chain_items(
    resolved: list[tuple[ServiceInfo, PriceCell]],
    employees: Mapping[int, EmployeeInfo],
    employee_by_service: Mapping[int, int],
    start: datetime,
) -> list[SlotItem]:
    """The items back to back from ``start``, each with its chosen professional."""
    items: list[SlotItem] = []
    t = start
    for service, cell in resolved:
        emp_id = employee_by_service.get(service.id)
        if emp_id is None:
            raise ValidationFailed(
                f"Escolha o profissional para {service.name}.",
                details={"service_id": service.id},
            )
        if int(emp_id) not in employees:
            raise ValidationFailed(
                "Profissional não encontrado ou sem agenda.", details={"employee_id": emp_id}
            )
        end = t + timedelta(minutes=cell.duration_min)
        items.append(
            SlotItem(
                service_id=service.id,
                employee_id=int(emp_id),
                start=t,
                end=end,
                price_cents=cell.price_cents,
                duration_min=cell.duration_min,
            )
        )
        t = end
    return items


def _visit_conflicts(
    snapshot: AgendaSnapshot, items: list[SlotItem], day: date, zone: ZoneInfo, now: datetime
) -> list[Conflict]:
    """The whole visit: already past, outside the shop's opening hours."""
    conflicts: list[Conflict] = []
    visit_start, visit_end = items[0].start, items[-1].end
    if visit_start < now:
        conflicts.append(Conflict("past", "O horário escolhido já passou."))
    a, b = _minutes(visit_start, day, zone), _minutes(visit_end, day, zone)
    seg = snapshot.segment
    if not seg.open_24h and not _fits(seg.opening.get(day.weekday(), ()), a, b):
        conflicts.append(
            Conflict(
                "outside_hours", "Fora do horário de funcionamento ou atravessa um intervalo."
            )
        )
    return conflicts


def _block_conflicts(
    snapshot: AgendaSnapshot,
    items: list[SlotItem],
    employees: Mapping[int, EmployeeInfo],
    day: date,
    zone: ZoneInfo,
) -> list[Conflict]:
    """One conflict per block of ``day`` that covers some item (shop-wide or its professional)."""
    conflicts: list[Conflict] = []
    for block in snapshot.blocks:
        if block.day != day:
            continue
        whole = block.all_day or not block.start or not block.end
        targets = [it for it in items if block.employee_id in (None, it.employee_id)]
        for it in targets:
            ia, ib = _minutes(it.start, day, zone), _minutes(it.end, day, zone)
            if whole or (minutes_of(block.start) < ib and ia < minutes_of(block.end)):
                conflicts.append(
                    Conflict(
                        "block",
                        "A agenda da loja está bloqueada nesse horário."
                        if block.employee_id is None
                        else f"A agenda de {employees[it.employee_id].name} está bloqueada nesse "
                        "horário.",
                        employee_id=block.employee_id,
                    )
                )
                break
    return conflicts


def _item_conflicts(
    snapshot: AgendaSnapshot,
    pet: Pet,
    it: SlotItem,
    emp: EmployeeInfo,
    day: date,
    zone: ZoneInfo,
    seen_overlaps: set[tuple[int, int]],
) -> list[Conflict]:
    """One item: category, species, working hours, overlaps (each visit once per professional,
    tracked in ``seen_overlaps``) and shared resources."""
    conflicts: list[Conflict] = []
    service = snapshot.services[it.service_id]
    if service.category_id not in emp.category_ids:
        conflicts.append(
            Conflict(
                "wrong_category",
                f"{emp.name} não atende a categoria de {service.name}.",
                employee_id=emp.id,
            )
        )
    if emp.species and pet.species not in emp.species:
        conflicts.append(
            Conflict("species", f"{emp.name} não atende essa espécie.", employee_id=emp.id)
        )
    ia, ib = _minutes(it.start, day, zone), _minutes(it.end, day, zone)
    if not _fits(emp.working.get(day.weekday(), ()), ia, ib):
        conflicts.append(
            Conflict(
                "outside_working_hours",
                f"Fora do horário de trabalho de {emp.name}.",
                employee_id=emp.id,
            )
        )
    for busy in snapshot.busy:
        if (busy.holds_employee and busy.employee_id == it.employee_id
                and busy.start < it.end and it.start < busy.end):
            key = (busy.appointment_id, it.employee_id)
            if key not in seen_overlaps:
                seen_overlaps.add(key)
                conflicts.append(
                    Conflict(
                        "overlap",
                        f"{emp.name} já tem um atendimento nesse horário.",
                        employee_id=emp.id,
                        appointment_id=busy.appointment_id,
                    )
                )
    for rid, units in service.resources.items():
        used = sum(
            b.resources.get(rid, 0) for b in snapshot.busy if b.start < it.end and it.start < b.end
        )
        if used + units > snapshot.resource_capacity.get(rid, 0):
            conflicts.append(
                Conflict(
                    "resource",
                    "Um recurso compartilhado (ex.: banheira) já está todo ocupado nesse "
                    "horário.",
                    resource_id=rid,
                )
            )
    return conflicts


def plan_in_place(
    session: Session,
    *,
    pet: Pet,
    shop: Shop,
    service_ids: list[int],
    start: datetime,
    employee_by_service: Mapping[int, int],
    now: datetime,
    appointment_id: int,
) -> tuple[list[SlotItem], list[Conflict]]:
    """The items of a booked visit re-chained from ``start`` with these services and
    professionals, and the conflicts keeping it there would override (the visit itself not
    counted as busy): what :mod:`scheduler_core.scheduling.visit_edit` shows and, when staff
    force it, stores as an Encaixe."""
    _seg, items, conflicts = _encaixe_plan(
        session, pet=pet, shop=shop, service_ids=service_ids, start=start,
        employee_by_service=employee_by_service, now=now, except_appointment_id=appointment_id,
    )
    return items, conflicts


def encaixe_conflicts(
    engine: Engine,
    *,
    pet_id: int,
    service_ids: Iterable[int],
    start: datetime,
    employee_by_service: Mapping[int, int],
    now: datetime,
) -> list[Conflict]:
    """What an :func:`encaixe` with these choices would override (preview, nothing written)."""
    require_aware(now)
    require_aware(start, "start")
    with Session(engine, expire_on_commit=False) as session:
        pet, tutor = get_pet(session, pet_id)
        shop = session.get(Shop, tutor.shop_id)
        _seg, _items_, conflicts = _encaixe_plan(
            session,
            pet=pet,
            shop=shop,
            service_ids=list(dict.fromkeys(int(s) for s in service_ids)),
            start=start,
            employee_by_service={int(k): int(v) for k, v in employee_by_service.items()},
            now=now,
        )
        return conflicts


def encaixe(
    engine: Engine,
    *,
    pet_id: int,
    service_ids: Iterable[int],
    start: datetime,
    employee_by_service: Mapping[int, int],
    now: datetime,
    actor: str,
    notes: str = "",
) -> EncaixeResult:
    """Staff-only squeeze-in: book at ``start`` with the chosen professional per service, skipping
    the grid, window and overlap checks. The appointment is tagged ``is_encaixe``, holds its
    professionals and resources like any booking, and the audit entry lists every overridden
    conflict (overlaps, outside hours, blocks, restrictions...). Not-accepted breeds/portes and
    pets without a price cell are still refused.
    """
    require_aware(now)
    require_aware(start, "start")
    ids = list(dict.fromkeys(int(s) for s in service_ids))
    choice = {int(k): int(v) for k, v in employee_by_service.items()}
    with write_session(engine, expire_on_commit=False) as session:
        pet, tutor = get_pet(session, pet_id)
        check_pet_bookable(pet)
        shop = session.get(Shop, tutor.shop_id)
        lock_capacity(session, employee_ids=choice.values(), service_ids=ids)
        segment_id, items, conflicts = _encaixe_plan(
            session,
            pet=pet,
            shop=shop,
            service_ids=ids,
            start=start,
            employee_by_service=choice,
            now=now,
        )
        appt = Appointment(
            shop_id=shop.id,
            segment_id=segment_id,
            tutor_id=tutor.id,
            pet_id=pet.id,
            start=to_utc(items[0].start),
            end=to_utc(items[-1].end),
            status=S.AGENDADO,
            is_encaixe=True,
            origin=Origin.STAFF,
            total_cents=sum(it.price_cents for it in items),
            notes=notes or "",
            created_at=to_utc(now),
            updated_at=to_utc(now),
        )
        insert_visit(
            session, appt, [(it, it.price_cents, False) for it in items], now=now, actor=actor
        )
        audit_appointment(
            session,
            appt,
            "appointment.encaixe",
            actor=actor,
            now=now,
            details={
                "pet_id": pet.id,
                "start": items[0].start,
                "end": items[-1].end,
                "items": [
                    {"service_id": it.service_id, "employee_id": it.employee_id}
                    for it in items
                ],
                "conflicts": [c.to_dict() for c in conflicts],
            },
        )
        session.flush()
        return EncaixeResult(appointment=appt, conflicts=tuple(conflicts))
