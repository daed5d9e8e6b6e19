"""Plan and package templates ("Planos e Pacotes" in the configuration): create, update, list,
deactivate, and the templates a pet can buy (spec/backoffice.md §2.4, §3.1, §4 W1).

:func:`save_template` takes what a form posted (strings) and either stores the template with its
services or raises one :class:`ValidationFailed` whose ``details["fields"]`` has a pt-BR message
per field; the caller re-renders the form with what was typed.

Decisions where the spec is silent:

- A plan (mensal, trimestral, semestral, anual) has ``months`` = its period (1, 3, 6, 12), set
  from the kind; a package states its validity in months (1–24) and may bill every N
  appointments (``charge_every_n``, 1 to the package's total sessions; blank = one invoice).
- Services are specific services of the shop with a quantity 1–99 (per cycle for plans, total
  for packages); at least one. The fixed-slot reservation per service is "semanal" or
  "quinzenal" with 1–7 sessions per week (weekday and time are chosen at sale).
- Species (≥ 1) and optionally breeds (of those species; none = every breed): the sale offers
  a template to a pet of one of its species and, when breeds are set, of one of its breeds.
- Price: a base price (required), optional prices per porte, per porte × pelagem and per breed.
  :func:`price_for_pet` picks the most specific one (breed, porte × pelagem, porte, base) and
  takes off the discount (a whole percentage 0–100, rounded to the centavo); the panel passes it
  to the sale as the contract price. With only porte prices it equals the sale's own rule.
- Fixed slot per service: "semanal" or "quinzenal", 1–7 sessions per week and optionally the
  weekday and start time (the sale's booking of those visits belongs to the sale service).
- A template is never deleted (sold plans point to it): :func:`set_active` hides it from sale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from scheduler_core.audit.log import record
from scheduler_core.billing.models import PaymentMethod
from scheduler_core.catalog.models import Service, ServiceCategory
from scheduler_core.kernel.errors import NotFound
from scheduler_core.kernel.forms import (
    Collector,
    flag,
    parse_hhmm,
    parse_id,
    parse_ids,
    parse_int,
    parse_money,
    parse_species,
    text_of,
)
from scheduler_core.people.models import Breed, Pelagem, Pet, Porte, Species, Tutor
from scheduler_core.plans.labels import PLAN_KIND_LABELS
from scheduler_core.plans.models import PlanKind, PlanTemplate, PlanTemplateService
from scheduler_core.plans.pricing import price_for_pet
from scheduler_core.plans.service import PLAN_MONTHS
from scheduler_core.shop.models import Segment

RESERVE_LABELS: dict[str, str] = {"semanal": "Semanal", "quinzenal": "Quinzenal"}
MAX_SERVICE_ROWS = 8
MAX_BREED_PRICES = 4


@dataclass(frozen=True)
class ServiceLine:
    service_id: int
    name: str
    quantity: int
    reserve: str | None
    per_week: int
    weekday: int | None = None
    start_time: str | None = None


@dataclass(frozen=True)
class TemplateRow:
    """A template as the list and the sale show it."""

    template: PlanTemplate
    services: tuple[ServiceLine, ...]

    @property
    def kind_label(self) -> str:
        return PLAN_KIND_LABELS.get(self.template.kind, self.template.kind)

    @property
    def reservation(self) -> ServiceLine | None:
        """The first service with a fixed-slot reservation (its weekday and time are the sale
        form's defaults)."""
        return next((s for s in self.services if s.reserve), None)

    @property
    def has_reservation(self) -> bool:
        return self.reservation is not None

    @property
    def summary(self) -> str:
        """"4 × Banho + 1 × Tosa"."""
        return " + ".join(f"{s.quantity} × {s.name}" for s in self.services)


def shop_services(session: Session, shop_id: int) -> list[Service]:
    """The services a template can include: the shop's, by name."""
    return list(
        session.execute(
            select(Service)
            .join(ServiceCategory, ServiceCategory.id == Service.category_id)
            .join(Segment, Segment.id == ServiceCategory.segment_id)
            .where(Segment.shop_id == shop_id)
            .order_by(Service.name)
        ).scalars()
    )


def _lines(session: Session, template_id: int) -> tuple[ServiceLine, ...]:
    rows = session.execute(
        select(PlanTemplateService, Service.name)
        .join(Service, Service.id == PlanTemplateService.service_id)
        .where(PlanTemplateService.template_id == template_id)
        .order_by(Service.name)
    ).all()
    return tuple(ServiceLine(r.service_id, name, r.quantity, r.reserve, r.per_week, r.weekday,
                             r.start_time) for r, name in rows)


def list_templates(session: Session, shop_id: int, *, active_only: bool = False
                   ) -> list[TemplateRow]:
    """The shop's templates, active first, by name."""
    query = select(PlanTemplate).where(PlanTemplate.shop_id == shop_id)
    if active_only:
        query = query.where(PlanTemplate.active.is_(True))
    rows = session.execute(query.order_by(PlanTemplate.active.desc(), PlanTemplate.name))
    return [TemplateRow(t, _lines(session, t.id)) for t in rows.scalars()]


def get_template(session: Session, shop_id: int, template_id: int) -> TemplateRow:
    """One template of the shop (NotFound otherwise)."""
    template = session.get(PlanTemplate, template_id) if template_id is not None else None
    if template is None or template.shop_id != shop_id:
        raise NotFound("Plano não encontrado.", details={"template_id": template_id})
    return TemplateRow(template, _lines(session, template.id))


def templates_for_pet(session: Session, pet_id: int) -> list[TemplateRow]:
    """The active templates a pet can buy (its species); empty: "Nenhum plano disponível"."""
    pet = session.get(Pet, pet_id) if pet_id is not None else None
    if pet is None:
        raise NotFound("Pet não encontrado.", details={"pet_id": pet_id})
    tutor = session.get(Tutor, pet.tutor_id)
    rows = list_templates(session, tutor.shop_id, active_only=True) if tutor else []
    return [r for r in rows if pet.species in (r.template.species or []) and r.services
            and (not r.template.breed_ids or pet.breed_id in r.template.breed_ids)]


def sale_price(session: Session, template_id: int, pet_id: int) -> int:
    """:func:`price_for_pet` by ids (NotFound when either is unknown)."""
    template = session.get(PlanTemplate, template_id) if template_id is not None else None
    pet = session.get(Pet, pet_id) if pet_id is not None else None
    if template is None or pet is None:
        raise NotFound("Plano não encontrado.", details={"template_id": template_id})
    return price_for_pet(template, pet)


# --------------------------------------------------------------------------- validation


def _parse_kind(errs: Collector, values: Mapping) -> str:
    kind = text_of(values, "kind")
    if kind not in {k.value for k in PlanKind}:
        errs.add("kind", "Escolha o tipo: mensal, trimestral, semestral, anual ou pacote.")
        return PlanKind.MENSAL
    return kind


def _parse_services(errs: Collector, rows: Sequence[Mapping], allowed: set[int]
                    ) -> list[PlanTemplateService]:
    """Rows of {service_id, quantity, reserve, per_week}; blank rows are skipped."""
    out: dict[int, PlanTemplateService] = {}
    for i, row in enumerate(rows):
        raw = text_of(row, "service_id")
        if not raw:
            continue
        sid = parse_id(raw)
        if sid is None or sid not in allowed:
            errs.add(f"service_{i}", "Serviço inválido.")
            continue
        if sid in out:
            errs.add(f"service_{i}", "Este serviço já está na lista.")
            continue
        qty = errs.run(f"quantity_{i}", parse_int, row.get("quantity"), label="Quantidade",
                       minimum=1, maximum=99)
        reserve = text_of(row, "reserve") or None
        if reserve is not None and reserve not in RESERVE_LABELS:
            errs.add(f"reserve_{i}", "Reserva de horário inválida.")
            reserve = None
        per_week, weekday, start = 1, None, None
        if reserve:
            per_week = errs.run(f"per_week_{i}", parse_int, row.get("per_week") or "1",
                                label="Sessões por semana", minimum=1, maximum=7) or 1
            weekday = errs.run(f"weekday_{i}", parse_int, row.get("weekday"),
                               label="Dia da semana", minimum=0, maximum=6, required=False)
            if text_of(row, "start_time"):
                start = errs.run(f"start_time_{i}", parse_hhmm, row.get("start_time"))
        out[sid] = PlanTemplateService(template_id=0, service_id=sid, quantity=qty or 1,
                                       reserve=reserve, per_week=per_week, weekday=weekday,
                                       start_time=start)
    if not out and "services" not in errs.errors:
        errs.add("services", "Inclua pelo menos um serviço com a quantidade.")
    return list(out.values())


def _money(errs: Collector, values: Mapping, key: str) -> int | None:
    return errs.run(key, parse_money, values.get(key), required=False, label="O preço")


def _parse_prices(errs: Collector, values: Mapping, breeds: dict[int, str]
                  ) -> tuple[int, dict[str, int], dict[str, int]]:
    """(base, by porte, finer table) — ``breeds``: the breeds the shop may price."""
    base = errs.run("price", parse_money, values.get("price"), label="O preço") or 0
    by_porte: dict[str, int] = {}
    table: dict[str, int] = {}
    for porte in Porte:
        cents = _money(errs, values, f"price_{porte.value}")
        if cents is not None:
            by_porte[porte.value] = cents
        for pelagem in Pelagem:
            cents = _money(errs, values, f"price_{porte.value}_{pelagem.value}")
            if cents is not None:
                table[f"{porte.value}|{pelagem.value}"] = cents
    for i in range(MAX_BREED_PRICES):
        raw = text_of(values, f"breed_price_id_{i}")
        if not raw:
            continue
        breed_id = parse_id(raw)
        cents = _money(errs, values, f"breed_price_{i}")
        if breed_id not in breeds:
            errs.add(f"breed_price_{i}", "Raça inválida.")
        elif cents is None:
            errs.add(f"breed_price_{i}", "Informe o preço desta raça.")
        else:
            table[f"breed:{breed_id}"] = cents
    return base, by_porte, table


def _parse_breeds(errs: Collector, breed_ids: Sequence[str], species: list[str],
                  breeds: dict[int, str]) -> list[int]:
    picked = parse_ids(breed_ids)
    if any(b not in breeds for b in picked):
        errs.add("breed_ids", "Raça inválida.")
        return []
    wrong = [breeds[b] for b in picked if breeds[b] not in species]
    if wrong:
        errs.add("breed_ids", "As raças escolhidas precisam ser das espécies do plano.")
    return picked


def breed_species(session: Session) -> dict[int, str]:
    """Breed id → its species (the breeds a template may name)."""
    return dict(session.execute(select(Breed.id, Breed.species)).all())


def _parse_billing(errs: Collector, values: Mapping, kind: str,
                   services: list[PlanTemplateService]) -> tuple[int, int | None]:
    """(months, charge_every_n)."""
    if kind != PlanKind.PACOTE:
        return PLAN_MONTHS[kind], None
    months = errs.run("months", parse_int, values.get("months"), label="Validade (meses)",
                      minimum=1, maximum=24) or 1
    total = sum(s.quantity for s in services) or 99
    every = errs.run("charge_every_n", parse_int, values.get("charge_every_n"),
                     label="Cobrar a cada N agendamentos", minimum=1, maximum=total,
                     required=False)
    return months, every


def save_template(
    session: Session,
    shop_id: int,
    template_id: int | None,
    values: Mapping,
    species: Sequence[str],
    service_rows: Sequence[Mapping],
    breed_ids: Sequence[str] = (),
    *,
    now: datetime | None = None,
    actor: str = "",
) -> PlanTemplate:
    """Create (``template_id`` None) or update a template from a posted form; flushes and
    audits (``plan_template.save``) when ``now`` is given."""
    template = None
    if template_id is not None:
        template = get_template(session, shop_id, template_id).template
    errs = Collector()
    name = text_of(values, "name", 80)
    if not name:
        errs.add("name", "Dê um nome ao plano.")
    kind = _parse_kind(errs, values)
    picked = parse_species(errs, species, [s.value for s in Species])
    allowed = {s.id for s in shop_services(session, shop_id)}
    services = _parse_services(errs, service_rows, allowed)
    breeds = breed_species(session)
    chosen_breeds = _parse_breeds(errs, breed_ids, picked, breeds)
    base, by_porte, table = _parse_prices(errs, values, breeds)
    discount = errs.run("discount_pct", parse_int, values.get("discount_pct") or "0",
                        label="Desconto (%)", minimum=0, maximum=100) or 0
    method = text_of(values, "payment_method") or PaymentMethod.PIX
    if method not in {m.value for m in PaymentMethod} or method == PaymentMethod.CREDITO_TUTOR:
        errs.add("payment_method", "Forma de pagamento inválida.")
    months, every = _parse_billing(errs, values, kind, services)
    errs.check()
    if template is None:
        template = PlanTemplate(shop_id=shop_id, name=name)
    template.name = name
    template.kind = kind
    template.species = picked
    template.description = text_of(values, "description", 500)
    template.price_cents = base
    template.price_by_porte = by_porte
    template.price_table = table
    template.breed_ids = chosen_breeds
    template.discount_pct = discount
    template.payment_method = method
    template.show_on_bot = flag(values, "show_on_bot")
    template.allow_rollover = flag(values, "allow_rollover")
    template.months = months
    template.charge_every_n = every
    session.add(template)
    session.flush()
    for old in session.execute(select(PlanTemplateService).where(
            PlanTemplateService.template_id == template.id)).scalars():
        session.delete(old)
    session.flush()
    for line in services:
        line.template_id = template.id
        session.add(line)
    session.flush()
    if now is not None:
        record(session, actor=actor, action="plan_template.save", entity="plantemplate",
               entity_id=template.id, shop_id=shop_id, at=now,
               details={"name": name, "kind": kind, "active": template.active})
    return template


def set_active(session: Session, shop_id: int, template_id: int, active: bool, *,
               now: datetime | None = None, actor: str = "") -> PlanTemplate:
    """Offer the template for sale again or hide it (sold plans keep working)."""
    template = get_template(session, shop_id, template_id).template
    template.active = bool(active)
    session.add(template)
    session.flush()
    if now is not None:
        record(session, actor=actor, action="plan_template.active", entity="plantemplate",
               entity_id=template.id, shop_id=shop_id, at=now, details={"active": active})
    return template
