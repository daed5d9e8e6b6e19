"""Encaixe: a visit squeezed in outside the free slots (``scheduler_core.scheduling.encaixe``)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from admin.panel.agenda.common import check_pin, required_shop
from admin.panel.fmt import plural
from admin.panel.pages import (
    db,
    engine,
    form,
    form_list,
    int_or_none,
    now,
    page,
    redirect,
    render,
    staff,
)
from admin.panel.permissions import Perm
from admin.panel.timeutil import parse_date, today
from scheduler_core.catalog import offers as catalog
from scheduler_core.catalog.models import Service
from scheduler_core.db.engine import read_session
from scheduler_core.kernel.forms import parse_ids
from scheduler_core.people import registry as people
from scheduler_core.people.models import Tutor
from scheduler_core.scheduling import encaixe
from scheduler_core.shop.models import Employee, Shop

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- encaixe


def _parse_local(day_text: str, time_text: str, tz: str) -> datetime | None:
    day = parse_date(day_text)
    try:
        hh, mm = (time_text or "").strip().split(":")
        return datetime(day.year, day.month, day.day, int(hh), int(mm), tzinfo=ZoneInfo(tz))
    except (AttributeError, ValueError):
        return None


def _encaixe_context(db_engine: Engine, shop: Shop, values: dict) -> dict:
    """The form's context: the pet, its tutor and catalogue, the chosen services and the
    employees with a calendar."""
    pet_id = int_or_none(values.get("pet"))
    with read_session(db_engine) as session:
        pet = people.get_pet(session, pet_id, shop.id) if pet_id else None
        ctx = {"pet": pet, "values": values}
        if pet is None:
            return ctx
        ctx["tutor"] = session.get(Tutor, pet.tutor_id)
        ctx["catalog"] = catalog.services_for_pet(session, shop.id, pet.id, channel="staff")
        chosen = parse_ids(values.get("servico", []))
        ctx["chosen"] = set(chosen)
        employees = session.exec(
            select(Employee).where(Employee.shop_id == shop.id, Employee.active.is_(True),
                                   Employee.has_calendar.is_(True)).order_by(Employee.name)
        ).all()
        ctx["employees"] = employees
        ctx["services"] = session.exec(
            select(Service).where(col(Service.id).in_(chosen))).all() if chosen else []
    return ctx


@routes.get("/admin/encaixe")
@page(Perm.AGENDA_BOOK)
async def encaixe_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    q = request.query
    values = {"pet": q.get("pet", ""), "servico": q.getall("servico", []),
              "data": q.get("data", today(now(request), shop.timezone).isoformat()),
              "hora": q.get("hora", "")}
    ctx = await db(request, _encaixe_context, engine(request), shop, values)
    return render(request, "agenda/encaixe.html", ctx)


@routes.post("/admin/encaixe")
@page(Perm.AGENDA_BOOK)
async def encaixe_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    values = {"pet": data.get("pet", ""), "servico": await form_list(request, "servico"),
              "data": data.get("data", ""), "hora": data.get("hora", ""),
              "notes": data.get("notes", "")}
    for key, val in data.items():
        if key.startswith("emp_"):
            values[key] = val
    ctx = await db(request, _encaixe_context, engine(request), shop, values)
    errors: dict[str, str] = {}
    start = _parse_local(values["data"], values["hora"], shop.timezone)
    if start is None:
        errors["hora"] = "Informe a data e a hora (HH:MM)."
    service_ids = parse_ids(values["servico"])
    if not service_ids:
        errors["servico"] = "Escolha pelo menos um serviço."
    choice = {}
    for sid in service_ids:
        emp = int_or_none(data.get(f"emp_{sid}"))
        if not emp:
            errors[f"emp_{sid}"] = "Escolha o profissional."
        else:
            choice[sid] = emp
    if errors or ctx.get("pet") is None:
        ctx["errors"] = errors or {"": "Escolha o pet."}
        return render(request, "agenda/encaixe.html", ctx, status=422)
    if data.get("confirm") != "1":
        conflicts = await db(request, encaixe.encaixe_conflicts,
            engine(request), pet_id=ctx["pet"].id, service_ids=service_ids, start=start,
            employee_by_service=choice, now=now(request),
        )
        ctx.update(conflicts=conflicts, preview=True)
        return render(request, "agenda/encaixe.html", ctx)
    await db(request, check_pin, request, data.get("operator_pin"))
    result = await db(request, encaixe.encaixe,
        engine(request), pet_id=ctx["pet"].id, service_ids=service_ids, start=start,
        employee_by_service=choice, now=now(request), actor=staff(request).actor,
        notes=(data.get("notes") or "")[:2000],
    )
    logged = plural(len(result.conflicts), "conflito registrado", "conflitos registrados")
    raise redirect(f"/admin/agenda?data={start.date().isoformat()}",
                   f"Encaixe #{result.appointment.id} criado"
                   + (f" ({logged} na auditoria)." if result.conflicts else "."))
