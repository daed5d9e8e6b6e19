"""Plumbing shared by the booking service modules (:mod:`scheduler_core.scheduling.booking`,
:mod:`~scheduler_core.scheduling.visit_status`, :mod:`~scheduler_core.scheduling.encaixe`,
:mod:`~scheduler_core.scheduling.appointments`): argument checks, lookups that answer ``NotFound``
in
pt-BR, the capacity row locks, the insert of a new visit and its audit entries. Entry points
never call these directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session

from scheduler_core.agenda.models import (
    Appointment,
    AppointmentItem,
    AppointmentStatus,
    StatusChange,
)
from scheduler_core.audit.log import record
from scheduler_core.catalog import offers as catalog
from scheduler_core.catalog.models import ServiceResource
from scheduler_core.db.engine import is_postgres
from scheduler_core.kernel.channels import Channel
from scheduler_core.kernel.clock import to_utc
from scheduler_core.kernel.errors import NotFound, PetNotBookable, ValidationFailed
from scheduler_core.people.models import Pet, PetStatus, Tutor
from scheduler_core.scheduling.agenda_types import SlotItem
from scheduler_core.shop.models import Employee, Resource, Shop


def require_aware(now: datetime, name: str = "now") -> datetime:
    """``now`` itself, when it is a timezone-aware datetime; else ValidationFailed."""
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ValidationFailed(
            "Data e hora inválidas.", details={"field": name, "error": "aware datetime expected"}
        )
    return now


def valid_channel(channel: str) -> str:
    """The channel as a plain string: "staff" or "bot" (else ValidationFailed)."""
    value = str(channel)
    if value not in (Channel.STAFF, Channel.BOT):
        raise ValidationFailed("Canal inválido.", details={"channel": value})
    return value


def hours_delta(hours: int | None) -> timedelta:
    """A notice setting in hours as a timedelta (None or negative → zero)."""
    return timedelta(hours=max(0, int(hours or 0)))


def hours_text(hours: int) -> str:
    """pt-BR: "1 hora", "24 horas"."""
    return "1 hora" if hours == 1 else f"{hours} horas"


def get_pet(session: Session, pet_id: int, shop_id: int | None = None) -> tuple[Pet, Tutor]:
    """The pet and its tutor (of ``shop_id`` when given), else NotFound."""
    pet = session.get(Pet, pet_id) if pet_id is not None else None
    tutor = session.get(Tutor, pet.tutor_id) if pet is not None else None
    if pet is None or tutor is None or (shop_id is not None and tutor.shop_id != shop_id):
        raise NotFound("Pet não encontrado.", details={"pet_id": pet_id})
    return pet, tutor


def check_pet_bookable(pet: Pet) -> None:
    """Refuse deceased and inactive pets (PetNotBookable)."""
    if pet.status == PetStatus.FALECIDO:
        raise PetNotBookable(f"Não é possível agendar para {pet.name}.")
    if pet.status == PetStatus.INATIVO:
        raise PetNotBookable(
            f"O cadastro de {pet.name} está inativo; reative-o antes de agendar."
        )


def get_appointment(session: Session, appointment_id: int, *, lock: bool = False) -> Appointment:
    """The appointment (row-locked and refreshed with ``lock`` on PostgreSQL), else NotFound."""
    if lock and is_postgres(session):
        session.execute(
            select(Appointment.id).where(Appointment.id == appointment_id).with_for_update()
        ).all()
    appt = session.get(Appointment, appointment_id) if appointment_id is not None else None
    if appt is None:
        raise NotFound("Agendamento não encontrado.", details={"appointment_id": appointment_id})
    if lock:
        session.refresh(appt)
    return appt


def check_owner(appt: Appointment, *, pet_id: int | None, tutor_id: int | None) -> None:
    """NotFound unless ``appt`` belongs to ``pet_id`` / ``tutor_id`` (when given)."""
    if (pet_id is not None and appt.pet_id != pet_id) or (
        tutor_id is not None and appt.tutor_id != tutor_id
    ):
        raise NotFound("Agendamento não encontrado.", details={"appointment_id": appt.id})


def lock_capacity(
    session: Session,
    *,
    employee_ids: Iterable[int],
    service_ids: Iterable[int],
    appointment_id: int | None = None,
) -> None:
    """Serialise writers touching these professionals/resources (PostgreSQL row locks).

    On SQLite the transaction already holds the single write lock (BEGIN IMMEDIATE)."""
    if not is_postgres(session):
        return
    if appointment_id is not None:
        session.execute(
            select(Appointment.id).where(Appointment.id == appointment_id).with_for_update()
        ).all()
    _lock_ids(session, Employee.id, employee_ids)
    svc_ids = sorted(set(service_ids))
    if svc_ids:
        res_ids = session.execute(
            select(ServiceResource.resource_id).where(ServiceResource.service_id.in_(svc_ids))
        ).scalars()
        _lock_ids(session, Resource.id, res_ids)


def _lock_ids(session: Session, column: InstrumentedAttribute[int], ids: Iterable[int]) -> None:
    """SELECT ... FOR UPDATE on the rows with these ids, in id order (no ids: nothing)."""
    wanted = sorted(set(ids))
    if wanted:
        session.execute(
            select(column).where(column.in_(wanted)).order_by(column).with_for_update()
        ).all()


def leva_e_traz_fee_for(session: Session, shop: Shop, tutor: Tutor) -> tuple[int, int | None]:
    """(fee, zone id) of Leva e Traz for the tutor's address by the catalogue's rule; an address
    outside every zone of a shop without a flat fee gets fee 0 (staff settle it with the
    tutor). Booking and editing a visit both charge this."""
    found = catalog.leva_e_traz_fee(
        session, shop.id, neighborhood=tutor.neighborhood or "", cep=tutor.cep or ""
    )
    if found is None:
        return 0, None
    fee, zone = found
    return fee, zone.id if zone is not None else None


def combo_discount(
    kind: str, value: int, lines: Iterable[tuple[int, int]], combo_ids: Iterable[int]
) -> int:
    """Combo discount over the charged prices of its components (``lines``: service, price),
    clamped as :func:`scheduler_core.catalog.offers.combo_price` clamps it."""
    members = set(combo_ids)
    total = sum(price for sid, price in lines if sid in members)
    return catalog.combo_price(total, kind, value)[1]


def insert_visit(
    session: Session,
    appt: Appointment,
    lines: Iterable[tuple[SlotItem, int, bool]],
    *,
    now: datetime,
    actor: str,
) -> None:
    """Add a new visit: ``appt`` (flushed, so it gets its id), one item per line (slot item,
    price charged, in plan) in visit order, and its first status change (→ Agendado)."""
    session.add(appt)
    session.flush()
    for position, (it, price, plan_line) in enumerate(lines):
        session.add(
            AppointmentItem(
                appointment_id=appt.id,
                service_id=it.service_id,
                employee_id=it.employee_id,
                start=to_utc(it.start),
                end=to_utc(it.end),
                position=position,
                price_cents=price,
                duration_min=it.duration_min,
                in_plan=plan_line,
            )
        )
    session.add(
        StatusChange(
            appointment_id=appt.id,
            from_status="",
            to_status=AppointmentStatus.AGENDADO,
            at=to_utc(now),
            actor=actor,
        )
    )


def audit_appointment(
    session: Session,
    appt: Appointment,
    action: str,
    *,
    actor: str,
    now: datetime,
    details: Mapping[str, Any],
) -> None:
    """Audit-log an event of ``appt`` (``action`` such as "appointment.book")."""
    record(
        session,
        actor=actor,
        action=action,
        entity="appointment",
        entity_id=appt.id,
        shop_id=appt.shop_id,
        at=now,
        details=details,
    )
