"""The read side of plans: the shop's sold plans with the indicator buckets ("Indicadores e
filtros de planos", spec/backoffice.md §3.4, §4 W6, W8) and the tutor page's "Planos & Pacotes"
(per pet: the sold plans, their cycles with invoice and counters, "Histórico de uso").

Buckets (shop date ``today``; a plan counts in one bucket at most):

- ``semana``: active, ends in less than 7 days (end date − today < 7, today included);
- ``duas_semanas``: active, ends in 7–13 days; ``mes``: active, ends in 14–30 days;
  ``mais_mes``: active, ends in 31 days or more;
- ``nao_renovado``: ended (end date before today, status ativo / expirado / esgotado) and the pet
  has no later plan that is not cancelled — the test is per pet, as in TecPet (a tutor with two
  pets where only one renewed appears under both "não renovado" and the active buckets);
- ``cancelado``: cancelled.

``finalizado`` plans (renewed) are in no bucket; ``None`` lists every plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from scheduler_core.agenda.models import Appointment
from scheduler_core.billing.invoices import InvoiceView, invoice_view
from scheduler_core.billing.models import BillingCycle
from scheduler_core.catalog.models import Service
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.plans import lifecycle
from scheduler_core.plans.labels import PLAN_KIND_LABELS
from scheduler_core.plans.models import Allowance, PetPlan, PetPlanStatus, PlanTemplate, PlanUsage
from scheduler_core.plans.service import PlanStatus, plan_status

BUCKET_LABELS: dict[str, str] = {
    "semana": "Expira em menos de 1 semana",
    "duas_semanas": "Expira em 1–2 semanas",
    "mes": "Expira em 2 semanas–1 mês",
    "mais_mes": "Expira em mais de 1 mês",
    "nao_renovado": "Não renovado",
    "cancelado": "Cancelado",
}
USAGE_LABELS: dict[str, str] = {"held": "Reservada", "returned": "Devolvida",
                                "consumed": "Consumida"}


@dataclass(frozen=True)
class PlanRow:
    id: int
    tutor_id: int
    tutor_name: str
    pet_id: int
    pet_name: str
    name: str
    kind: str
    start_date: date
    end_date: date
    price_cents: int
    status: str  # shown status (lifecycle.shown_status)
    bucket: str | None
    renewable: bool

    @property
    def kind_label(self) -> str:
        return PLAN_KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return lifecycle.STATUS_LABELS.get(self.status, self.status)


def _renewed_pets(plans: list[PetPlan]) -> set[int]:
    """Plan ids followed by a later, not cancelled plan of the same pet."""
    followed: set[int] = set()
    for plan in plans:
        for other in plans:
            if (other.pet_id == plan.pet_id and other.id != plan.id
                    and other.status != PetPlanStatus.CANCELADO
                    and (other.start_date, other.id) > (plan.start_date, plan.id)):
                followed.add(plan.id)
                break
    return followed


def bucket_of(plan: PetPlan, today: date, renewed: bool) -> str | None:
    """The indicator bucket of one plan (module docstring)."""
    if plan.status == PetPlanStatus.CANCELADO:
        return "cancelado"
    if plan.status == PetPlanStatus.FINALIZADO:
        return None
    if plan.end_date < today:
        return None if renewed else "nao_renovado"
    if plan.status != PetPlanStatus.ATIVO:
        return None
    days = (plan.end_date - today).days
    if days < 7:
        return "semana"
    if days < 14:
        return "duas_semanas"
    if days <= 30:
        return "mes"
    return "mais_mes"


def _rows(session: Session, shop_id: int, today: date) -> list[PlanRow]:
    found = session.execute(
        select(PetPlan, Tutor.name, Pet.name, PlanTemplate.name, PlanTemplate.kind)
        .join(Tutor, Tutor.id == PetPlan.tutor_id)
        .join(Pet, Pet.id == PetPlan.pet_id)
        .join(PlanTemplate, PlanTemplate.id == PetPlan.template_id)
        .where(Tutor.shop_id == shop_id)
        .order_by(PetPlan.end_date, PetPlan.id)
    ).all()
    plans = [r[0] for r in found]
    followed = _renewed_pets(plans)
    rows = []
    for plan, tutor_name, pet_name, name, kind in found:
        bucket = bucket_of(plan, today, plan.id in followed)
        rows.append(PlanRow(
            id=plan.id, tutor_id=plan.tutor_id, tutor_name=tutor_name, pet_id=plan.pet_id,
            pet_name=pet_name, name=name, kind=kind, start_date=plan.start_date,
            end_date=plan.end_date, price_cents=plan.price_cents,
            status=lifecycle.shown_status(session, plan, today), bucket=bucket,
            renewable=plan.status in (PetPlanStatus.ATIVO, PetPlanStatus.EXPIRADO)
            and plan.id not in followed,
        ))
    return rows


def plan_list(session: Session, shop_id: int, *, today: date, bucket: str | None
              ) -> list[PlanRow]:
    """The shop's sold plans, ending first; only ``bucket``'s when given (unknown: none)."""
    rows = _rows(session, shop_id, today)
    return rows if bucket is None else [r for r in rows if r.bucket == bucket]


def bucket_counts(session: Session, shop_id: int, *, today: date) -> dict[str, int]:
    """How many plans each bucket holds (every bucket listed, zeros included)."""
    counts = dict.fromkeys(BUCKET_LABELS, 0)
    for row in _rows(session, shop_id, today):
        if row.bucket:
            counts[row.bucket] += 1
    return counts


# --------------------------------------------------------------------------- tutor page


@dataclass(frozen=True)
class UsageRow:
    appointment_id: int
    start_utc: object  # datetime (UTC)
    service_name: str
    state: str
    cycle_seq: int

    @property
    def state_label(self) -> str:
        return USAGE_LABELS.get(self.state, self.state)


@dataclass(frozen=True)
class PlanCard:
    """One sold plan on the tutor page."""

    status: PlanStatus
    shown_status: str
    invoices: dict[int, InvoiceView]  # cycle id → its invoice
    allowance_ids: dict[tuple[int, int], int]  # (cycle id, service id) → allowance id
    usage: tuple[UsageRow, ...]
    records: tuple[lifecycle.PlanRecordView, ...]

    @property
    def status_label(self) -> str:
        return lifecycle.STATUS_LABELS.get(self.shown_status, self.shown_status)

    @property
    def is_open(self) -> bool:
        return self.status.status == PetPlanStatus.ATIVO


def _usage(session: Session, cycles: dict[int, int]) -> tuple[UsageRow, ...]:
    rows = session.execute(
        select(PlanUsage, Appointment.start, Service.name, Allowance.cycle_id)
        .join(Allowance, Allowance.id == PlanUsage.allowance_id)
        .join(Appointment, Appointment.id == PlanUsage.appointment_id)
        .join(Service, Service.id == PlanUsage.service_id)
        .where(Allowance.cycle_id.in_(list(cycles) or [0]))
        .order_by(Appointment.start, PlanUsage.id)
    ).all()
    return tuple(UsageRow(u.appointment_id, start, name, u.state, cycles[cycle_id])
                 for u, start, name, cycle_id in rows)


def plan_card(session: Session, pet_plan_id: int, *, today: date) -> PlanCard:
    """Everything the tutor page shows of one sold plan (NotFound if unknown)."""
    status = plan_status(session, pet_plan_id, today=today)
    plan = session.get(PetPlan, pet_plan_id)
    cycles = list(session.execute(
        select(BillingCycle).where(BillingCycle.pet_plan_id == pet_plan_id)).scalars())
    allowances = session.execute(
        select(Allowance).where(Allowance.cycle_id.in_([c.id for c in cycles] or [0]))
    ).scalars()
    return PlanCard(
        status=status,
        shown_status=lifecycle.shown_status(session, plan, today),
        invoices={c.id: invoice_view(session, c.invoice_id) for c in cycles if c.invoice_id},
        allowance_ids={(a.cycle_id, a.service_id): a.id for a in allowances},
        usage=_usage(session, {c.id: c.seq for c in cycles}),
        records=tuple(lifecycle.plan_records(session, pet_plan_id)),
    )


def tutor_plans(session: Session, tutor_id: int, *, today: date) -> dict[int, list[PlanCard]]:
    """Pet id → its sold plans (newest first) for the tutor page."""
    ids = session.execute(
        select(PetPlan.pet_id, PetPlan.id).where(PetPlan.tutor_id == tutor_id)
        .order_by(PetPlan.start_date.desc(), PetPlan.id.desc())
    ).all()
    out: dict[int, list[PlanCard]] = {}
    for pet_id, plan_id in ids:
        out.setdefault(pet_id, []).append(plan_card(session, plan_id, today=today))
    return out
