"""Slot search shared by the wizard, reschedule and encaixe, and the "Buscar horários" page."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin.panel.agenda.common import MAX_SEARCH_DAYS, required_shop, token_secret
from admin.panel.pages import (
    db,
    engine,
    int_or_none,
    now,
    page,
    render,
)
from admin.panel.permissions import Perm
from admin.panel.timeutil import parse_date, today
from scheduler_core.catalog import offers as catalog
from scheduler_core.catalog.combos import visit_services
from scheduler_core.catalog.models import Service, ServiceCategory
from scheduler_core.db.engine import read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.kernel.forms import parse_ids
from scheduler_core.people import registry as people
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.scheduling import booking
from scheduler_core.scheduling.agenda_types import NoSlotReason
from scheduler_core.shop import team
from scheduler_core.shop.models import Employee, Shop

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- slot search


def categories_for(session: Session, shop_id: int, service_ids: list[int],
                   species: str | None) -> list[dict]:
    """For the optional "choose the professional": each category of the chosen services with
    the employees who can do it for the pet (:func:`scheduler_core.shop.team.employees_for`)."""
    if not service_ids:
        return []
    cats = session.exec(
        select(ServiceCategory).join(Service, Service.category_id == ServiceCategory.id)
        .where(col(Service.id).in_(service_ids)).distinct()
        .order_by(ServiceCategory.display_order, ServiceCategory.id)
    ).all()
    return [{"id": cat.id, "name": cat.name,
             "employees": team.employees_for(session, shop_id, cat.id, species)} for cat in cats]


def employee_choice(query, categories: list[dict]) -> dict[int, int]:
    choice = {}
    for cat in categories:
        emp = int_or_none(query.get(f"prof_{cat['id']}"))
        if emp and any(e.id == emp for e in cat["employees"]):
            choice[cat["id"]] = emp
    return choice


ONE_COMBO = "Escolha apenas um combo por agendamento; outros serviços podem ser marcados à parte."


def one_combo(combo_ids: list[int]) -> int | None:
    """The chosen combo (a visit is at most one combo; its discount is applied by the core)."""
    if len(set(combo_ids)) > 1:
        raise ValidationFailed(ONE_COMBO, details={"field": "combo"})
    return combo_ids[0] if combo_ids else None


async def search_slots(request, shop: Shop, *, pet_id: int, service_ids: list[int], date_from: date,
            date_to: date, employee_by_category: dict[int, int],
            moving_appointment_id: int | None = None, combo_id: int | None = None):
    """Slots for the services, or for the combo (``service_ids`` then adds extra services);
    a combo's slots are priced with its discount and the token books it as that combo."""
    return await db(request, booking.find_slots,
        engine(request), shop_id=shop.id, pet_id=pet_id, service_ids=service_ids,
        date_from=date_from, date_to=date_to, channel="staff", now=now(request),
        secret=token_secret(request), employee_by_category=employee_by_category or None,
        moving_appointment_id=moving_appointment_id, combo_id=combo_id,
    )


def group_slots(offer, employees: dict[int, str], limit: int = 400) -> list[dict]:
    days: dict[date, list] = {}
    for slot in offer.slots[:limit]:
        days.setdefault(slot.start.date(), []).append({
            "start": slot.start, "end": slot.end, "token": slot.token,
            "total_cents": slot.total_cents, "discount_cents": slot.discount_cents,
            "who": ", ".join(dict.fromkeys(employees.get(i.employee_id, "?")
                                           for i in slot.items)),
        })
    return [{"day": d, "slots": s} for d, s in sorted(days.items())]


def encaixe_url(offer, pet_id: int, day: date, service_ids: list[int]) -> str | None:
    """When a restriction is what stops the booking, the way to override it: an encaixe (staff
    with agenda.book; the audit entry records the overridden restriction). Decision: the
    restriction override of scheduling.md §3.3 step 4 is the encaixe, not a second path."""
    if offer.slots or offer.reason is not NoSlotReason.RESTRICTION:
        return None
    query = [("pet", str(pet_id)), ("data", day.isoformat())]
    query += [("servico", str(i)) for i in service_ids]
    return "/admin/encaixe?" + urlencode(query)


def employee_names(session: Session, shop_id: int) -> dict[int, str]:
    return {e.id: e.name for e in session.exec(
        select(Employee).where(Employee.shop_id == shop_id)).all()}


# --------------------------------------------------------------------------- Buscar horários


def _load_slot_page(db_engine: Engine, shop: Shop, q_text: str, pet_id: int | None,
                    service_ids: list[int], combo_ids: list[int]) -> dict:
    """Without a pet: the tutors matching ``q_text`` with their pets. With one: the pet, its
    tutor and catalogue, the visit's services (combos expanded), and — when at most one combo
    was chosen — the categories with who can do them and the employees' names."""
    with read_session(db_engine) as session:
        if not pet_id:
            results = people.search_tutors(session, shop.id, q_text) if q_text else []
            return {"results": [(t, people.pets_of(session, t.id)) for t in results]}
        pet = people.get_pet(session, pet_id, shop.id)
        found = {"pet": pet, "tutor": session.get(Tutor, pet.tutor_id),
                 "catalog": catalog.services_for_pet(session, shop.id, pet.id, channel="staff"),
                 "all_ids": visit_services(session, service_ids, combo_ids)}
        if len(set(combo_ids)) <= 1:
            found["categories"] = categories_for(session, shop.id, found["all_ids"],
                                                 pet.species)
            found["names"] = employee_names(session, shop.id)
        return found


@routes.get("/admin/horarios")
@page(Perm.AGENDA_BOOK)
async def free_slots(request: web.Request) -> web.Response:
    shop = required_shop(request)
    q = request.query
    ctx: dict = {"q": q.get("q", "")}
    pet_id = int_or_none(q.get("pet"))
    first = parse_date(q.get("de")) or today(now(request), shop.timezone)
    last = parse_date(q.get("ate")) or first + timedelta(days=6)
    ctx.update(date_from=first, date_to=last)
    service_ids = parse_ids(q.getall("servico", []))
    combo_ids = parse_ids(q.getall("combo", []))
    found = await db(request, _load_slot_page, engine(request), shop, ctx["q"], pet_id,
                     service_ids, combo_ids)
    if not pet_id:
        ctx["results"] = found["results"]
        return render(request, "agenda/slots.html", ctx)
    pet, all_ids = found["pet"], found["all_ids"]
    ctx.update(pet=pet, tutor=found["tutor"], catalog=found["catalog"])
    ctx.update(chosen=set(service_ids), chosen_combos=set(combo_ids))
    if len(set(combo_ids)) > 1:
        ctx.update(errors={"": ONE_COMBO}, categories=[])
        return render(request, "agenda/slots.html", ctx, status=422)
    combo_id = one_combo(combo_ids)
    categories, names = found["categories"], found["names"]
    ctx.update(categories=categories)
    if not all_ids:
        return render(request, "agenda/slots.html", ctx)
    if last < first:
        ctx["errors"] = {"": "A data final deve ser igual ou posterior à inicial."}
        return render(request, "agenda/slots.html", ctx, status=422)
    if (last - first).days >= MAX_SEARCH_DAYS:
        ctx["errors"] = {"": f"Busque no máximo {MAX_SEARCH_DAYS} dias de cada vez."}
        return render(request, "agenda/slots.html", ctx, status=422)
    choice = employee_choice(q, categories)
    offer = await search_slots(request, shop, pet_id=pet.id,
                          service_ids=service_ids if combo_id else all_ids, date_from=first,
                          date_to=last, employee_by_category=choice, combo_id=combo_id)
    ctx.update(offer=offer, groups=group_slots(offer, names), choice=choice,
               service_ids=service_ids, combo_ids=combo_ids,
               encaixe_url=encaixe_url(offer, pet.id, first, all_ids),
               idempotency_key=secrets.token_urlsafe(16))
    return render(request, "agenda/slots.html", ctx)


__all__ = ["routes", "Pet"]
