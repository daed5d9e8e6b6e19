"""Long because: one use case whose service change runs in named steps (fit, forced choice,
plan units, items, prices) that share the visit's rows.

Editing a booked visit in place (TecPet's "Editar e Reagendar", "Esqueci de incluir o
serviço"): add or remove a service or add-on, add or remove Leva e Traz, change the notes.
Moving it to another time or professional is :func:`scheduler_core.scheduling.booking.
reschedule`. Conventions as in :mod:`scheduler_core.scheduling.booking`.

- **Services.** The visit keeps its start; its services are chained again in catalogue order
  and must still fit there, with the availability engine's rules (hours, breaks, blocks, other
  visits, shared resources, restrictions, the pet's other visits): each kept service stays with
  its professional, a new one goes to whoever is free (the visit's own professionals first).
  The visit's own time does not block it. A new service is priced and timed by the pet's cell
  (porte × pelagem or breed) like a booking; kept services keep the price they were booked
  with; services the visit's plan covers keep their plan unit (an added one takes a unit when
  one is left, a removed one gives it back). A combo keeps its discount while all its services
  stay. When the new services no longer fit, nothing is written and the result carries the
  conflicts (:class:`~scheduler_core.scheduling.encaixe.Conflict`); staff may then keep the
  change as an Encaixe (``force``): the visit is tagged ENCAIXE and the overridden conflicts
  go to the audit log, as for :func:`~scheduler_core.scheduling.encaixe.encaixe`.
- **Leva e Traz.** Added with the fee for the tutor's address (``booking_support.
  leva_e_traz_fee_for``) and only with the shop's Leva e Traz notice before the visit (the
  driver's route is planned ahead: :func:`~scheduler_core.scheduling.notice.
  leva_e_traz_refusal`, on every channel here); removed at any time.
- **Every change** is one audit entry ``appointment.edit`` whose ``summary`` is pt-BR, and is
  carried to the visit's invoice when it has one (:mod:`scheduler_core.billing.visit_changes`:
  an open invoice follows; a paid one is never rewritten).

Visits cancelled or marked no-show are not edited.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler_core.agenda.labels import STATUS_LABELS
from scheduler_core.agenda.models import Appointment, AppointmentItem
from scheduler_core.billing.models import InvoiceItemKind
from scheduler_core.billing.visit_changes import VisitLine, reflect_visit_change
from scheduler_core.catalog import offers as catalog
from scheduler_core.catalog.combos import combo_services
from scheduler_core.catalog.models import Combo, Service
from scheduler_core.catalog.segments import services_segment
from scheduler_core.db.engine import is_postgres, write_session
from scheduler_core.kernel.channels import Channel
from scheduler_core.kernel.clock import from_utc_naive, to_utc
from scheduler_core.kernel.errors import (
    InvalidTransition,
    NotFound,
    NoticeTooShort,
    PetNotBookable,
    ValidationFailed,
)
from scheduler_core.kernel.money import format_brl
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.plans import service as plans
from scheduler_core.plans.models import PetPlan, PetPlanStatus
from scheduler_core.scheduling import availability, encaixe
from scheduler_core.scheduling.agenda_types import AvailabilityQuery, NoSlotReason, SlotItem
from scheduler_core.scheduling.appointments import appointment_items
from scheduler_core.scheduling.booking_support import (
    audit_appointment,
    combo_discount,
    get_appointment,
    get_pet,
    leva_e_traz_fee_for,
    lock_capacity,
    require_aware,
)
from scheduler_core.scheduling.notice import leva_e_traz_refusal
from scheduler_core.scheduling.snapshot import load_snapshot, pet_info
from scheduler_core.scheduling.visit_status import CLOSED_STATUSES
from scheduler_core.shop import team
from scheduler_core.shop.models import Shop

NOTES_MAX = 2000
_PET_REASONS = frozenset({
    NoSlotReason.BREED_NOT_ACCEPTED, NoSlotReason.PORTE_NOT_ACCEPTED,
    NoSlotReason.PET_DATA_MISSING, NoSlotReason.SPECIES_NOT_SERVED,
})
NO_FIT = "Com essa mudança o atendimento não cabe mais no horário."


@dataclass(frozen=True)
class VisitEdit:
    """What :func:`edit_visit` did. ``fits`` False: the new services do not fit at the visit's
    start and nothing was written; ``conflicts`` says why (what an Encaixe would override)."""

    appointment: Appointment
    changes: tuple[str, ...] = ()  # pt-BR, one sentence per change (invoice effects included)
    fits: bool = True
    conflicts: tuple[encaixe.Conflict, ...] = field(default_factory=tuple)

    @property
    def message(self) -> str:
        """The pt-BR line for staff."""
        if not self.fits:
            return NO_FIT
        return " ".join(self.changes) if self.changes else "Nada foi alterado."


@dataclass
class _Lines:
    """The visit's lines added and removed by one edit, as its invoice carries them."""

    added: list[VisitLine] = field(default_factory=list)
    removed: list[VisitLine] = field(default_factory=list)
    said: list[str] = field(default_factory=list)


def _ids(values: Iterable[int]) -> list[int]:
    try:
        return list(dict.fromkeys(int(v) for v in values))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Serviço inválido.") from exc


def _check_editable(appt: Appointment) -> None:
    if appt.status in CLOSED_STATUSES:
        raise InvalidTransition(
            f"Agendamentos com status {STATUS_LABELS.get(appt.status, appt.status)} não podem "
            "ser alterados.", details={"appointment_id": appt.id},
        )


def _hm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


# --------------------------------------------------------------------------- services


def _new_service_ids(
    session: Session, appt: Appointment, pet: Pet, current: list[int], add: list[int],
    remove: list[int],
) -> list[int]:
    """The visit's services after the edit, checked: an added one is offered to this pet (its
    price cell exists) in the visit's segment; a removed one is on the visit; one is left."""
    names = dict(session.execute(
        select(Service.id, Service.name).where(Service.id.in_(add + remove or [0]))).all())
    for sid in remove:
        if sid not in current:
            raise ValidationFailed(f"{names.get(sid, 'Esse serviço')} não está no agendamento.")
    if add:
        offered = catalog.services_for_pet(session, appt.shop_id, pet.id, channel=Channel.STAFF)
        can = {o.id for o in (*offered.services, *offered.addons)}
        for sid in add:
            if sid in current:
                raise ValidationFailed(f"{names.get(sid, 'Esse serviço')} já está no agendamento.")
            if sid not in can:
                raise ValidationFailed(
                    f"{names.get(sid, 'Esse serviço')} não está disponível para {pet.name}.")
    result = [sid for sid in current if sid not in remove] + add
    if not result:
        raise ValidationFailed(
            "O agendamento precisa de pelo menos um serviço; para desistir dele, cancele-o.")
    if add and services_segment(session, result) != appt.segment_id:
        raise ValidationFailed("Esse serviço é de outro setor; agende-o separadamente.")
    return result


def _lock(session: Session, shop: Shop, pet: Pet, service_ids: list[int]) -> None:
    """PostgreSQL: the professionals who could do these services, their resources, then the pet
    (booking's global lock order, after the appointment row)."""
    if not is_postgres(session):
        return
    cats = set(session.execute(
        select(Service.category_id).where(Service.id.in_(service_ids))).scalars())
    emp_ids = {e.id for c in cats for e in team.employees_for(session, shop.id, c)}
    lock_capacity(session, employee_ids=emp_ids, service_ids=service_ids)
    session.execute(select(Pet.id).where(Pet.id == pet.id).with_for_update()).all()


def _fit(
    session: Session, appt: Appointment, shop: Shop, pet: Pet, items: list[AppointmentItem],
    service_ids: list[int], start: datetime, now: datetime,
) -> list[SlotItem] | None:
    """The new services chained from ``start`` as the engine places them, or None when they do
    not fit there. The engine is asked for that exact start (any minute, not only the grid; an
    Encaixe or a visit already under way keeps its start)."""
    day = start.date()
    snapshot = load_snapshot(session, shop.id, appt.segment_id, day, day)
    snapshot = replace(
        snapshot,
        segment=replace(snapshot.segment, slot_step_min=1),
        staff_rules=replace(snapshot.staff_rules, min_notice_min=0, display="todos"),
    )
    categories = dict(session.execute(
        select(Service.id, Service.category_id).where(Service.id.in_(service_ids))).all())
    by_category: dict[int, set[int]] = {}
    for it in items:
        if it.service_id in categories:
            by_category.setdefault(categories[it.service_id], set()).add(it.employee_id)
    query = AvailabilityQuery(
        pet=pet_info(pet),
        service_ids=tuple(service_ids),
        date_from=day,
        date_to=day,
        now=min(now, start),
        channel=Channel.STAFF,
        employee_by_category={c: next(iter(e)) for c, e in by_category.items() if len(e) == 1},
        moving_appointment_id=appt.id,
        preferred_employee_ids=frozenset(it.employee_id for it in items),
    )
    result = availability.find_slots(snapshot, query)
    for slot in result.slots:
        if slot.start == start:
            return list(slot.items)
    if not result.slots and result.reason in _PET_REASONS:
        raise PetNotBookable(result.message or None, details={"reason": str(result.reason)})
    return None


def _forced_choice(
    session: Session, shop: Shop, pet: Pet, items: list[AppointmentItem], service_ids: list[int],
    chosen: Mapping[int, int],
) -> dict[int, int]:
    """The professional per service of an edit kept as an Encaixe: staff's choice, else the
    one the service has, else the first who can do it (the visit's own professionals first)."""
    have = {it.service_id: it.employee_id for it in items}
    mine = set(have.values())
    choice: dict[int, int] = {}
    for sid in service_ids:
        if sid in chosen:
            choice[sid] = int(chosen[sid])
        elif sid in have:
            choice[sid] = have[sid]
        else:
            service = session.get(Service, sid)
            able = team.employees_for(session, shop.id, service.category_id, pet.species)
            able.sort(key=lambda e: e.id not in mine)
            if able:
                choice[sid] = able[0].id
    return choice


def _plan_claim(
    session: Session, appt: Appointment, added: list[int], day: datetime
) -> plans.Claim | None:
    """Units of the visit's plan for added services (None without an active plan that day)."""
    if appt.pet_plan_id is None or not added:
        return None
    plan = session.get(PetPlan, appt.pet_plan_id)
    if plan is None or plan.status != PetPlanStatus.ATIVO:
        return None
    if not (plan.start_date <= day.date() <= plan.end_date):
        return None
    return plans.claim(session, plan=plan, service_ids=added, day=day.date())


def _store_items(
    session: Session, appt: Appointment, items: list[AppointmentItem], placed: list[SlotItem],
    covered: set[int],
) -> list[tuple[int, int]]:
    """Write the visit's items as ``placed`` (kept ones keep their price and plan line; new
    ones are priced by their cell, 0 when ``covered`` by the plan); returns (service, price)."""
    old = {it.service_id: it for it in items}
    keep = {p.service_id for p in placed}
    for it in items:
        if it.service_id not in keep:
            session.delete(it)
    lines = []
    for position, new in enumerate(placed):
        row = old.get(new.service_id)
        if row is None:
            row = AppointmentItem(
                appointment_id=appt.id, service_id=new.service_id,
                price_cents=0 if new.service_id in covered else new.price_cents,
                in_plan=new.service_id in covered,
            )
        row.employee_id = new.employee_id
        row.start = to_utc(new.start)
        row.end = to_utc(new.end)
        row.duration_min = new.duration_min
        row.position = position
        session.add(row)
        lines.append((row.service_id, row.price_cents))
    return lines


def _reprice(session: Session, appt: Appointment, lines: list[tuple[int, int]]) -> str:
    """Total and combo discount after the edit; a combo missing a service loses its discount
    (returns the pt-BR sentence saying so, else "")."""
    note = ""
    discount = 0
    if appt.combo_id is not None:
        combo = session.get(Combo, appt.combo_id)
        members = combo_services(session, appt.combo_id)
        if combo is not None and set(members) <= {sid for sid, _p in lines}:
            discount = combo_discount(combo.discount_kind, combo.discount_value, lines, members)
        else:
            appt.combo_id = None
            note = "O desconto do combo saiu: o combo não está mais completo."
    appt.discount_cents = discount
    appt.total_cents = sum(price for _sid, price in lines) - discount
    return note


def _change_services(
    session: Session, appt: Appointment, shop: Shop, pet: Pet, add: list[int],
    remove: list[int], *, now: datetime, actor: str, force: bool,
    employee_by_service: Mapping[int, int],
) -> tuple[_Lines, list[encaixe.Conflict]] | list[encaixe.Conflict]:
    """Apply the service change (lines and conflicts overridden), or the conflicts when it does
    not fit and is not forced (nothing written)."""
    items = appointment_items(session, appt.id)
    current = [it.service_id for it in items]
    service_ids = _new_service_ids(session, appt, pet, current, add, remove)
    _lock(session, shop, pet, service_ids)
    start = from_utc_naive(appt.start, shop.timezone)
    placed = _fit(session, appt, shop, pet, items, service_ids, start, now)
    conflicts: list[encaixe.Conflict] = []
    if placed is None:
        choice = _forced_choice(session, shop, pet, items, service_ids, employee_by_service)
        placed, conflicts = encaixe.plan_in_place(
            session, pet=pet, shop=shop, service_ids=service_ids, start=start,
            employee_by_service=choice, now=now, appointment_id=appt.id)
        conflicts = [c for c in conflicts if c.kind != "past"]
        if not force:
            return conflicts
        appt.is_encaixe = True
    names = dict(session.execute(
        select(Service.id, Service.name).where(Service.id.in_(current + add))).all())
    old = {it.service_id: it for it in items}
    added = [sid for sid in service_ids if sid not in old]
    claim = _plan_claim(session, appt, added, start)
    covered = claim.covered if claim is not None else set()
    lines = _Lines()
    by_sid = {p.service_id: p for p in placed}
    for sid in added:
        price = 0 if sid in covered else by_sid[sid].price_cents
        lines.added.append(VisitLine(names[sid], price, in_plan=sid in covered))
        what = "no plano" if sid in covered else format_brl(price)
        lines.said.append(f"Incluído {names[sid]} ({what}, {by_sid[sid].duration_min} min).")
    for sid in remove:
        lines.removed.append(VisitLine(names[sid], old[sid].price_cents, in_plan=old[sid].in_plan))
        lines.said.append(f"Retirado {names[sid]}.")
    if claim is not None:
        plans.attach(session, claim, appt, now=now, actor=actor)
        if claim.note:
            lines.said.append(claim.note)
    plans.return_services(session, appt, [s for s in remove if old[s].in_plan], now=now,
                          actor=actor)
    priced = _store_items(session, appt, items, placed, covered)
    combo_note = _reprice(session, appt, priced)
    appt.end = to_utc(placed[-1].end)
    lines.said.append(
        f"Horário: {_hm(start)}–{_hm(placed[-1].end)}; total {format_brl(appt.total_cents)}.")
    if combo_note:
        lines.said.append(combo_note)
    if conflicts:
        lines.said.append("Mantido como encaixe.")
    return lines, conflicts


# --------------------------------------------------------------------------- Leva e Traz, notes


def _change_leva_e_traz(
    session: Session, appt: Appointment, shop: Shop, tutor: Tutor, wanted: bool, now: datetime,
    lines: _Lines,
) -> None:
    if wanted == appt.leva_e_traz:
        return
    if not wanted:
        if appt.leva_e_traz_fee_cents > 0:
            lines.removed.append(VisitLine("Leva e Traz", appt.leva_e_traz_fee_cents,
                                           InvoiceItemKind.LEVA_E_TRAZ))
        appt.leva_e_traz, appt.leva_e_traz_fee_cents, appt.leva_e_traz_zone_id = False, 0, None
        lines.said.append("Leva e Traz retirado.")
        return
    if not shop.leva_e_traz_enabled:
        raise ValidationFailed("Esta loja não oferece Leva e Traz.")
    start = from_utc_naive(appt.start, shop.timezone)
    refusal = leva_e_traz_refusal(shop.leva_e_traz_min_notice_hours, start, now)
    if refusal is not None:
        raise NoticeTooShort(refusal)
    fee, zone_id = leva_e_traz_fee_for(session, shop, tutor)
    appt.leva_e_traz, appt.leva_e_traz_fee_cents, appt.leva_e_traz_zone_id = True, fee, zone_id
    if fee > 0:
        lines.added.append(VisitLine("Leva e Traz", fee, InvoiceItemKind.LEVA_E_TRAZ))
    lines.said.append(
        f"Leva e Traz incluído ({format_brl(fee) if fee else 'sem taxa para este endereço'}).")


# --------------------------------------------------------------------------- the use case


def edit_visit(
    engine: Engine,
    *,
    appointment_id: int,
    now: datetime,
    actor: str,
    add_service_ids: Iterable[int] = (),
    remove_service_ids: Iterable[int] = (),
    leva_e_traz: bool | None = None,
    notes: str | None = None,
    force: bool = False,
    employee_by_service: Mapping[int, int] | None = None,
    shop_id: int | None = None,
) -> VisitEdit:
    """Edit a booked visit in place (module docstring). ``leva_e_traz`` / ``notes`` None leave
    them as they are. ``force`` keeps a service change that no longer fits as an Encaixe, with
    ``employee_by_service`` choosing professionals (default: the ones the visit has, then the
    first who can do the new service). ``shop_id``, when given, must own the visit (else
    ``not_found``)."""
    require_aware(now)
    add, remove = _ids(add_service_ids), _ids(remove_service_ids)
    if set(add) & set(remove):
        raise ValidationFailed("Um serviço não pode ser incluído e retirado ao mesmo tempo.")
    with write_session(engine, expire_on_commit=False) as session:
        appt = get_appointment(session, appointment_id, lock=True)
        if shop_id is not None and appt.shop_id != shop_id:
            raise NotFound("Agendamento não encontrado.", details={"appointment_id": appt.id})
        _check_editable(appt)
        shop = session.get(Shop, appt.shop_id)
        pet, tutor = get_pet(session, appt.pet_id, appt.shop_id)
        before = {"end": appt.end, "total_cents": appt.total_cents,
                  "leva_e_traz_fee_cents": appt.leva_e_traz_fee_cents,
                  "is_encaixe": appt.is_encaixe}
        lines, conflicts = _Lines(), []
        if add or remove:
            changed = _change_services(
                session, appt, shop, pet, add, remove, now=now, actor=actor, force=force,
                employee_by_service={
                    int(k): int(v) for k, v in (employee_by_service or {}).items()},
            )
            if isinstance(changed, list):
                return VisitEdit(appointment=appt, fits=False, conflicts=tuple(changed))
            lines, conflicts = changed
        if leva_e_traz is not None:
            _change_leva_e_traz(session, appt, shop, tutor, bool(leva_e_traz), now, lines)
        if notes is not None and notes.strip()[:NOTES_MAX] != appt.notes:
            appt.notes = notes.strip()[:NOTES_MAX]
            lines.said.append("Observações alteradas.")
        if not lines.said:
            return VisitEdit(appointment=appt)
        appt.updated_at = to_utc(now)
        session.add(appt)
        session.flush()
        billed = reflect_visit_change(session, appt.id, added=lines.added,
                                      removed=lines.removed, now=now, actor=actor)
        changes = (*lines.said, *billed)
        audit_appointment(session, appt, "appointment.edit", actor=actor, now=now, details={
            "summary": " ".join(changes),
            "added": [ln.name for ln in lines.added],
            "removed": [ln.name for ln in lines.removed],
            "before": before,
            "after": {"end": appt.end, "total_cents": appt.total_cents,
                      "leva_e_traz_fee_cents": appt.leva_e_traz_fee_cents,
                      "is_encaixe": appt.is_encaixe},
            "conflicts": [c.to_dict() for c in conflicts],
        })
        session.flush()
        return VisitEdit(appointment=appt, changes=changes, conflicts=tuple(conflicts))


__all__ = ["NO_FIT", "VisitEdit", "edit_visit"]
