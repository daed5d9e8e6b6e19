"""The read side of the booking service: appointments as entry points show them
(:class:`AppointmentSummary`, shop wall-clock times), a pet's or tutor's upcoming visits, the
last visit ("repeat the last service") and the visits under a new block. Functions take a
``Session``; ``now`` must be timezone-aware.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session

from scheduler_core.agenda.labels import STATUS_LABELS
from scheduler_core.agenda.models import Appointment, AppointmentItem, AppointmentStatus
from scheduler_core.catalog.models import Service
from scheduler_core.kernel.clock import from_utc_naive, to_utc
from scheduler_core.people.models import Pet
from scheduler_core.scheduling.booking_support import get_appointment, require_aware
from scheduler_core.shop.models import Employee, Shop

S = AppointmentStatus


@dataclass(frozen=True)
class ItemSummary:
    service_id: int
    service_name: str
    employee_id: int
    employee_name: str
    start: datetime  # shop wall clock, aware
    end: datetime
    price_cents: int
    duration_min: int
    in_plan: bool


@dataclass(frozen=True)
class AppointmentSummary:
    """A visit as entry points show it (shop wall-clock times)."""

    id: int
    shop_id: int
    segment_id: int
    tutor_id: int
    pet_id: int
    pet_name: str
    start: datetime
    end: datetime
    status: str
    is_encaixe: bool
    origin: str
    total_cents: int
    leva_e_traz: bool
    leva_e_traz_fee_cents: int
    pet_plan_id: int | None
    notes: str
    items: tuple[ItemSummary, ...]
    combo_id: int | None = None
    discount_cents: int = 0  # combo discount (total_cents is already net of it)
    plan_note: str = ""  # pt-BR: plan lines that fell back to the normal price

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def services_label(self) -> str:
        """Service names joined by " + " (the bot's row description)."""
        return " + ".join(it.service_name for it in self.items)

    @property
    def service_ids(self) -> tuple[int, ...]:
        return tuple(it.service_id for it in self.items)


@dataclass(frozen=True)
class LastVisit:
    """The pet's most recent past visit, for "repeat the last service"."""

    appointment_id: int
    start: datetime
    segment_id: int
    service_ids: tuple[int, ...]  # still active services only, in visit order
    service_names: tuple[str, ...]
    employee_by_category: dict[int, int]  # category id → professional of that visit


def _by_id(
    session: Session,
    key: InstrumentedAttribute[int],
    value: InstrumentedAttribute[str],
    ids: Iterable[int],
) -> dict[int, str]:
    """``{id: value}`` for these ids (one query), e.g. service names by service id."""
    return dict(
        session.execute(select(key, value).where(key.in_(sorted(set(ids)) or [0]))).all()
    )


def _summaries(session: Session, appts: list[Appointment]) -> list[AppointmentSummary]:
    if not appts:
        return []
    ids = [a.id for a in appts]
    items = (
        session.execute(
            select(AppointmentItem)
            .where(AppointmentItem.appointment_id.in_(ids))
            .order_by(AppointmentItem.appointment_id, AppointmentItem.position, AppointmentItem.id)
        )
        .scalars()
        .all()
    )
    svc_names = _by_id(session, Service.id, Service.name, (it.service_id for it in items))
    emp_names = _by_id(session, Employee.id, Employee.name, (it.employee_id for it in items))
    pets = _by_id(session, Pet.id, Pet.name, (a.pet_id for a in appts))
    tzs = _by_id(session, Shop.id, Shop.timezone, (a.shop_id for a in appts))
    by_appt: dict[int, list[AppointmentItem]] = {}
    for it in items:
        by_appt.setdefault(it.appointment_id, []).append(it)
    out = []
    for a in appts:
        tz = tzs.get(a.shop_id, "America/Sao_Paulo")
        out.append(
            AppointmentSummary(
                id=a.id,
                shop_id=a.shop_id,
                segment_id=a.segment_id,
                tutor_id=a.tutor_id,
                pet_id=a.pet_id,
                pet_name=pets.get(a.pet_id, ""),
                start=from_utc_naive(a.start, tz),
                end=from_utc_naive(a.end, tz),
                status=a.status,
                is_encaixe=a.is_encaixe,
                origin=a.origin,
                total_cents=a.total_cents,
                leva_e_traz=a.leva_e_traz,
                leva_e_traz_fee_cents=a.leva_e_traz_fee_cents,
                pet_plan_id=a.pet_plan_id,
                combo_id=a.combo_id,
                discount_cents=a.discount_cents,
                plan_note=a.plan_note,
                notes=a.notes,
                items=tuple(
                    ItemSummary(
                        service_id=it.service_id,
                        service_name=svc_names.get(it.service_id, ""),
                        employee_id=it.employee_id,
                        employee_name=emp_names.get(it.employee_id, ""),
                        start=from_utc_naive(it.start, tz),
                        end=from_utc_naive(it.end, tz),
                        price_cents=it.price_cents,
                        duration_min=it.duration_min,
                        in_plan=it.in_plan,
                    )
                    for it in by_appt.get(a.id, [])
                ),
            )
        )
    return out


def appointment_summary(session: Session, appointment_id: int) -> AppointmentSummary:
    """One appointment with its items, names and wall-clock times (NotFound if absent)."""
    appt = get_appointment(session, appointment_id)
    return _summaries(session, [appt])[0]


def appointment_items(session: Session, appointment_id: int) -> list[AppointmentItem]:
    """The service items of an appointment in visit order."""
    return list(
        session.execute(
            select(AppointmentItem)
            .where(AppointmentItem.appointment_id == appointment_id)
            .order_by(AppointmentItem.position, AppointmentItem.id)
        )
        .scalars()
        .all()
    )


def upcoming_for_pet(session: Session, pet_id: int, now: datetime) -> list[AppointmentSummary]:
    """The pet's future Agendado/Confirmado appointments, soonest first ("Meus agendamentos")."""
    return _upcoming(session, Appointment.pet_id == pet_id, now)


def appointments_for_tutor(
    session: Session, tutor_id: int, now: datetime
) -> list[AppointmentSummary]:
    """Future Agendado/Confirmado appointments of all the tutor's pets, soonest first."""
    return _upcoming(session, Appointment.tutor_id == tutor_id, now)


def _upcoming(
    session: Session, owner: ColumnElement[bool], now: datetime
) -> list[AppointmentSummary]:
    require_aware(now)
    return _summaries_where(
        session,
        owner,
        Appointment.status.in_([S.AGENDADO, S.CONFIRMADO]),
        Appointment.start > to_utc(now),
    )


def last_visit_services(session: Session, pet_id: int, now: datetime) -> LastVisit | None:
    """The pet's most recent visit that started before ``now`` and was not cancelled or missed,
    with its still-active services (for "repeat the last service"); None when there is none."""
    require_aware(now)
    appt = (
        session.execute(
            select(Appointment)
            .where(
                Appointment.pet_id == pet_id,
                Appointment.status.not_in([S.CANCELADO, S.NAO_COMPARECEU]),
                Appointment.start < to_utc(now),
            )
            .order_by(Appointment.start.desc(), Appointment.id.desc())
        )
        .scalars()
        .first()
    )
    if appt is None:
        return None
    rows = session.execute(
        select(AppointmentItem, Service)
        .join(Service, Service.id == AppointmentItem.service_id)
        .where(AppointmentItem.appointment_id == appt.id)
        .order_by(AppointmentItem.position, AppointmentItem.id)
    ).all()
    active = [(it, svc) for it, svc in rows if svc.active]
    tz = session.get(Shop, appt.shop_id).timezone
    return LastVisit(
        appointment_id=appt.id,
        start=from_utc_naive(appt.start, tz),
        segment_id=appt.segment_id,
        service_ids=tuple(svc.id for _it, svc in active),
        service_names=tuple(svc.name for _it, svc in active),
        employee_by_category={svc.category_id: it.employee_id for it, svc in active},
    )


def overlapping_appointments(
    session: Session, shop_id: int, start: datetime, end: datetime
) -> list[AppointmentSummary]:
    """Active appointments of the shop overlapping [start, end) — e.g. those under a new block."""
    require_aware(start, "start")
    require_aware(end, "end")
    return _summaries_where(
        session,
        Appointment.shop_id == shop_id,
        Appointment.status.not_in([S.CANCELADO, S.NAO_COMPARECEU]),
        Appointment.start < to_utc(end),
        Appointment.end > to_utc(start),
    )


def _summaries_where(
    session: Session, *conditions: ColumnElement[bool]
) -> list[AppointmentSummary]:
    """Summaries of the appointments matching all ``conditions``, by start time."""
    appts = (
        session.execute(
            select(Appointment).where(*conditions).order_by(Appointment.start, Appointment.id)
        )
        .scalars()
        .all()
    )
    return _summaries(session, list(appts))
