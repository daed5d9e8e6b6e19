"""Pet Care use cases: the shop's protocols (Configuração → Pet Care) and a pet's doses (the
pet's page): record a dose applied, schedule one, cancel a scheduled one, the pet's chart.

Decisions where the spec is silent:

- A pet has at most ONE scheduled (not applied) dose per protocol: the next one. Recording a
  dose applied fills that scheduled dose whatever its number, then schedules the following one
  from the application date (:func:`.rules.next_dose`); scheduling again moves the scheduled
  dose's date instead of adding a second one.
- A dose cannot be applied in the future, nor before the last dose already applied of the
  same protocol (the schedule is counted from the latest one); a dose applied elsewhere is
  recorded the same way, with who applied it ("outra clínica").
- A protocol is switched off, never deleted (doses refer to it): an inactive protocol is not
  offered for new doses, and its scheduled doses send no reminder.
- A protocol with a species applies to pets of that species only; "" applies to every pet.
- Dates are bounded (application from 30 years ago to today, a scheduled date up to 10 years
  ahead, intervals up to 10 years), so year 9999 is a pt-BR refusal, never an overflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler_core.audit import log as audit
from scheduler_core.db.engine import read_session, write_session
from scheduler_core.kernel.clock import from_utc_naive, to_utc
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.kernel.forms import (
    Collector,
    FieldError,
    parse_form_date,
    parse_id,
    parse_int,
)
from scheduler_core.people import registry as people
from scheduler_core.people.labels import SPECIES_LABELS
from scheduler_core.people.models import Pet
from scheduler_core.petcare.labels import DOSE_STATUS_LABELS, KIND_LABELS
from scheduler_core.petcare.models import DoseStatus, PetCareDose, PetCareProtocol
from scheduler_core.petcare.rules import Schedule, dose_label, dose_status, next_dose
from scheduler_core.shop.models import Shop

MAX_NAME = 80
MAX_TEXT = 500
MAX_SHORT = 80
MAX_DOSES = 10
MAX_DAYS = 3650
PAST_YEARS = 30
AHEAD_YEARS = 10


# --------------------------------------------------------------------------- protocols


def schedule_of(protocol: PetCareProtocol) -> Schedule:
    return Schedule(doses=protocol.doses, interval_days=protocol.interval_days,
                    repeat_days=protocol.repeat_days)


def list_protocols(engine: Engine, *, shop_id: int) -> list[PetCareProtocol]:
    """The shop's protocols, active first, by kind and name."""
    with read_session(engine, expire_on_commit=False) as session:
        rows = list(session.exec(select(PetCareProtocol)
                                 .where(PetCareProtocol.shop_id == shop_id)).all())
    rows.sort(key=lambda p: (not p.active, p.kind, p.name.casefold()))
    return rows


def _protocol(session: Session, shop_id: int, protocol_id: int | None) -> PetCareProtocol:
    row = session.get(PetCareProtocol, protocol_id) if protocol_id else None
    if row is None or row.shop_id != shop_id:
        raise NotFound("Protocolo não encontrado.")
    return row


def get_protocol(engine: Engine, *, shop_id: int, protocol_id: int) -> PetCareProtocol:
    with read_session(engine, expire_on_commit=False) as session:
        return _protocol(session, shop_id, protocol_id)


def _short(values: Mapping, key: str, limit: int = MAX_SHORT) -> str:
    return " ".join(str(values.get(key) or "").split())[:limit]


def _long(values: Mapping, key: str) -> str:
    return str(values.get(key) or "").strip()[:MAX_TEXT]


def parse_protocol(values: Mapping) -> dict:
    """The protocol form's fields, checked (pt-BR ``ValidationFailed`` with every field's
    message)."""
    errs = Collector()
    kind = str(values.get("kind") or "")
    if kind not in KIND_LABELS:
        errs.add("kind", "Escolha o tipo: vacina, vermífugo ou antiparasitário.")
    name = _short(values, "name", 1000)
    if not name or len(name) > MAX_NAME:
        errs.add("name", f"Escreva o nome (até {MAX_NAME} caracteres).")
    species = str(values.get("species") or "")
    if species and species not in SPECIES_LABELS:
        errs.add("species", "Espécie inválida.")
    doses = errs.run("doses", parse_int, values.get("doses"), label="Número de doses",
                     minimum=1, maximum=MAX_DOSES)
    interval = errs.run("interval_days", parse_int, values.get("interval_days"),
                        label="Intervalo entre doses", minimum=0, maximum=MAX_DAYS,
                        required=False) or 0
    repeat = errs.run("repeat_days", parse_int, values.get("repeat_days"),
                      label="Reforço a cada", minimum=0, maximum=MAX_DAYS, required=False) or 0
    if doses and doses > 1 and interval < 1:
        errs.add("interval_days", "Com mais de uma dose, informe o intervalo em dias entre elas.")
    errs.check()
    return {"kind": kind, "name": name, "species": species, "doses": doses,
            "interval_days": interval if doses and doses > 1 else 0, "repeat_days": repeat,
            "instructions": _long(values, "instructions")}


def save_protocol(engine: Engine, *, shop_id: int, actor: str, now: datetime, values: Mapping,
                  protocol_id: int | None = None) -> PetCareProtocol:
    """Add a protocol or change one; a duplicate name of the same kind is refused."""
    fields = parse_protocol(values)
    with write_session(engine, expire_on_commit=False) as session:
        row = (PetCareProtocol(shop_id=shop_id, name=fields["name"]) if protocol_id is None
               else _protocol(session, shop_id, protocol_id))
        same = session.exec(select(PetCareProtocol).where(
            PetCareProtocol.shop_id == shop_id, PetCareProtocol.kind == fields["kind"])).all()
        if any(p.id != row.id and p.name.casefold() == fields["name"].casefold() for p in same):
            raise ValidationFailed(f"Já existe {KIND_LABELS[fields['kind']].lower()} "
                                   f"“{fields['name']}”.", details={"field": "name"})
        for key, value in fields.items():
            setattr(row, key, value)
        session.add(row)
        session.flush()
        audit.record(session, at=now, actor=actor, shop_id=shop_id, entity="petcare_protocol",
                     action="petcare.protocol_create" if protocol_id is None
                     else "petcare.protocol_update", entity_id=row.id, details=fields)
        return row


def set_protocol_active(engine: Engine, *, shop_id: int, protocol_id: int, active: bool,
                        actor: str, now: datetime) -> PetCareProtocol:
    with write_session(engine, expire_on_commit=False) as session:
        row = _protocol(session, shop_id, protocol_id)
        row.active = active
        session.add(row)
        audit.record(session, at=now, actor=actor, shop_id=shop_id, entity="petcare_protocol",
                     action="petcare.protocol_on" if active else "petcare.protocol_off",
                     entity_id=row.id, details={"name": row.name})
        return row


# --------------------------------------------------------------------------- a pet's doses


@dataclass(frozen=True)
class DoseRow:
    id: int
    protocol_id: int
    protocol_name: str
    kind: str
    kind_label: str
    number: int
    label: str
    due_on: date | None
    applied_on: date | None
    applied_by: str
    manufacturer: str
    batch: str
    notes: str
    reminder: bool
    status: str
    status_label: str


@dataclass(frozen=True)
class PetChart:
    """The pet's Pet Care section: scheduled doses (soonest first) then applied ones (latest
    first), and the active protocols that fit the pet's species."""

    pending: list[DoseRow]
    applied: list[DoseRow]
    protocols: list[PetCareProtocol]
    today: date  # the shop's


def shop_today(shop: Shop, now: datetime) -> date:
    return from_utc_naive(now, shop.timezone).date()


def _row(dose: PetCareDose, protocol: PetCareProtocol, today: date) -> DoseRow:
    status = dose_status(dose.due_on, dose.applied_on, today)
    return DoseRow(id=dose.id, protocol_id=protocol.id, protocol_name=protocol.name,
                   kind=protocol.kind, kind_label=KIND_LABELS.get(protocol.kind, protocol.kind),
                   number=dose.number, label=dose_label(schedule_of(protocol), dose.number),
                   due_on=dose.due_on, applied_on=dose.applied_on, applied_by=dose.applied_by,
                   manufacturer=dose.manufacturer, batch=dose.batch, notes=dose.notes,
                   reminder=dose.reminder, status=status, status_label=DOSE_STATUS_LABELS[status])


def _fits(protocol: PetCareProtocol, pet: Pet) -> bool:
    return protocol.active and protocol.species in ("", pet.species)


def pet_chart(engine: Engine, *, shop: Shop, pet_id: int, now: datetime) -> PetChart:
    today = shop_today(shop, now)
    with read_session(engine, expire_on_commit=False) as session:
        pet = people.get_pet(session, pet_id, shop.id)
        protocols = {p.id: p for p in session.exec(
            select(PetCareProtocol).where(PetCareProtocol.shop_id == shop.id)).all()}
        doses = session.exec(select(PetCareDose).where(PetCareDose.pet_id == pet.id,
                                                       PetCareDose.shop_id == shop.id)).all()
    rows = [_row(d, protocols[d.protocol_id], today) for d in doses]
    pending = sorted((r for r in rows if r.applied_on is None),
                     key=lambda r: (r.due_on or date.max, r.protocol_name))
    applied = sorted((r for r in rows if r.applied_on is not None),
                     key=lambda r: (r.applied_on, r.number), reverse=True)
    fitting = sorted((p for p in protocols.values() if _fits(p, pet)),
                     key=lambda p: (p.kind, p.name.casefold()))
    return PetChart(pending=pending, applied=applied, protocols=fitting, today=today)


def _pet_protocol(session: Session, shop_id: int, pet_id: int,
                  protocol_id: int | None) -> tuple[Pet, PetCareProtocol]:
    pet = people.get_pet(session, pet_id, shop_id)
    if not protocol_id:
        raise ValidationFailed("Escolha o protocolo.", details={"field": "protocol_id"})
    protocol = _protocol(session, shop_id, protocol_id)
    if not protocol.active:
        raise ValidationFailed(f"O protocolo {protocol.name} está desativado.",
                               details={"field": "protocol_id"})
    if protocol.species not in ("", pet.species):
        raise ValidationFailed(
            f"{protocol.name} é para {SPECIES_LABELS[protocol.species].lower()}; "
            f"{pet.name} é {SPECIES_LABELS.get(pet.species, pet.species).lower()}.",
            details={"field": "protocol_id"})
    return pet, protocol


def _doses(session: Session, pet_id: int, protocol_id: int) -> list[PetCareDose]:
    return list(session.exec(select(PetCareDose).where(
        PetCareDose.pet_id == pet_id, PetCareDose.protocol_id == protocol_id)
        .order_by(PetCareDose.number)).all())


def _day(values: Mapping, key: str, label: str, low: date, high: date, *,
         low_text: str, high_text: str) -> date:
    try:
        day = parse_form_date(values.get(key), label=label)
    except FieldError as exc:
        raise ValidationFailed(str(exc), details={"field": key}) from None
    if day > high:
        raise ValidationFailed(f"{label}: {high_text}.", details={"field": key})
    if day < low:
        raise ValidationFailed(f"{label}: {low_text}.", details={"field": key})
    return day


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29/02
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class DoseRecorded:
    applied: DoseRow
    next: DoseRow | None  # the dose now scheduled, None when the protocol ends here


def record_applied(engine: Engine, *, shop: Shop, pet_id: int, values: Mapping, actor: str,
                   now: datetime) -> DoseRecorded:
    """Record a dose applied (form fields ``protocol_id``, ``applied_on`` dd/mm/aaaa,
    ``applied_by``, ``manufacturer``, ``batch``, ``notes``) and schedule the next one."""
    today = shop_today(shop, now)
    applied_on = _day(values, "applied_on", "Data da aplicação", _years_from(today, -PAST_YEARS),
                      today, low_text="data muito antiga",
                      high_text="a aplicação não pode ser numa data futura")
    with write_session(engine, expire_on_commit=False) as session:
        pet, protocol = _pet_protocol(session, shop.id, pet_id,
                                      parse_id(values.get("protocol_id")))
        doses = _doses(session, pet.id, protocol.id)
        last = max((d.applied_on for d in doses if d.applied_on), default=None)
        if last and applied_on < last:
            raise ValidationFailed(
                f"Data da aplicação: a última dose de {protocol.name} foi aplicada em "
                f"{last:%d/%m/%Y}; registre as doses em ordem.", details={"field": "applied_on"})
        dose = next((d for d in doses if d.applied_on is None), None)
        if dose is None:
            dose = PetCareDose(shop_id=shop.id, pet_id=pet.id, protocol_id=protocol.id,
                               number=max((d.number for d in doses), default=0) + 1)
        dose.applied_on = applied_on
        dose.applied_by = _short(values, "applied_by")
        dose.manufacturer = _short(values, "manufacturer")
        dose.batch = _short(values, "batch")
        dose.notes = _long(values, "notes")
        dose.updated_at = to_utc(now)
        session.add(dose)
        following = next_dose(schedule_of(protocol), dose.number, applied_on)
        scheduled = None
        if following is not None:
            scheduled = PetCareDose(shop_id=shop.id, pet_id=pet.id, protocol_id=protocol.id,
                                    number=following.number, due_on=following.due_on,
                                    reminder=dose.reminder)
            session.add(scheduled)
        session.flush()
        audit.record(session, at=now, actor=actor, shop_id=shop.id, entity="pet",
                     entity_id=pet.id, action="petcare.dose_applied",
                     details={"protocol": protocol.name, "number": dose.number,
                              "applied_on": applied_on.isoformat(),
                              "next_due": following.due_on.isoformat() if following else None})
        return DoseRecorded(applied=_row(dose, protocol, today),
                            next=_row(scheduled, protocol, today) if scheduled else None)


def schedule_dose(engine: Engine, *, shop: Shop, pet_id: int, values: Mapping, actor: str,
                  now: datetime) -> DoseRow:
    """Schedule the pet's next dose of a protocol on ``due_on`` (dd/mm/aaaa), or move the one
    already scheduled; ``reminder`` ("1") asks for the tutor's WhatsApp reminder."""
    today = shop_today(shop, now)
    due_on = _day(values, "due_on", "Data prevista", _years_from(today, -PAST_YEARS),
                  _years_from(today, AHEAD_YEARS), low_text="data muito antiga",
                  high_text=f"no máximo {AHEAD_YEARS} anos à frente")
    reminder = str(values.get("reminder") or "") in {"1", "on", "true", "sim"}
    with write_session(engine, expire_on_commit=False) as session:
        pet, protocol = _pet_protocol(session, shop.id, pet_id, parse_id(values.get("protocol_id")))
        doses = _doses(session, pet.id, protocol.id)
        dose = next((d for d in doses if d.applied_on is None), None)
        if dose is None:
            dose = PetCareDose(shop_id=shop.id, pet_id=pet.id, protocol_id=protocol.id,
                               number=max((d.number for d in doses), default=0) + 1)
        moved_from = dose.due_on
        dose.due_on, dose.reminder, dose.updated_at = due_on, reminder, to_utc(now)
        dose.notes = _long(values, "notes") or dose.notes
        session.add(dose)
        session.flush()
        audit.record(session, at=now, actor=actor, shop_id=shop.id, entity="pet",
                     entity_id=pet.id, action="petcare.dose_scheduled",
                     details={"protocol": protocol.name, "number": dose.number,
                              "due_on": due_on.isoformat(),
                              "moved_from": moved_from.isoformat() if moved_from else None})
        return _row(dose, protocol, today)


def cancel_dose(engine: Engine, *, shop: Shop, pet_id: int, dose_id: int | None, actor: str,
                now: datetime) -> str:
    """Remove a scheduled (not applied) dose; an applied dose stays in the chart."""
    with write_session(engine) as session:
        pet = people.get_pet(session, pet_id, shop.id)
        dose = session.get(PetCareDose, dose_id) if dose_id else None
        if dose is None or dose.pet_id != pet.id or dose.shop_id != shop.id:
            raise NotFound("Dose não encontrada.")
        if dose.applied_on is not None:
            raise ValidationFailed("Uma dose aplicada não pode ser removida.")
        protocol = session.get(PetCareProtocol, dose.protocol_id)
        label = f"{protocol.name} ({dose_label(schedule_of(protocol), dose.number)})"
        audit.record(session, at=now, actor=actor, shop_id=shop.id, entity="pet",
                     entity_id=pet.id, action="petcare.dose_cancelled",
                     details={"protocol": protocol.name, "number": dose.number,
                              "due_on": dose.due_on.isoformat() if dose.due_on else None})
        session.delete(dose)
        return label


def due_doses(session: Session, *, shop_id: int, until: date,
              since: date | None = None) -> list[tuple[PetCareDose, PetCareProtocol]]:
    """The scheduled doses with a reminder, due from ``since`` to ``until``, of active
    protocols (the planner's input: reminders before the date and the overdue notice)."""
    stmt = (select(PetCareDose, PetCareProtocol)
            .join(PetCareProtocol, PetCareProtocol.id == PetCareDose.protocol_id)
            .where(PetCareDose.shop_id == shop_id, PetCareDose.applied_on.is_(None),
                   PetCareDose.reminder.is_(True), PetCareDose.due_on.is_not(None),
                   PetCareDose.due_on <= until, PetCareProtocol.active.is_(True)))
    if since is not None:
        stmt = stmt.where(PetCareDose.due_on >= since)
    rows = session.exec(
        stmt
        .order_by(PetCareDose.due_on, PetCareDose.id)).all()
    return [(d, p) for d, p in rows]


__all__ = ["DoseRecorded", "DoseRow", "DoseStatus", "PetChart", "cancel_dose", "due_doses",
           "get_protocol", "list_protocols", "pet_chart", "record_applied", "save_protocol",
           "schedule_dose", "set_protocol_active"]
