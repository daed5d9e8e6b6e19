"""The demo shop itself from ``data/shop.yml``: the shop, its segments and opening hours, its
resources, the team with their shifts and the bot settings.

Straight inserts of the configuration rows: the configuration use cases
(``catalog.shop_setup``, ``shop.service``) parse the panel's form strings and their validation
adds nothing for seed data that the demo tests check (valid CPFs, phones, hours).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlmodel import Session

from scheduler_core.catalog.models import ServiceCategory
from scheduler_core.chatbot.models import BotSettings, QuickReply
from scheduler_core.demo.seed import data, week
from scheduler_core.kernel.cpf import generate_cpf
from scheduler_core.shop.models import (
    Employee,
    EmployeeCategory,
    OpeningRange,
    Resource,
    Segment,
    Shop,
    WorkingRange,
)


@dataclass
class Built:
    """What the later steps need from the configuration (keys of ``data/shop.yml`` → rows)."""

    shop: Shop
    segments: dict[str, Segment] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    categories: dict[str, ServiceCategory] = field(default_factory=dict)
    employees: list[Employee] = field(default_factory=list)
    employee_categories: dict[int, set[str]] = field(default_factory=dict)
    services: dict = field(default_factory=dict)  # key → Service
    combos: dict = field(default_factory=dict)  # key → Combo
    templates: dict = field(default_factory=dict)  # key → PlanTemplate


def build_shop(session: Session, rng: random.Random) -> Built:
    """The shop, segments with hours, resources, categories and the team."""
    seed = data("shop")
    shop = Shop(timezone=seed["timezone"], **seed["shop"])
    session.add(shop)
    session.flush()
    built = Built(shop=shop)
    for key, spec in seed["segments"].items():
        segment = Segment(
            shop_id=shop.id, kind=spec["kind"], name=spec["name"],
            slot_step_min=spec["slot_step_min"],
        )
        session.add(segment)
        session.flush()
        built.segments[key] = segment
        for weekday, ranges in week(spec).items():
            for start, end in ranges:
                session.add(
                    OpeningRange(segment_id=segment.id, weekday=weekday, start=start, end=end)
                )
    for spec in seed["resources"]:
        resource = Resource(
            segment_id=built.segments[spec["segment"]].id, name=spec["name"],
            capacity=spec["capacity"],
        )
        session.add(resource)
        built.resources[spec["name"]] = resource
    for key, spec in seed["categories"].items():
        category = ServiceCategory(
            segment_id=built.segments[spec["segment"]].id, name=spec["name"],
            kind=spec["kind"], display_order=spec["order"],
        )
        session.add(category)
        built.categories[key] = category
    session.flush()
    _team(session, built, rng)
    _bot_settings(session, shop)
    return built


def _team(session: Session, built: Built, rng: random.Random) -> None:
    """Employees with the categories they do and their shifts (lunch breaks between ranges)."""
    for index, spec in enumerate(data("shop")["staff"]):
        name = spec["name"]
        employee = Employee(
            shop_id=built.shop.id,
            name=name,
            cpf=generate_cpf(rng),
            email=name.lower().replace("dra. ", "").replace(" ", ".") + "@patasecia.com.br",
            phone=f"+55119{81200100 + index * 37:08d}",
            species=list(spec["species"]),
            can_cancel=bool(spec.get("can_cancel")),
            can_edit_blocks=bool(spec.get("can_edit_blocks")),
        )
        session.add(employee)
        session.flush()
        built.employees.append(employee)
        built.employee_categories[employee.id] = set(spec["categories"])
        for key in spec["categories"]:
            session.add(
                EmployeeCategory(employee_id=employee.id, category_id=built.categories[key].id)
            )
        for weekday, ranges in week(spec).items():
            for start, end in ranges:
                session.add(
                    WorkingRange(employee_id=employee.id, weekday=weekday, start=start, end=end)
                )


def _bot_settings(session: Session, shop: Shop) -> None:
    spec = data("shop")["bot_settings"]
    session.add(BotSettings(shop_id=shop.id, **spec))
    for position, reply in enumerate(data("shop").get("quick_replies", []), start=1):
        session.add(QuickReply(shop_id=shop.id, position=position, **reply))
