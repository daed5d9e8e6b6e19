"""Cancelling a sold plan (spec/backoffice.md §4 W7): its future visits, its cycles' invoices
and the tutor credit for paid sessions left unused. The rules are in the docstring of
:mod:`scheduler_core.plans.lifecycle`, which exposes :func:`cancel_plan`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from scheduler_core.agenda.history import change_status
from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.audit.log import record
from scheduler_core.billing import credit
from scheduler_core.billing.invoices import cancel_invoice, get_invoice, number_label, paid_cents
from scheduler_core.billing.models import BillingCycle, CreditReason, InvoiceStatus
from scheduler_core.kernel.clock import to_utc
from scheduler_core.kernel.errors import InvalidTransition, NotFound, ValidationFailed
from scheduler_core.kernel.money import format_brl
from scheduler_core.kernel.text import plural
from scheduler_core.people.models import Tutor
from scheduler_core.plans.models import (
    Allowance,
    PetPlan,
    PetPlanStatus,
    PlanKind,
    PlanTemplate,
    PlanUsage,
    PlanUsageState,
)
from scheduler_core.plans.service import _log
from scheduler_core.shop.models import Shop

OPEN_VISIT = (AppointmentStatus.AGENDADO, AppointmentStatus.CONFIRMADO)


@dataclass(frozen=True)
class CancelResult:
    pet_plan_id: int
    cancelled_invoice_ids: tuple[int, ...]
    cancelled_appointment_ids: tuple[int, ...]
    kept_appointment_ids: tuple[int, ...]
    credit_cents: int = 0  # paid but unused sessions turned into tutor credit



def lock_plan(session: Session, pet_plan_id: int, *, lock: bool = False) -> PetPlan:
    """The plan, fresh (``lock``: FOR UPDATE on PostgreSQL); NotFound if unknown."""
    stmt = select(PetPlan).where(PetPlan.id == pet_plan_id).execution_options(
        populate_existing=True
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    plan = session.execute(stmt).scalar_one_or_none() if pet_plan_id is not None else None
    if plan is None:
        raise NotFound("Plano não encontrado.", details={"pet_plan_id": pet_plan_id})
    return plan


def plan_shop(session: Session, plan: PetPlan) -> Shop:
    return session.execute(
        select(Shop).join(Tutor, Tutor.shop_id == Shop.id).where(Tutor.id == plan.tutor_id)
    ).scalar_one()


def require_now(now: datetime) -> None:
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ValidationFailed("Data e hora inválidas.", details={"field": "now"})


def plan_cycles(session: Session, plan_id: int) -> list[BillingCycle]:
    return list(
        session.execute(
            select(BillingCycle).where(BillingCycle.pet_plan_id == plan_id)
            .order_by(BillingCycle.seq).execution_options(populate_existing=True)
        ).scalars()
    )


def cycle_allowances(session: Session, cycle_ids: list[int]) -> list[Allowance]:
    return list(
        session.execute(
            select(Allowance).where(Allowance.cycle_id.in_(cycle_ids or [0]))
            .order_by(Allowance.id).execution_options(populate_existing=True)
        ).scalars()
    )


# --------------------------------------------------------------------------- cancel


def _future_visits(session: Session, plan_id: int, now: datetime) -> list[Appointment]:
    return list(
        session.execute(
            select(Appointment).where(
                Appointment.pet_plan_id == plan_id,
                Appointment.status.in_(OPEN_VISIT),
                Appointment.start > to_utc(now),
            ).order_by(Appointment.start, Appointment.id)
        ).scalars()
    )


def _cancel_visit(session: Session, appt: Appointment, *, now: datetime, actor: str) -> None:
    """A future plan visit cancelled with the plan: its sessions go back."""
    change_status(session, appt, AppointmentStatus.CANCELADO, now, actor)
    appt.cancelled_at = to_utc(now)
    appt.cancel_reason = "Plano cancelado"
    session.add(appt)
    for usage, allowance in session.execute(
        select(PlanUsage, Allowance).join(Allowance, Allowance.id == PlanUsage.allowance_id)
        .where(PlanUsage.appointment_id == appt.id, PlanUsage.state == PlanUsageState.HELD)
    ).all():
        usage.state = PlanUsageState.RETURNED
        usage.updated_at = to_utc(now)
        allowance.used_qty = max(0, allowance.used_qty - 1)
        session.add_all([usage, allowance])
    record(session, actor=actor, action="appointment.cancel", entity="appointment",
           entity_id=appt.id, shop_id=appt.shop_id, at=now,
           details={"channel": "staff", "reason": appt.cancel_reason, "late": False,
                    "pet_plan_id": appt.pet_plan_id})


def _cycles_in_use(
    session: Session, cycles: list[BillingCycle], *, today: date, package: bool
) -> set[int]:
    """Cycles with a session of a past, kept or consumed visit; started cycles of a plan."""
    in_use = {c.id for c in cycles if not package and c.period_start <= today}
    rows = session.execute(
        select(Allowance.cycle_id, PlanUsage.state, Appointment.start, Appointment.status)
        .join(PlanUsage, PlanUsage.allowance_id == Allowance.id)
        .join(Appointment, Appointment.id == PlanUsage.appointment_id)
        .where(Allowance.cycle_id.in_([c.id for c in cycles] or [0]),
               PlanUsage.state != PlanUsageState.RETURNED)
    ).all()
    in_use |= {cycle_id for cycle_id, _state, _start, _status in rows}
    return in_use


def _unused_share(session: Session, cycle: BillingCycle, paid: int) -> int:
    allowances = cycle_allowances(session, [cycle.id])
    included = sum(a.included_qty for a in allowances)
    unused = sum(max(0, a.included_qty - a.used_qty) for a in allowances)
    return paid * unused // included if included else 0


def _settle_cycles(
    session: Session, plan: PetPlan, *, in_use: set[int], now: datetime, actor: str
) -> tuple[list[int], int]:
    """Cancel the unpaid invoices of cycles not in use; credit the unused share of paid ones."""
    cancelled: list[int] = []
    credited = 0
    for cycle in plan_cycles(session, plan.id):
        if cycle.invoice_id is None:
            continue
        invoice = get_invoice(session, cycle.invoice_id, lock=True)
        paid = paid_cents(session, invoice.id)
        if invoice.status == InvoiceStatus.PAGA:
            share = _unused_share(session, cycle, paid)
            if share > 0:
                credit.add_entry(
                    session, tutor_id=plan.tutor_id, delta_cents=share,
                    reason=CreditReason.PAYMENT_CONVERTED, invoice_id=invoice.id, now=now,
                    actor=actor, reason_text=f"Sessões não usadas do ciclo {cycle.seq} "
                    f"(fatura {number_label(invoice.number)} paga) no cancelamento do plano.",
                )
                credited += share
            continue
        if cycle.id in in_use or invoice.status in (InvoiceStatus.CANCELADA,
                                                    InvoiceStatus.SEM_COBRANCA):
            continue
        cancel_invoice(session, invoice.id, now=now, actor=actor, reason="Plano cancelado",
                       paid_to_credit=True)
        credited += paid
        cancelled.append(invoice.id)
    return cancelled, credited


def cancel_plan(
    session: Session, pet_plan_id: int, *, cancel_future_visits: bool, now: datetime, actor: str
) -> CancelResult:
    """Cancel a sold plan (module docstring: visits, invoices, credit)."""
    require_now(now)
    plan = lock_plan(session, pet_plan_id, lock=True)
    if plan.status == PetPlanStatus.CANCELADO:
        raise InvalidTransition("Este plano já está cancelado.", details={"pet_plan_id": plan.id})
    template = session.get(PlanTemplate, plan.template_id)
    package = template is not None and template.kind == PlanKind.PACOTE
    visits = _future_visits(session, plan.id, now)
    cancelled_visits: list[int] = []
    if cancel_future_visits:
        for appt in visits:
            _cancel_visit(session, appt, now=now, actor=actor)
            cancelled_visits.append(appt.id)
        session.flush()
    kept = [a.id for a in visits if a.id not in cancelled_visits]
    cycles = plan_cycles(session, plan.id)
    today = now.astimezone(ZoneInfo(plan_shop(session, plan).timezone)).date()
    in_use = _cycles_in_use(session, cycles, today=today, package=package)
    cancelled_invoices, credited = _settle_cycles(session, plan, in_use=in_use, now=now,
                                                  actor=actor)
    plan.status = PetPlanStatus.CANCELADO
    session.add(plan)
    note = ("Plano cancelado. Agendamentos futuros: "
            f"{plural(len(cancelled_visits), 'cancelado')}, {plural(len(kept), 'mantido')}; "
            f"{plural(len(cancelled_invoices), 'fatura cancelada', 'faturas canceladas')}")
    if credited:
        note += f"; {format_brl(credited)} em crédito para o tutor"
    _log(session, plan.id, "cancel", now=now, actor=actor, note=note + ".")
    record(session, actor=actor, action="plan.cancel", entity="pet_plan", entity_id=plan.id,
           shop_id=plan_shop(session, plan).id, at=now,
           details={"cancelled_invoice_ids": cancelled_invoices,
                    "cancelled_appointment_ids": cancelled_visits,
                    "kept_appointment_ids": kept, "credit_cents": credited})
    session.flush()
    return CancelResult(plan.id, tuple(cancelled_invoices), tuple(cancelled_visits),
                        tuple(kept), credited)


