"""Reading plans for the REST API and the bot: the templates a pet can buy and a pet's sold
plans with their cycles and shown status (the panel's own lists are in plans/queries.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from scheduler_core.people.models import Pet, Tutor
from scheduler_core.plans.lifecycle import shown_status
from scheduler_core.plans.models import PetPlan, PlanTemplate, PlanTemplateService
from scheduler_core.plans.service import PlanStatus, _service_names, plan_status


@dataclass(frozen=True)
class TemplateService:
    service_id: int
    name: str
    quantity: int
    reserve: str | None
    per_week: int


@dataclass(frozen=True)
class TemplateView:
    template: PlanTemplate
    services: tuple[TemplateService, ...]


def templates(
    session: Session, shop_id: int, *, pet_id: int | None = None, bot_only: bool = False
) -> list[TemplateView]:
    """The shop's active templates, by name; with ``pet_id`` only those for the pet's species
    (another shop's pet sees none); ``bot_only``: those shown on the bot."""
    stmt = select(PlanTemplate).where(PlanTemplate.shop_id == shop_id,
                                      PlanTemplate.active.is_(True))
    if bot_only:
        stmt = stmt.where(PlanTemplate.show_on_bot.is_(True))
    rows = list(session.execute(stmt.order_by(PlanTemplate.name, PlanTemplate.id)).scalars())
    if pet_id is not None:
        pet = session.get(Pet, pet_id)
        tutor = session.get(Tutor, pet.tutor_id) if pet is not None else None
        if tutor is None or tutor.shop_id != shop_id:
            return []
        rows = [t for t in rows if pet.species in (t.species or [])]
    links = session.execute(
        select(PlanTemplateService).where(
            PlanTemplateService.template_id.in_([t.id for t in rows] or [0]))
        .order_by(PlanTemplateService.template_id, PlanTemplateService.service_id)
    ).scalars().all()
    names = _service_names(session, [ln.service_id for ln in links])
    return [
        TemplateView(t, tuple(
            TemplateService(ln.service_id, names.get(ln.service_id, ""), ln.quantity,
                            ln.reserve, ln.per_week)
            for ln in links if ln.template_id == t.id))
        for t in rows
    ]


@dataclass(frozen=True)
class SoldPlan:
    status: PlanStatus
    shown_status: str


def pet_plans(session: Session, pet_id: int, *, today: date) -> list[SoldPlan]:
    """The pet's sold plans, newest first, with cycles and the status shown on ``today``."""
    rows = session.execute(
        select(PetPlan).where(PetPlan.pet_id == pet_id)
        .order_by(PetPlan.start_date.desc(), PetPlan.id.desc())
    ).scalars().all()
    return [SoldPlan(plan_status(session, p.id, today=today), shown_status(session, p, today))
            for p in rows]
