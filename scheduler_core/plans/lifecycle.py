"""A sold plan's life after the sale: cancel, renew, manual counter edit, the expiry job, the
shown status, "Registros do plano" and the plan a booking can use (spec/backoffice.md §2.5–§2.7,
§3.2, §3.4, §4 W4, W6, W7; scheduling.md §4.2).

Decisions where the spec is silent:

- **Statuses.** Stored: ``ativo``, ``expirado``, ``cancelado``, ``finalizado``. Shown
  (:func:`shown_status`) adds ``expirando`` (active, ends within 7 days) and ``esgotado`` (a package
  with no session left before its end). The expiry job (:func:`expire_plans`) moves an active
  plan whose end date has passed (shop date) to ``finalizado`` when the pet has a later plan (it
  was renewed) and to ``expirado`` otherwise; renewing an expired plan finalises it.
- **Cancel** (:func:`cancel_plan`). With ``cancel_future_visits`` the plan's future open visits
  are cancelled (their sessions return), else they are kept and stay covered. A cycle is *in use*
  when one of its sessions belongs to a past visit, a kept visit or was consumed (no-show, late
  cancellation); a recurring plan's cycle that has started is in use too. The invoices of cycles
  not in use are cancelled when nothing was paid on them; a partly paid one is cancelled with its
  payments turned into tutor credit. A paid invoice is never touched: the share of its cycle's
  sessions left unused (paid × unused ÷ included, in centavos, rounded down) becomes tutor credit
  (ledger ``payment_converted``) with a plan record. Invoices of cycles in use stay due.
- **Renew** (:func:`renew_plan`): a new plan for the same pet and template at the same contract
  price, starting the day after the old end (or today, when that is already past); new cycles
  and invoices as a sale. With the template's rollover flag, the sessions left in the old plan
  (current cycle of a plan, every cycle of a package) are added to the new first cycle.
  A cancelled plan is not renewed (sell a new one); a plan is renewed once.
- **Manual counter edit** (:func:`edit_counter`): 0 ≤ used ≤ included, a reason is required.

Every change writes a :class:`PlanLog` row; :func:`plan_records` reads them with their pt-BR
labels. All functions run inside the caller's write unit of work and flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from scheduler_core.audit.log import record
from scheduler_core.billing.models import BillingCycle, InvoiceItem, InvoiceItemKind
from scheduler_core.kernel.errors import InvalidTransition, NotFound, ValidationFailed
from scheduler_core.people.models import Tutor
from scheduler_core.plans.cancellation import (
    CancelResult,
    cancel_plan,
    cycle_allowances,
    lock_plan,
    plan_cycles,
    plan_shop,
    require_now,
)
from scheduler_core.plans.models import (
    Allowance,
    PetPlan,
    PetPlanStatus,
    PlanKind,
    PlanLog,
    PlanTemplate,
    PlanTemplateService,
)
from scheduler_core.plans.service import _log, _refresh_package, _sell, _service_names
from scheduler_core.shop.models import Shop

EXPIRANDO = "expirando"
ESGOTADO = "esgotado"
EXPIRING_DAYS = 7
STATUS_LABELS: dict[str, str] = {
    PetPlanStatus.ATIVO: "Ativo",
    EXPIRANDO: "Expirando",
    PetPlanStatus.EXPIRADO: "Expirado",
    ESGOTADO: "Esgotado",
    PetPlanStatus.CANCELADO: "Cancelado",
    PetPlanStatus.FINALIZADO: "Finalizado",
}
#: "Registros do plano": the pt-BR label of each log kind.
RECORD_LABELS: dict[str, str] = {
    "sell": "Venda",
    "new_booking": "Agendamento",
    "canceled_booking": "Agendamento cancelado",
    "service_removed": "Serviço retirado do agendamento",
    "late_cancel": "Cancelamento fora do prazo",
    "no_show": "Falta",
    "regroup": "Reorganização dos ciclos",
    "invoice_payment": "Pagamento",
    "manual_editing": "Edição manual",
    "cancel": "Cancelamento",
    "renewal": "Renovação",
    "expiry": "Fim da vigência",
}
__all__ = [
    "CancelResult",
    "PlanOffer",
    "PlanRecordView",
    "active_plan_for",
    "cancel_plan",
    "edit_counter",
    "expire_plans",
    "plan_records",
    "renew_plan",
    "shown_status",
]


@dataclass(frozen=True)
class PlanRecordView:
    id: int
    at: datetime
    kind: str
    label: str
    note: str
    actor: str
    appointment_id: int | None
    invoice_id: int | None


@dataclass(frozen=True)
class PlanOffer:
    """The pet's plan that covers some of the asked services on a day."""

    pet_plan_id: int
    name: str
    kind: str
    covered: tuple[int, ...]  # asked services the plan includes
    remaining: dict[int, int] = field(default_factory=dict)  # service → units left
    names: dict[int, str] = field(default_factory=dict)

    @property
    def is_package(self) -> bool:
        return self.kind == PlanKind.PACOTE

    @property
    def exhausted(self) -> tuple[int, ...]:
        return tuple(s for s in self.covered if self.remaining.get(s, 0) <= 0)

    def label(self, service_id: int) -> str:
        """"incluso no seu plano — restam 2 (Banho) neste ciclo" (pt-BR)."""
        left = self.remaining.get(service_id, 0)
        where = "no pacote" if self.is_package else "neste ciclo"
        name = self.names.get(service_id, "")
        if left <= 0:
            return f"{name}: a franquia do seu plano acabou {where}"
        unit = "sessão" if left == 1 else "sessões"
        return f"incluso no seu plano — {'resta' if left == 1 else 'restam'} {left} {unit} " \
               f"de {name} {where}"


# --------------------------------------------------------------------------- helpers


def _plan(session: Session, pet_plan_id: int, *, lock: bool = False) -> PetPlan:
    return lock_plan(session, pet_plan_id, lock=lock)


def _shop(session: Session, plan: PetPlan) -> Shop:
    return plan_shop(session, plan)


def _today(session: Session, plan: PetPlan, now: datetime) -> date:
    return now.astimezone(ZoneInfo(_shop(session, plan).timezone)).date()


_require_now = require_now
_cycles = plan_cycles
_allowances = cycle_allowances


def _audit(session: Session, plan: PetPlan, action: str, *, now: datetime, actor: str,
           **details: object) -> None:
    record(session, actor=actor, action=action, entity="pet_plan", entity_id=plan.id,
           shop_id=_shop(session, plan).id, at=now, details=details)


# --------------------------------------------------------------------------- status


def shown_status(session: Session, plan: PetPlan, today: date) -> str:
    """The status the screens show (module docstring)."""
    if plan.status != PetPlanStatus.ATIVO:
        return plan.status
    template = session.get(PlanTemplate, plan.template_id)
    if template is not None and template.kind == PlanKind.PACOTE:
        left = sum(
            a.included_qty - a.used_qty
            for a in _allowances(session, [c.id for c in _cycles(session, plan.id)])
        )
        if left <= 0:
            return ESGOTADO
    if plan.end_date < today:
        return PetPlanStatus.EXPIRADO
    if (plan.end_date - today).days < EXPIRING_DAYS:
        return EXPIRANDO
    return PetPlanStatus.ATIVO


def _renewed(session: Session, plan: PetPlan) -> bool:
    """The pet has a plan sold after this one that is not cancelled."""
    return session.execute(
        select(PetPlan.id).where(
            PetPlan.pet_id == plan.pet_id,
            PetPlan.id != plan.id,
            PetPlan.start_date > plan.start_date,
            PetPlan.status != PetPlanStatus.CANCELADO,
        )
    ).first() is not None


def expire_plans(session: Session, *, now: datetime) -> list[int]:
    """The daily job: active plans past their end date (shop date) become ``finalizado`` when
    renewed, else ``expirado`` (module docstring). Returns their ids; idempotent."""
    _require_now(now)
    rows = session.execute(
        select(PetPlan, Shop.timezone)
        .join(Tutor, Tutor.id == PetPlan.tutor_id)
        .join(Shop, Shop.id == Tutor.shop_id)
        .where(PetPlan.status == PetPlanStatus.ATIVO,
               PetPlan.end_date < (now + timedelta(days=1)).date())
        .order_by(PetPlan.id)
    ).all()
    done = []
    for plan, tz in rows:
        if plan.end_date >= now.astimezone(ZoneInfo(tz)).date():
            continue
        plan.status = (
            PetPlanStatus.FINALIZADO if _renewed(session, plan) else PetPlanStatus.EXPIRADO
        )
        session.add(plan)
        _log(session, plan.id, "expiry", now=now, actor="system:expiry",
             note=f"Vigência encerrada em {plan.end_date:%d/%m/%Y}: "
                  f"{STATUS_LABELS[plan.status].lower()}.")
        done.append(plan.id)
    session.flush()
    return done


# --------------------------------------------------------------------------- counter edit


def edit_counter(
    session: Session, allowance_id: int, *, used: int, reason: str, now: datetime, actor: str
) -> None:
    """Set a cycle's used counter for one service by hand ("edição manual"), with a reason."""
    _require_now(now)
    if isinstance(used, bool) or not isinstance(used, int) or used < 0:
        raise ValidationFailed("Informe um número de sessões usadas (0 ou mais).",
                               details={"field": "used"})
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed("Informe o motivo da alteração.", details={"field": "reason"})
    allowance = session.get(Allowance, allowance_id) if allowance_id is not None else None
    if allowance is None:
        raise NotFound("Contador não encontrado.", details={"allowance_id": allowance_id})
    if used > allowance.included_qty:
        raise ValidationFailed(
            f"O ciclo inclui {allowance.included_qty} sessão(ões): use de 0 a "
            f"{allowance.included_qty}.", details={"field": "used"})
    cycle = session.get(BillingCycle, allowance.cycle_id)
    plan = _plan(session, cycle.pet_plan_id, lock=True)
    if plan.status == PetPlanStatus.CANCELADO:
        raise InvalidTransition("Este plano está cancelado.", details={"pet_plan_id": plan.id})
    before = allowance.used_qty
    allowance.used_qty = used
    session.add(allowance)
    name = _service_names(session, [allowance.service_id]).get(allowance.service_id, "")
    _log(session, plan.id, "manual_editing", now=now, actor=actor,
         note=f"{name}, ciclo {cycle.seq}: usadas {before} → {used}. Motivo: {reason.strip()}")
    _audit(session, plan, "plan.counter_edit", now=now, actor=actor, allowance_id=allowance.id,
           before=before, after=used, reason=reason.strip())
    session.flush()


# --------------------------------------------------------------------------- renew


def _rollover(session: Session, old: PetPlan, new: PetPlan, *, package: bool,
              today: date) -> dict[int, int]:
    """Sessions left in the old plan, added to the new plan's first cycle."""
    cycles = _cycles(session, old.id)
    if not package:
        cycles = [c for c in cycles if c.period_start <= today][-1:] or cycles[-1:]
    left: dict[int, int] = {}
    for a in _allowances(session, [c.id for c in cycles]):
        left[a.service_id] = left.get(a.service_id, 0) + max(0, a.included_qty - a.used_qty)
    first = _cycles(session, new.id)[0]
    names = _service_names(session, left)
    for a in _allowances(session, [first.id]):
        if left.get(a.service_id):
            a.included_qty += left[a.service_id]
            session.add(a)
            for k in range(1, left[a.service_id] + 1):  # one line per session, already paid
                session.add(InvoiceItem(
                    invoice_id=first.invoice_id, kind=InvoiceItemKind.SERVICO, in_plan=True,
                    name=f"{names.get(a.service_id, a.service_id)} — sessão transferida {k} "
                         f"de {left[a.service_id]}", unit_cents=0))
    return {s: q for s, q in left.items() if q}


def renew_plan(session: Session, pet_plan_id: int, *, now: datetime, actor: str) -> PetPlan:
    """Renew a plan for a new period (module docstring); returns the new plan."""
    _require_now(now)
    old = _plan(session, pet_plan_id, lock=True)
    if old.status == PetPlanStatus.CANCELADO:
        raise InvalidTransition("Plano cancelado não pode ser renovado: venda um novo plano.",
                                details={"pet_plan_id": old.id})
    if _renewed(session, old):
        raise InvalidTransition("Este plano já foi renovado.", details={"pet_plan_id": old.id})
    today = _today(session, old, now)
    start = max(old.end_date + timedelta(days=1), today)
    new = _sell(session, pet_id=old.pet_id, template_id=old.template_id, start_date=start,
                now=now, actor=actor, price_cents=old.price_cents, segment_id=old.segment_id)
    template = session.get(PlanTemplate, old.template_id)
    moved: dict[int, int] = {}
    if template.allow_rollover:
        moved = _rollover(session, old, new, package=template.kind == PlanKind.PACOTE,
                          today=today)
    if old.status == PetPlanStatus.EXPIRADO:
        old.status = PetPlanStatus.FINALIZADO
        session.add(old)
    names = _service_names(session, moved)
    extra = "; ".join(f"{q} de {names.get(s, s)}" for s, q in moved.items())
    note = f"Renovado: novo período de {start:%d/%m/%Y} a {new.end_date:%d/%m/%Y}"
    note += f" (sessões transferidas: {extra})." if extra else "."
    _log(session, old.id, "renewal", now=now, actor=actor, note=note)
    _log(session, new.id, "renewal", now=now, actor=actor,
         note=f"Renovação do plano #{old.id}." + (f" Sessões transferidas: {extra}." if extra
                                                   else ""))
    _audit(session, old, "plan.renew", now=now, actor=actor, new_pet_plan_id=new.id,
           rollover=moved)
    if template.kind == PlanKind.PACOTE:
        _refresh_package(session, new.id)
    session.flush()
    return new


# --------------------------------------------------------------------------- read


def plan_records(session: Session, pet_plan_id: int) -> list[PlanRecordView]:
    """"Registros do plano", oldest first (NotFound if the plan is unknown)."""
    _plan(session, pet_plan_id)
    rows = session.execute(
        select(PlanLog).where(PlanLog.pet_plan_id == pet_plan_id)
        .order_by(PlanLog.at, PlanLog.id)
    ).scalars()
    return [
        PlanRecordView(r.id, r.at, r.kind, RECORD_LABELS.get(r.kind, r.kind), r.note, r.actor,
                       r.appointment_id, r.invoice_id)
        for r in rows
    ]


def _remaining(session: Session, plan: PetPlan, day: date, package: bool,
               service_ids: list[int]) -> dict[int, int]:
    cycles = [c for c in _cycles(session, plan.id)
              if package or c.period_start <= day <= c.period_end]
    left = dict.fromkeys(service_ids, 0)
    for a in _allowances(session, [c.id for c in cycles]):
        if a.service_id in left:
            left[a.service_id] += max(0, a.included_qty - a.used_qty)
    return left


def active_plan_for(
    session: Session, pet_id: int, service_ids: list[int], day: date, *,
    segment_id: int | None = None,
) -> PlanOffer | None:
    """The pet's active plan that includes some of ``service_ids`` on ``day`` (shop date), with
    the units left per service (the current cycle of a plan, the whole package); the plan
    covering the most services, then the one ending first. None when no plan covers them.
    ``segment_id``: only plans of that segment (a booking's plan must be of its segment)."""
    wanted = list(dict.fromkeys(int(s) for s in service_ids))
    stmt = select(PetPlan).where(PetPlan.pet_id == pet_id, PetPlan.status == PetPlanStatus.ATIVO,
                                 PetPlan.start_date <= day, PetPlan.end_date >= day)
    if segment_id is not None:
        stmt = stmt.where(PetPlan.segment_id == segment_id)
    plans = session.execute(stmt.order_by(PetPlan.end_date, PetPlan.id)).scalars().all()
    best: PlanOffer | None = None
    for plan in plans:
        included = set(session.execute(
            select(PlanTemplateService.service_id)
            .where(PlanTemplateService.template_id == plan.template_id)
        ).scalars())
        covered = [s for s in wanted if s in included]
        if not covered or (best is not None and len(covered) <= len(best.covered)):
            continue
        template = session.get(PlanTemplate, plan.template_id)
        package = template.kind == PlanKind.PACOTE
        best = PlanOffer(
            pet_plan_id=plan.id, name=template.name, kind=template.kind,
            covered=tuple(covered),
            remaining=_remaining(session, plan, day, package, covered),
            names=_service_names(session, covered),
        )
    return best
