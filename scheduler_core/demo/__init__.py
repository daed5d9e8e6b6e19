"""The demo shop: a realistic São Paulo pet shop ("Patas & Cia Pet Shop") loaded into an empty
database, built from the seed data in ``data/`` through the core's services.

``load_demo(engine, now)`` (``now`` aware: it anchors everything; deterministic for a given
``now``, fixed random seed), only when the database has no shop:

1. the configuration and the people, in one transaction (:mod:`.shop`, :mod:`.catalogue`,
   :mod:`.people`): shop, segments and hours, resources, the team and their shifts, the
   catalogue with its price tables, combos, add-ons, Leva e Traz zones, the restriction, a breed
   not accepted, plan and package templates, bot settings, the breed table, 40 tutors and their
   pets;
2. the plans sold (:mod:`.plans`, ``plans.service.sell_plan``);
3. the agenda, in one transaction (:mod:`.agenda`, :mod:`.fill`, :mod:`.plans`): every visit a
   slot the availability engine offered "as of" the moment it was booked, stored by the booking
   service's insert path (``booking.store_booking``);
4. the visits moved through the status flow (:mod:`.statuses`, ``scheduling.visit_status``);
5. billing (:mod:`.billing`): visit invoices and payments, plan cycles paid, a partial payment,
   an overdue cycle, tutor credit, a cancelled plan.

Steps 2–5 run after step 1 has committed the shop, each through the services' own transactions:
a second process starting at the same time sees the shop and loads nothing. A crash in the
middle leaves a partial demo (delete the database to reload it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler_core.db.engine import write_session
from scheduler_core.demo.agenda import Agenda
from scheduler_core.demo.billing import bill
from scheduler_core.demo.catalogue import build_catalogue
from scheduler_core.demo.fill import fill
from scheduler_core.demo.people import build_people
from scheduler_core.demo.plans import book_plan_visits, sell
from scheduler_core.demo.seed import data
from scheduler_core.demo.shop import Built, build_shop
from scheduler_core.demo.statuses import move_along
from scheduler_core.demo.surveys import answer_surveys
from scheduler_core.people.breeds import load_breeds
from scheduler_core.people.models import Breed, Pet, Tutor
from scheduler_core.shop.models import Shop

__all__ = ["DemoSummary", "load_demo"]


@dataclass
class DemoSummary:
    shop_id: int
    tutors: int
    pets: int
    appointments: int
    services: dict[str, int] = field(default_factory=dict)  # name → id
    plans: int = 0


def _has_shop(session: Session) -> bool:
    return session.exec(select(Shop.id)).first() is not None


def load_demo(engine: Engine, now: datetime) -> DemoSummary | None:
    """Load the demo shop when the database has no shop; None when it already has one.
    Safe to call at every start."""
    if now.tzinfo is None:
        raise ValueError("aware datetime expected")
    with Session(engine) as session:
        if _has_shop(session):
            return None
    rng = random.Random(data("shop")["seed"])
    with write_session(engine, expire_on_commit=False) as session:
        if _has_shop(session):  # another process won the race
            return None
        built, tutors, pets = _configure(session, rng)
    sales = sell(engine, built, tutors, pets, now)
    with write_session(engine, expire_on_commit=False) as session:
        agenda = Agenda(session, built, tutors, now, rng)
        book_plan_visits(agenda, sales, {p.id: p for p in pets})
        fill(agenda, pets, {s.plan.pet_id for s in sales})
    move_along(engine, agenda.visits, now, rng)
    bill(engine, built.shop, agenda.visits, sales, tutors, now, rng)
    answer_surveys(engine, built.shop.id, now, rng)
    return DemoSummary(
        shop_id=built.shop.id,
        tutors=len(tutors),
        pets=len(pets),
        appointments=len(agenda.visits),
        services={s.name: s.id for s in built.services.values()},
        plans=len(sales),
    )


def _configure(session: Session, rng: random.Random) -> tuple[Built, list[Tutor], list[Pet]]:
    load_breeds(session)
    breeds = {(b.species, b.name): b for b in session.exec(select(Breed)).all()}
    built = build_shop(session, rng)
    build_catalogue(session, built)
    since = datetime.fromisoformat(data("shop")["since"])
    tutors, pets = build_people(session, built.shop, rng, breeds, since)
    return built, tutors, pets
