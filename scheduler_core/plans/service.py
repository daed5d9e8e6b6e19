"""Long because: the sale, allowances and bookings share the cycle layout and allowance locks.

Plans and packages: the sale, allowances per billing cycle and per service, and how bookings
use them (spec/scheduling.md §2.8, §4; spec/backoffice.md §2.4–§2.8, §3.1–§3.3).

Model:

- :func:`sell_plan` creates the :class:`PetPlan`, its :class:`BillingCycle` rows (one
  :class:`Invoice` of kind ``plano`` each) and one :class:`Allowance` per cycle and service, and
  logs ``sell``.
- **Plan** (mensal, trimestral, semestral, anual): the period (1, 3, 6, 12 months from the start
  date) is charged monthly, so it has one cycle per month; each cycle includes the template's
  quantity of every service; its invoice is due on the first day of the cycle.
- **Package** (pacote): valid ``template.months`` months; its sessions are grouped into cycles of
  ``charge_every_n`` appointments (one cycle when N is not set). Cycle *i* includes up to N units
  of each service. A cycle invoice's due date is the date of the cycle's first appointment (unset
  until one is booked).
- The contract price (``PetPlan.price_cents``) is the price of the whole period / package:
  the template price for the pet (``pricing.price_for_pet``: breed, porte × pelagem, porte,
  base) less ``discount_pct``, unless the seller overrides it; it is split evenly over the
  cycles (the first cycles take the leftover centavos).
- A cycle's invoice has one line per session the cycle includes ("Banho — sessão 2 de 4", k of
  the cycle's quantity of that service; :func:`session_lines`), the cycle's amount split evenly
  over them with the remainder on the last line, so the lines add up to the cycle exactly.
  Regrouping a package moves bookings between cycles, never the sessions a cycle includes, so
  these lines never change after the sale.

Bookings (called by :mod:`scheduler_core.scheduling.booking` and
:mod:`scheduler_core.scheduling.visit_status`,
inside their write transaction):

- :func:`claim` takes one unit per covered service — from the cycle containing the visit date
  (plans) or from the first cycle with a unit left (packages). Allowance rows are locked
  ``FOR UPDATE`` on PostgreSQL (SQLite: the transaction holds the write lock), so concurrent
  bookings never use the same unit twice. A service whose allowance is used up keeps its normal
  price (spec §6.11) and the claim's ``note`` says so.
- :func:`attach` links the units to the new appointment (:class:`PlanUsage`) and logs
  ``new_booking``.
- :func:`release` on cancellation: outside the minimum notice the unit returns
  (``canceled_booking``); inside it the unit is spent (``late_cancel``). :func:`forfeit` on a
  no-show spends it (``no_show``). A reschedule keeps the unit (nothing to do).

:func:`plan_status` reports per cycle and service what is included, used and remaining.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler_core.agenda.models import Appointment
from scheduler_core.audit.log import record
from scheduler_core.billing.invoices import (
    next_invoice_number,
    paid_cents,
    refresh_status,
    split_evenly,
)
from scheduler_core.billing.models import (
    BillingCycle,
    Invoice,
    InvoiceItem,
    InvoiceItemKind,
    InvoiceKind,
    InvoiceStatus,
)
from scheduler_core.catalog.models import Service
from scheduler_core.catalog.segments import services_segment
from scheduler_core.db.engine import is_postgres, locked_session
from scheduler_core.kernel.clock import to_utc
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.kernel.text import plural
from scheduler_core.people.models import Pet, PetStatus, Tutor
from scheduler_core.plans.labels import PLAN_KIND_LABELS
from scheduler_core.plans.models import (
    Allowance,
    PetPlan,
    PetPlanStatus,
    PlanKind,
    PlanLog,
    PlanTemplate,
    PlanTemplateService,
    PlanUsage,
    PlanUsageState,
)
from scheduler_core.plans.pricing import price_for_pet
from scheduler_core.plans.regroup import regroup_package
from scheduler_core.shop.models import Segment, Shop

#: Length of a recurring plan's period in months; plans are charged monthly.
PLAN_MONTHS: dict[str, int] = {
    PlanKind.MENSAL: 1,
    PlanKind.TRIMESTRAL: 3,
    PlanKind.SEMESTRAL: 6,
    PlanKind.ANUAL: 12,
}
NO_PLAN_FOR_PET = "Nenhum plano disponível para este pet."
WRONG_BREED = "Este plano não vale para a raça deste pet."


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class AllowanceStatus:
    service_id: int
    service_name: str
    included: int
    used: int

    @property
    def remaining(self) -> int:
        return max(0, self.included - self.used)


@dataclass(frozen=True)
class CycleStatus:
    id: int
    seq: int
    period_start: date
    period_end: date
    due_date: date | None
    amount_cents: int
    invoice_id: int | None
    invoice_status: str | None
    is_current: bool
    services: tuple[AllowanceStatus, ...]


@dataclass(frozen=True)
class PlanStatus:
    """A sold plan as the tutor page and the bot show it."""

    pet_plan_id: int
    tutor_id: int
    pet_id: int
    template_id: int
    name: str
    kind: str
    status: str
    start_date: date
    end_date: date
    price_cents: int
    cycles: tuple[CycleStatus, ...]

    @property
    def is_package(self) -> bool:
        return self.kind == PlanKind.PACOTE

    @property
    def kind_label(self) -> str:
        return PLAN_KIND_LABELS.get(self.kind, self.kind)

    @property
    def current(self) -> CycleStatus | None:
        return next((c for c in self.cycles if c.is_current), None)

    def remaining(self, service_id: int) -> int:
        """Units of ``service_id`` still bookable: current cycle (plans), all cycles (packages)."""
        cycles = self.cycles if self.is_package else [c for c in self.cycles if c.is_current]
        return sum(a.remaining for c in cycles for a in c.services if a.service_id == service_id)


@dataclass(frozen=True)
class Claim:
    """Units taken for one booking (not yet linked to the appointment)."""

    pet_plan_id: int
    allowance_by_service: dict[int, int] = field(default_factory=dict)  # service → allowance
    exhausted: tuple[int, ...] = ()  # covered by the plan, but no unit left: normal price
    note: str = ""  # pt-BR, set when something fell back to the normal price

    @property
    def covered(self) -> set[int]:
        return set(self.allowance_by_service)


# --------------------------------------------------------------------------- helpers


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day (31/01 → 28/02)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))




def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(max(0, total), parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def session_lines(
    names: dict[int, str], quantities: dict[int, int], amount_cents: int
) -> list[tuple[str, int]]:
    """A cycle invoice's lines: one per session the cycle includes ("Banho — sessão 2 de 4",
    k of the cycle's quantity of that service, services in id order), the cycle's amount split
    evenly so the lines add up to it exactly (the remainder on the last line)."""
    labels = [
        f"{names.get(sid, str(sid))} — sessão {k} de {qty}"
        for sid, qty in sorted(quantities.items())
        for k in range(1, qty + 1)
    ]
    if not labels:
        return []
    return list(zip(labels, split_evenly(amount_cents, len(labels)), strict=True))


def _service_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(select(Service.id, Service.name).where(Service.id.in_(wanted))).all()
    return {sid: name for sid, name in rows}


def _log(
    session: Session,
    plan_id: int,
    kind: str,
    *,
    now: datetime,
    actor: str,
    note: str = "",
    appointment_id: int | None = None,
    invoice_id: int | None = None,
) -> None:
    session.add(
        PlanLog(
            pet_plan_id=plan_id,
            kind=kind,
            at=to_utc(now),
            note=note,
            actor=actor,
            appointment_id=appointment_id,
            invoice_id=invoice_id,
        )
    )


@dataclass(frozen=True)
class _CycleLayout:
    period_start: date
    period_end: date
    due_date: date | None
    quantities: dict[int, int]


def _layout(
    template: PlanTemplate, quantities: dict[int, int], start: date
) -> tuple[date, list[_CycleLayout]]:
    """(end date, cycles) of a sale starting on ``start``."""
    if template.kind == PlanKind.PACOTE:
        end = add_months(start, max(1, template.months or 1)) - timedelta(days=1)
        n = template.charge_every_n or 0
        sessions = max(quantities.values())
        count = -(-sessions // n) if n > 0 else 1
        cycles = []
        for i in range(count):
            qty = (
                {sid: max(0, min(n, q - i * n)) for sid, q in quantities.items()}
                if n > 0
                else dict(quantities)
            )
            cycles.append(_CycleLayout(start, end, None, qty))
        return end, cycles
    months = PLAN_MONTHS.get(template.kind)
    if months is None:
        raise ValidationFailed("Tipo de plano inválido.", details={"kind": template.kind})
    end = add_months(start, months) - timedelta(days=1)
    cycles = [
        _CycleLayout(
            add_months(start, i),
            add_months(start, i + 1) - timedelta(days=1),
            add_months(start, i),
            dict(quantities),
        )
        for i in range(months)
    ]
    return end, cycles



# --------------------------------------------------------------------------- sale


def sell_plan(
    engine: Engine,
    *,
    pet_id: int,
    template_id: int,
    start_date: date,
    now: datetime,
    actor: str,
    price_cents: int | None = None,
    segment_id: int | None = None,
) -> PetPlan:
    """Sell a plan or package template to one pet, starting on ``start_date`` (shop date).

    Creates the PetPlan (status ativo), its billing cycles with one pending ``plano`` invoice
    each, the allowances (template quantity per cycle and service) and a ``sell`` log entry.
    ``price_cents`` overrides the contract price; ``segment_id`` defaults to the segment of the
    template's services. Refusals (pt-BR): unknown pet/template (``not_found``), a template
    that does not serve the pet's species or is inactive ("Nenhum plano disponível para este
    pet."), an inactive pet, a template without services, a negative price.
    """
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ValidationFailed("Data e hora inválidas.", details={"field": "now"})
    if not isinstance(start_date, date) or isinstance(start_date, datetime):
        raise ValidationFailed("Data de início inválida.", details={"field": "start_date"})
    if price_cents is not None and (
        isinstance(price_cents, bool) or not isinstance(price_cents, int) or price_cents < 0
    ):
        raise ValidationFailed("Preço inválido.", details={"field": "price_cents"})
    with locked_session(engine, expire_on_commit=False) as session:
        try:
            plan = _sell(
                session,
                pet_id=pet_id,
                template_id=template_id,
                start_date=start_date,
                now=now,
                actor=actor,
                price_cents=price_cents,
                segment_id=segment_id,
            )
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return plan


def _check_sellable(template: PlanTemplate, pet: Pet) -> None:
    """Refuse a template that is inactive or not for the pet's species or breed, or a pet
    that is not active (pt-BR :class:`ValidationFailed`)."""
    if not template.active or pet.species not in (template.species or []):
        raise ValidationFailed(
            NO_PLAN_FOR_PET, details={"template_id": template.id, "species": pet.species}
        )
    if template.breed_ids and pet.breed_id not in template.breed_ids:
        raise ValidationFailed(
            WRONG_BREED, details={"template_id": template.id, "breed_id": pet.breed_id}
        )
    if pet.status != PetStatus.ATIVO:
        raise ValidationFailed(f"O cadastro de {pet.name} não está ativo.")


def _sell(
    session: Session,
    *,
    pet_id: int,
    template_id: int,
    start_date: date,
    now: datetime,
    actor: str,
    price_cents: int | None,
    segment_id: int | None,
) -> PetPlan:
    pet = session.get(Pet, pet_id) if pet_id is not None else None
    tutor = session.get(Tutor, pet.tutor_id) if pet is not None else None
    if pet is None or tutor is None:
        raise NotFound("Pet não encontrado.", details={"pet_id": pet_id})
    template = session.get(PlanTemplate, template_id) if template_id is not None else None
    if template is None or template.shop_id != tutor.shop_id:
        raise NotFound("Plano não encontrado.", details={"template_id": template_id})
    _check_sellable(template, pet)
    lines = list(
        session.execute(
            select(PlanTemplateService)
            .where(PlanTemplateService.template_id == template.id)
            .order_by(PlanTemplateService.service_id)
        ).scalars()
    )
    quantities = {line.service_id: int(line.quantity) for line in lines if line.quantity > 0}
    if not quantities:
        raise ValidationFailed("Este plano não tem serviços cadastrados.")
    services_seg = services_segment(session, quantities)
    if segment_id is None:
        segment_id = services_seg
    else:
        segment = session.get(Segment, segment_id)
        if segment is None or segment.shop_id != tutor.shop_id:
            raise NotFound("Setor não encontrado.", details={"segment_id": segment_id})
        if segment.id != services_seg:
            raise ValidationFailed("Os serviços deste plano são de outro setor.")
    if price_cents is None:
        price_cents = price_for_pet(template, pet)

    shop = session.get(Shop, tutor.shop_id)
    if is_postgres(session):  # serialise invoice numbering per shop
        session.execute(select(Shop.id).where(Shop.id == shop.id).with_for_update()).all()
    end_date, layout = _layout(template, quantities, start_date)
    today = now.astimezone(ZoneInfo(shop.timezone)).date()
    plan = PetPlan(
        tutor_id=tutor.id,
        pet_id=pet.id,
        template_id=template.id,
        segment_id=segment_id,
        start_date=start_date,
        end_date=end_date,
        price_cents=price_cents,
        status=PetPlanStatus.ATIVO,
        created_at=to_utc(now),
    )
    session.add(plan)
    session.flush()
    if template.kind == PlanKind.PACOTE:
        current_seq = 1
    else:
        current_seq = next(
            (i + 1 for i, c in enumerate(layout) if c.period_start <= today <= c.period_end), 1
        )
    number = next_invoice_number(session, shop.id)
    names = _service_names(session, quantities)
    count = len(layout)
    for seq, (cycle, amount) in enumerate(
        zip(layout, _split(price_cents, count), strict=True), start=1
    ):
        label = f"{template.name} — ciclo {seq}/{count}" if count > 1 else template.name
        invoice = Invoice(
            shop_id=shop.id,
            number=number,
            kind=InvoiceKind.PLANO,
            status=InvoiceStatus.PENDENTE if amount else InvoiceStatus.SEM_COBRANCA,
            tutor_id=tutor.id,
            pet_id=pet.id,
            due_date=cycle.due_date,
            note=f"{label} · {PLAN_KIND_LABELS.get(template.kind, template.kind)} "
                 f"de {pet.name}",
            created_at=to_utc(now),
        )
        number += 1
        session.add(invoice)
        session.flush()
        for name, unit in session_lines(names, cycle.quantities, amount):
            session.add(
                InvoiceItem(
                    invoice_id=invoice.id, kind=InvoiceItemKind.SERVICO, name=name,
                    unit_cents=unit,
                )
            )
        row = BillingCycle(
            pet_plan_id=plan.id,
            seq=seq,
            period_start=cycle.period_start,
            period_end=cycle.period_end,
            due_date=cycle.due_date,
            amount_cents=amount,
            invoice_id=invoice.id,
            is_current=seq == current_seq,
        )
        session.add(row)
        session.flush()
        for service_id, qty in cycle.quantities.items():
            session.add(Allowance(cycle_id=row.id, service_id=service_id, included_qty=qty))
    _log(
        session,
        plan.id,
        "sell",
        now=now,
        actor=actor,
        note=f"{template.name} vendido para {pet.name}: {plural(count, 'ciclo')}.",
    )
    record(
        session,
        actor=actor,
        action="plan.sell",
        entity="pet_plan",
        entity_id=plan.id,
        shop_id=shop.id,
        at=now,
        details={
            "template_id": template.id,
            "pet_id": pet.id,
            "start_date": start_date.isoformat(),
            "end_date": end_date.isoformat(),
            "price_cents": price_cents,
            "cycles": count,
        },
    )
    session.flush()
    return plan


# --------------------------------------------------------------------------- bookings


def _locked_allowances(
    session: Session, plan_id: int, service_ids: Iterable[int] | None = None,
    allowance_ids: Iterable[int] | None = None,
) -> list[tuple[Allowance, BillingCycle]]:
    """The plan's allowances (optionally only some services / ids) with their cycles, fresh
    from the database and locked FOR UPDATE on PostgreSQL (always in id order)."""
    stmt = (
        select(Allowance, BillingCycle)
        .join(BillingCycle, BillingCycle.id == Allowance.cycle_id)
        .where(BillingCycle.pet_plan_id == plan_id)
        .order_by(Allowance.id)
        .execution_options(populate_existing=True)
    )
    if service_ids is not None:
        stmt = stmt.where(Allowance.service_id.in_(sorted(set(service_ids)) or [0]))
    if allowance_ids is not None:
        stmt = stmt.where(Allowance.id.in_(sorted(set(allowance_ids)) or [0]))
    if is_postgres(session):
        stmt = stmt.with_for_update(of=Allowance)
    return [(a, c) for a, c in session.execute(stmt).all()]


def claim(
    session: Session,
    *,
    plan: PetPlan,
    service_ids: Iterable[int],
    day: date,
) -> Claim:
    """Take one unit per service of ``service_ids`` the plan covers, for a visit on ``day``.

    Runs inside the booking's write transaction (the caller validated the plan). Services the
    plan does not include are ignored; included services without a unit left are listed in
    ``exhausted`` and keep their normal price."""
    wanted = list(dict.fromkeys(int(s) for s in service_ids))
    template_ids = {
        sid
        for (sid,) in session.execute(
            select(PlanTemplateService.service_id).where(
                PlanTemplateService.template_id == plan.template_id
            )
        ).all()
    }
    covered = [sid for sid in wanted if sid in template_ids]
    if not covered:
        return Claim(pet_plan_id=plan.id)
    rows = _locked_allowances(session, plan.id, covered)
    package = session.get(PlanTemplate, plan.template_id).kind == PlanKind.PACOTE
    taken: dict[int, int] = {}
    exhausted: list[int] = []
    for sid in covered:
        candidates = [
            (a, c)
            for a, c in rows
            if a.service_id == sid and (package or c.period_start <= day <= c.period_end)
        ]
        candidates.sort(key=lambda ac: (ac[1].seq, ac[0].id))
        chosen = next((a for a, _c in candidates if a.used_qty < a.included_qty), None)
        if chosen is None:
            exhausted.append(sid)
            continue
        chosen.used_qty += 1
        session.add(chosen)
        taken[sid] = chosen.id
    note = ""
    if exhausted:
        names = _service_names(session, exhausted)
        label = ", ".join(names.get(s, str(s)) for s in exhausted)
        where = "deste pacote" if package else "deste ciclo do plano"
        note = f"Franquia {where} esgotada para {label}: cobrado o preço normal."
    return Claim(
        pet_plan_id=plan.id,
        allowance_by_service=taken,
        exhausted=tuple(exhausted),
        note=note,
    )


def attach(
    session: Session, taken: Claim, appointment: Appointment, *, now: datetime, actor: str
) -> None:
    """Link the claimed units to the new appointment and log ``new_booking``."""
    for service_id, allowance_id in taken.allowance_by_service.items():
        session.add(
            PlanUsage(
                appointment_id=appointment.id,
                allowance_id=allowance_id,
                service_id=service_id,
                state=PlanUsageState.HELD,
                created_at=to_utc(now),
                updated_at=to_utc(now),
            )
        )
    session.flush()
    names = _service_names(session, [*taken.allowance_by_service, *taken.exhausted])
    used = ", ".join(names.get(s, str(s)) for s in taken.allowance_by_service)
    note = f"No plano: {used}." if used else "Nenhum serviço coberto pelo plano."
    if taken.note:
        note += " " + taken.note
    _log(
        session, taken.pet_plan_id, "new_booking", now=now, actor=actor, note=note,
        appointment_id=appointment.id,
    )
    _refresh_package(session, taken.pet_plan_id, now=now)


def _held_usages(session: Session, appointment_id: int) -> list[PlanUsage]:
    return list(
        session.execute(
            select(PlanUsage)
            .where(
                PlanUsage.appointment_id == appointment_id,
                PlanUsage.state == PlanUsageState.HELD,
            )
            .order_by(PlanUsage.id)
            .execution_options(populate_existing=True)
        ).scalars()
    )


def _give_back(session: Session, plan_id: int, usages: list[PlanUsage], now: datetime) -> None:
    """The units ``usages`` held return to their allowances (state ``returned``)."""
    allowances = {
        a.id: a
        for a, _c in _locked_allowances(
            session, plan_id, allowance_ids=[u.allowance_id for u in usages])
    }
    for usage in usages:
        usage.state = PlanUsageState.RETURNED
        usage.updated_at = to_utc(now)
        allowance = allowances[usage.allowance_id]
        allowance.used_qty = max(0, allowance.used_qty - 1)
        session.add(allowance)
        session.add(usage)


def _spend(session: Session, usages: list[PlanUsage], now: datetime) -> None:
    """The units ``usages`` held are spent (state ``consumed``): late cancel, no-show."""
    for usage in usages:
        usage.state = PlanUsageState.CONSUMED
        usage.updated_at = to_utc(now)
        session.add(usage)


def _usage_label(session: Session, usages: list[PlanUsage]) -> str:
    """ "Banho, Tosa": the services of ``usages``, for the plan's records."""
    names = _service_names(session, [u.service_id for u in usages])
    return ", ".join(names.get(u.service_id, str(u.service_id)) for u in usages)


def release(
    session: Session, appointment: Appointment, *, late: bool, now: datetime, actor: str
) -> None:
    """Cancellation of a plan appointment: the units return (``canceled_booking``), or, when
    the cancellation is inside the minimum notice, they are spent (``late_cancel``)."""
    usages = _held_usages(session, appointment.id)
    if appointment.pet_plan_id is None or not usages:
        return
    if late:
        _spend(session, usages, now)
    else:
        _give_back(session, appointment.pet_plan_id, usages, now)
    label = _usage_label(session, usages)
    if late:
        kind = "late_cancel"
        note = f"Cancelamento dentro do prazo mínimo: sessão consumida ({label})."
    else:
        kind, note = "canceled_booking", f"Agendamento cancelado: sessão devolvida ({label})."
    _log(
        session, appointment.pet_plan_id, kind, now=now, actor=actor, note=note,
        appointment_id=appointment.id,
    )
    session.flush()
    plan = session.get(PetPlan, appointment.pet_plan_id)
    template = session.get(PlanTemplate, plan.template_id)
    if not late and template.kind == PlanKind.PACOTE:
        moved = regroup_package(session, plan.id)
        if moved:
            _log(
                session, plan.id, "regroup", now=now, actor=actor,
                appointment_id=appointment.id,
                note="Ciclos reorganizados: "
                f"{plural(moved, 'sessão adiantada', 'sessões adiantadas')}; a sessão "
                "devolvida vai para o fim do pacote.",
            )
    _refresh_package(session, appointment.pet_plan_id, now=now)


def return_services(
    session: Session,
    appointment: Appointment,
    service_ids: Iterable[int],
    *,
    now: datetime,
    actor: str,
) -> None:
    """Services taken off a plan visit that is kept (a booked visit edited): the units they
    held return to the plan (``service_removed``); the visit's other units stay held."""
    wanted = {int(s) for s in service_ids}
    usages = [u for u in _held_usages(session, appointment.id) if u.service_id in wanted]
    if appointment.pet_plan_id is None or not usages:
        return
    _give_back(session, appointment.pet_plan_id, usages, now)
    label = _usage_label(session, usages)
    _log(
        session, appointment.pet_plan_id, "service_removed", now=now, actor=actor,
        note=f"Serviço retirado do agendamento: sessão devolvida ({label}).",
        appointment_id=appointment.id,
    )
    session.flush()
    _refresh_package(session, appointment.pet_plan_id, now=now)


def moved(session: Session, appointment: Appointment, *, now: datetime) -> None:
    """A plan visit was rescheduled: it keeps its unit and its cycle; a package cycle's due
    date follows its (possibly new) first appointment. No other cycle changes."""
    if appointment.pet_plan_id is not None:
        session.flush()
        _refresh_package(session, appointment.pet_plan_id, now=now)


def forfeit(session: Session, appointment: Appointment, *, now: datetime, actor: str) -> None:
    """No-show of a plan appointment: its units are spent (``no_show``)."""
    usages = _held_usages(session, appointment.id)
    if appointment.pet_plan_id is None or not usages:
        return
    _spend(session, usages, now)
    label = _usage_label(session, usages)
    _log(
        session, appointment.pet_plan_id, "no_show", now=now, actor=actor,
        note=f"Não compareceu: sessão consumida ({label}).", appointment_id=appointment.id,
    )
    session.flush()


def _refresh_package(session: Session, plan_id: int, *, now: datetime | None = None) -> None:
    """Packages: each cycle's due date is the date of its first appointment (the cycle
    invoice follows while nothing was paid on it: pendente, or vencida with ``now`` to
    re-evaluate it; a paid or partly paid invoice is never rewritten); the current cycle is
    the first with a unit left."""
    plan = session.get(PetPlan, plan_id)
    template = session.get(PlanTemplate, plan.template_id)
    if template.kind != PlanKind.PACOTE:
        return
    session.flush()
    tz = ZoneInfo(
        session.execute(
            select(Shop.timezone).join(Tutor, Tutor.shop_id == Shop.id).where(
                Tutor.id == plan.tutor_id
            )
        ).scalar_one()
    )
    cycles = list(
        session.execute(
            select(BillingCycle)
            .where(BillingCycle.pet_plan_id == plan_id)
            .order_by(BillingCycle.seq)
            .execution_options(populate_existing=True)
        ).scalars()
    )
    firsts = dict(
        session.execute(
            select(Allowance.cycle_id, func.min(Appointment.start))
            .join(PlanUsage, PlanUsage.allowance_id == Allowance.id)
            .join(Appointment, Appointment.id == PlanUsage.appointment_id)
            .where(
                Allowance.cycle_id.in_([c.id for c in cycles] or [0]),
                PlanUsage.state != PlanUsageState.RETURNED,
            )
            .group_by(Allowance.cycle_id)
        ).all()
    )
    left = dict(
        session.execute(
            select(Allowance.cycle_id, func.sum(Allowance.included_qty - Allowance.used_qty))
            .where(Allowance.cycle_id.in_([c.id for c in cycles] or [0]))
            .group_by(Allowance.cycle_id)
        ).all()
    )
    current = next((c.id for c in cycles if (left.get(c.id) or 0) > 0), cycles[-1].id)
    for cycle in cycles:
        first = firsts.get(cycle.id)
        due = None
        if first is not None:
            moment = first if first.tzinfo else first.replace(tzinfo=UTC)
            due = moment.astimezone(tz).date()
        cycle.is_current = cycle.id == current
        if cycle.due_date != due:
            cycle.due_date = due
            invoice = session.get(Invoice, cycle.invoice_id) if cycle.invoice_id else None
            if invoice is not None and invoice.status == InvoiceStatus.PENDENTE:
                invoice.due_date = due
                session.add(invoice)
            elif (
                invoice is not None and invoice.status == InvoiceStatus.VENCIDA
                and now is not None and paid_cents(session, invoice.id) == 0
            ):
                invoice.due_date = due
                refresh_status(session, invoice, now)
        session.add(cycle)
    session.flush()


# --------------------------------------------------------------------------- read


def plan_status(session: Session, pet_plan_id: int, *, today: date | None = None) -> PlanStatus:
    """Per cycle and service: included, used and remaining units (NotFound if unknown).

    ``today`` (shop date), when given, marks a recurring plan's current cycle as the one
    containing it (otherwise the flag stored at sale time is used)."""
    plan = session.get(PetPlan, pet_plan_id) if pet_plan_id is not None else None
    if plan is None:
        raise NotFound("Plano não encontrado.", details={"pet_plan_id": pet_plan_id})
    template = session.get(PlanTemplate, plan.template_id)
    cycles = list(
        session.execute(
            select(BillingCycle)
            .where(BillingCycle.pet_plan_id == plan.id)
            .order_by(BillingCycle.seq)
        ).scalars()
    )
    cycle_ids = [c.id for c in cycles] or [0]
    allowances = list(
        session.execute(
            select(Allowance).where(Allowance.cycle_id.in_(cycle_ids)).order_by(Allowance.id)
        ).scalars()
    )
    invoices = dict(
        session.execute(
            select(Invoice.id, Invoice.status).where(
                Invoice.id.in_([c.invoice_id for c in cycles if c.invoice_id] or [0])
            )
        ).all()
    )
    names = _service_names(session, [a.service_id for a in allowances])
    by_cycle: dict[int, list[AllowanceStatus]] = {}
    for a in allowances:
        by_cycle.setdefault(a.cycle_id, []).append(
            AllowanceStatus(
                service_id=a.service_id,
                service_name=names.get(a.service_id, ""),
                included=a.included_qty,
                used=a.used_qty,
            )
        )
    return PlanStatus(
        pet_plan_id=plan.id,
        tutor_id=plan.tutor_id,
        pet_id=plan.pet_id,
        template_id=plan.template_id,
        name=template.name if template else "",
        kind=template.kind if template else "",
        status=plan.status,
        start_date=plan.start_date,
        end_date=plan.end_date,
        price_cents=plan.price_cents,
        cycles=tuple(
            CycleStatus(
                id=c.id,
                seq=c.seq,
                period_start=c.period_start,
                period_end=c.period_end,
                due_date=c.due_date,
                amount_cents=c.amount_cents,
                invoice_id=c.invoice_id,
                invoice_status=invoices.get(c.invoice_id),
                is_current=(
                    c.period_start <= today <= c.period_end
                    if today is not None and template is not None
                    and template.kind != PlanKind.PACOTE
                    else c.is_current
                ),
                services=tuple(by_cycle.get(c.id, ())),
            )
            for c in cycles
        ),
    )
