"""Planos & Pacotes in the demo: the templates sold to about a dozen pets
(:func:`scheduler_core.plans.service.sell_plan`, each on the day before its start) and each
plan pet's visits on its fixed weekday, booked with the plan (``pet_plan_id``) so they take the
units of their cycle, past ones and those ahead alike (``data/plans.yml``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from scheduler_core.demo.agenda import Agenda, Ask, first_from
from scheduler_core.demo.seed import data
from scheduler_core.demo.shop import Built
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.plans.models import PetPlan
from scheduler_core.plans.service import sell_plan

ACTOR = "staff:demo"
# Weeks between two visits of a plan pet, by template key (the others come every week).
EVERY_OTHER_WEEK = frozenset({"banho_tosa", "trimestral"})


@dataclass(frozen=True)
class Sale:
    """A sold plan and what data/plans.yml says happened to it."""

    plan: PetPlan
    template: str
    sold_at: datetime
    weekday: int
    overdue: bool = False
    partial: bool = False
    cancelled: bool = False


def _buyers(built: Built, tutors: list[Tutor], pets: list[Pet]) -> list[tuple[dict, Pet]]:
    """Each sale with its pet: from the last tutor back (dogs first), one plan per tutor; a
    tutor with no pet the template serves is passed over."""
    by_tutor: dict[int, list[Pet]] = {}
    for pet in pets:
        by_tutor.setdefault(pet.tutor_id, []).append(pet)
    candidates = iter(reversed(tutors))
    chosen: list[tuple[dict, Pet]] = []
    for spec in data("plans")["sales"]:
        species = built.templates[spec["template"]].species or []
        for tutor in candidates:
            own = sorted(by_tutor.get(tutor.id, []), key=lambda p: (p.species != "cao", p.id))
            pet = next((p for p in own if p.species in species), None)
            if pet is not None:
                chosen.append((spec, pet))
                break
    return chosen


def sell(
    engine: Engine, built: Built, tutors: list[Tutor], pets: list[Pet], now: datetime
) -> list[Sale]:
    """Sell the templates to the chosen pets (one transaction each, as the panel does)."""
    zone = ZoneInfo(built.shop.timezone)
    today = now.astimezone(zone).date()
    sales = []
    for spec, pet in _buyers(built, tutors, pets):
        start = today + timedelta(days=spec["start_days"])
        sold_at = min(now, datetime.combine(start - timedelta(days=1), time(17), tzinfo=zone))
        plan = sell_plan(
            engine, pet_id=pet.id, template_id=built.templates[spec["template"]].id,
            start_date=start, now=sold_at, actor=ACTOR,
        )
        sales.append(
            Sale(plan, spec["template"], sold_at, spec["weekday"], bool(spec.get("overdue")),
                 bool(spec.get("partial")), bool(spec.get("cancelled")))
        )
    return sales


def book_plan_visits(agenda: Agenda, sales: list[Sale], pets: dict[int, Pet]) -> None:
    """Each plan pet's visits on its weekday within the plan's term and the demo period."""
    for index, sale in enumerate(sales):
        plan, pet = sale.plan, pets[sale.plan.pet_id]
        step = timedelta(weeks=2 if sale.template in EVERY_OTHER_WEEK else 1)
        day = max(plan.start_date, agenda.first_day)
        while day.weekday() != sale.weekday:
            day += timedelta(days=1)
        count = 0
        while day <= min(plan.end_date, agenda.last_day):
            keys = ("banho",)
            if sale.template == "banho_tosa" and count == 0:
                keys = ("banho", "tosa_maquina")
            start_of_day = datetime.combine(day, time(0), tzinfo=agenda.zone)
            as_of = max(sale.sold_at, min(agenda.now, start_of_day) - timedelta(days=14))
            ask = Ask(pet=pet, keys=keys, day=day, as_of=as_of, pet_plan_id=plan.id)
            preferred = 9 * 60 + 60 * (index % 6)
            slot = agenda.book(
                ask, first_from(preferred), lambda s: agenda.status_for(s, may_cancel=False)
            )
            count += slot is not None
            day += step
