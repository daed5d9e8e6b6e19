"""The demo shop's catalogue from ``data/shop.yml``: services with their porte × pelagem price
and duration tables and the resources they use, combos, Leva e Traz zones, the restriction, the
breed the shop does not accept and the plan and package templates (straight inserts, as in
:mod:`scheduler_core.demo.shop`)."""

from __future__ import annotations

from sqlmodel import Session, select

from scheduler_core.agenda.models import Restriction
from scheduler_core.catalog.models import (
    Combo,
    ComboItem,
    LevaETrazZone,
    PriceEntry,
    Service,
    ServiceResource,
)
from scheduler_core.demo.seed import data, price_table
from scheduler_core.demo.shop import Built
from scheduler_core.people.models import Breed, NotAcceptedBreed
from scheduler_core.plans.models import PlanTemplate, PlanTemplateService

_SERVICE_OPTIONS = ("species", "description", "guidance", "is_addon", "show_on_bot")


def build_catalogue(session: Session, built: Built) -> None:
    """Services, prices, combos, zones, the restriction, the refused breed and the templates."""
    seed = data("shop")
    for key, spec in seed["services"].items():
        options = {k: spec[k] for k in _SERVICE_OPTIONS if k in spec}
        service = Service(
            category_id=built.categories[spec["category"]].id, name=spec["name"],
            display_order=spec["order"], **options,
        )
        session.add(service)
        built.services[key] = service
    session.flush()
    for key, spec in seed["services"].items():
        service_id = built.services[key].id
        for (porte, pelagem), (price, minutes) in price_table(spec).items():
            session.add(
                PriceEntry(service_id=service_id, porte=porte, pelagem=pelagem,
                           price_cents=price, duration_min=minutes)
            )
        for name in spec.get("resources", ()):
            session.add(
                ServiceResource(service_id=service_id, resource_id=built.resources[name].id)
            )
    _combos(session, built)
    for spec in seed["leva_e_traz_zones"]:
        session.add(LevaETrazZone(shop_id=built.shop.id, **spec))
    _rules(session, built)
    _templates(session, built)
    session.flush()


def _combos(session: Session, built: Built) -> None:
    for key, spec in data("shop")["combos"].items():
        combo = Combo(
            segment_id=built.segments[spec["segment"]].id, name=spec["name"],
            species=list(spec["species"]), description=spec["description"],
            discount_kind=spec["discount_kind"], discount_value=spec["discount_value"],
        )
        session.add(combo)
        session.flush()
        built.combos[key] = combo
        for service in spec["services"]:
            session.add(ComboItem(combo_id=combo.id, service_id=built.services[service].id))


def _rules(session: Session, built: Built) -> None:
    """The scissor-grooming restriction and the breed the shop does not accept."""
    spec = data("shop")["restriction"]
    session.add(
        Restriction(
            shop_id=built.shop.id, name=spec["name"], scope=spec["scope"],
            description=spec["description"],
            conditions={
                "service_ids": [built.services[k].id for k in spec["services"]],
                "weekdays": list(spec["weekdays"]),
            },
        )
    )
    refused = data("shop")["not_accepted_breed"]
    breed = session.exec(
        select(Breed).where(Breed.species == refused["species"], Breed.name == refused["breed"])
    ).first()
    if breed is not None:
        session.add(
            NotAcceptedBreed(shop_id=built.shop.id, breed_id=breed.id, message=refused["message"])
        )


def _templates(session: Session, built: Built) -> None:
    for key, spec in data("shop")["plan_templates"].items():
        fields = {k: v for k, v in spec.items() if k != "services"}
        template = PlanTemplate(shop_id=built.shop.id, **fields)
        session.add(template)
        session.flush()
        built.templates[key] = template
        for line in spec["services"]:
            session.add(
                PlanTemplateService(
                    template_id=template.id, service_id=built.services[line["service"]].id,
                    quantity=line["quantity"], reserve=line.get("reserve"),
                    per_week=line.get("per_week", 1),
                )
            )
