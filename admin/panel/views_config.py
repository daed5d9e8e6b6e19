"""Configuration screens. Each POST parses the form, calls one function of config_service and
re-renders with the pt-BR errors, or redirects with a confirmation."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from sqlmodel import Session, col, select

from admin.forms import parse_list
from admin.models import StaffUser
from admin.panel import accounts, config_service
from admin.panel.config_service import Invalid, PriceCellInput
from admin.panel.pages import (
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
from admin.panel.timeutil import today
from scheduler_core.agenda.models import Block, Restriction
from scheduler_core.audit import log as audit
from scheduler_core.catalog.models import (
    Combo,
    ComboItem,
    LevaETrazZone,
    PriceEntry,
    Service,
    ServiceCategory,
    ServiceResource,
)
from scheduler_core.chatbot.models import BotMode, BotSettings
from scheduler_core.chatbot.triggers import MATCH_KINDS
from scheduler_core.db.engine import locked_session
from scheduler_core.people.models import Breed, NotAcceptedBreed, Pelagem, Porte
from scheduler_core.scheduling.blocks import block_conflicts
from scheduler_core.shop.models import (
    Employee,
    EmployeeCategory,
    OpeningRange,
    Resource,
    Segment,
    Shop,
    WorkingRange,
)

routes = web.RouteTableDef()


def _shop_or_none(request: web.Request) -> Shop | None:
    return staff(request).shop


def _shop(request: web.Request) -> Shop:
    shop = staff(request).shop
    if shop is None:
        raise redirect("/admin/config/loja", "Cadastre os dados da loja primeiro.", "aviso")
    return shop


def _audit(session: Session, request: web.Request, action: str, entity: str,
           entity_id: int | None, details: dict | None = None) -> None:
    me = staff(request)
    audit.record(session, at=now(request), actor=me.actor, action=action, entity=entity,
                    entity_id=entity_id, shop_id=me.shop.id if me.shop else None,
                    details=details or {})


def _require_pin(request: web.Request, data: dict) -> None:
    with Session(engine(request)) as session:
        accounts.check_pin(session.get(StaffUser, staff(request).user.id),
                           data.get("operator_pin"))


def _pin_refusal(request: web.Request, data: dict) -> accounts.AccountError | None:
    """The operator PIN checked before a write lock is taken (argon2 takes a while): the
    refusal to raise inside the form's unit, or None."""
    try:
        _require_pin(request, data)
    except accounts.AccountError as exc:
        return exc
    return None


def _segments(session: Session, shop: Shop) -> list[Segment]:
    return list(session.exec(select(Segment).where(Segment.shop_id == shop.id)
                             .order_by(Segment.id)).all())


def _segment(session: Session, shop: Shop, segment_id: int | None) -> Segment | None:
    segments = _segments(session, shop)
    for seg in segments:
        if seg.id == segment_id:
            return seg
    return segments[0] if segments else None


def _pairs(data, prefix: str, count: int = 4) -> list[tuple[str, str]]:
    return [(data.get(f"{prefix}_start_{i}", ""), data.get(f"{prefix}_end_{i}", ""))
            for i in range(count)]


@routes.get("/admin/config")
@page()
async def config_home(request: web.Request) -> web.Response:
    me = staff(request)
    if not (me.can(Perm.SETTINGS) or me.can(Perm.EMPLOYEES) or me.can(Perm.BLOCKS_EDIT)):
        raise web.HTTPForbidden()
    return render(request, "config/index.html", {})


# --------------------------------------------------------------------------- shop


def _shop_ctx(session: Session, shop: Shop | None) -> dict:
    breeds = session.exec(select(Breed).order_by(Breed.species, Breed.name)).all()
    not_accepted = set()
    if shop is not None:
        not_accepted = {n.breed_id for n in session.exec(
            select(NotAcceptedBreed).where(NotAcceptedBreed.shop_id == shop.id)).all()}
    return {"shop": shop, "breeds": breeds, "not_accepted": not_accepted}


@routes.get("/admin/config/loja")
@page(Perm.SETTINGS)
async def shop_form(request: web.Request) -> web.Response:
    with Session(engine(request)) as session:
        ctx = _shop_ctx(session, _shop_or_none(request))
    return render(request, "config/shop.html", ctx)


@routes.post("/admin/config/loja")
@page(Perm.SETTINGS)
async def shop_submit(request: web.Request) -> web.Response:
    data = await form(request)
    breed_ids = [int(b) for b in await form_list(request, "not_accepted") if b.isdigit()]
    current = _shop_or_none(request)
    with locked_session(engine(request), expire_on_commit=False) as session:
        shop = session.get(Shop, current.id) if current else None
        try:
            shop = config_service.save_shop(session, shop, data, breed_ids)
        except Invalid as exc:
            ctx = _shop_ctx(session, shop)
            ctx.update(errors=exc.errors, values=data, not_accepted=set(breed_ids))
            return render(request, "config/shop.html", ctx, status=422)
        me = staff(request)
        if me.user.shop_id is None:
            user = session.get(StaffUser, me.user.id)
            user.shop_id = shop.id
            session.add(user)
        _audit(session, request, "config.shop", "shop", shop.id)
        session.commit()
    raise redirect("/admin/config/loja", "Dados da loja salvos.")


# --------------------------------------------------------------------------- segments


@routes.get("/admin/config/segmentos")
@page(Perm.SETTINGS)
async def segments_page(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        return render(request, "config/segments.html", {"segments": _segments(session, shop)})


@routes.post("/admin/config/segmentos")
@page(Perm.SETTINGS)
async def segments_submit(request: web.Request) -> web.Response:
    shop = _shop(request)
    data = await form(request)
    species = await form_list(request, "species")
    with locked_session(engine(request)) as session:
        segment = session.get(Segment, int_or_none(data.get("segment_id")) or 0)
        if segment is not None and segment.shop_id != shop.id:
            raise web.HTTPNotFound(text="Segmento não encontrado.")
        try:
            segment = config_service.save_segment(session, shop, segment, data, species)
        except Invalid as exc:
            session.rollback()
            return render(request, "config/segments.html", {
                "segments": _segments(session, shop), "errors": exc.errors, "values": data},
                status=422)
        _audit(session, request, "config.segment", "segment", segment.id)
        session.commit()
        name = segment.name
    raise redirect("/admin/config/segmentos", f"Segmento “{name}” salvo.")


# --------------------------------------------------------------------------- opening hours


@routes.get("/admin/config/horarios")
@page(Perm.SETTINGS)
async def hours_form(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        segment = _segment(session, shop, int_or_none(request.query.get("segmento")))
        if segment is None:
            raise redirect("/admin/config/segmentos", "Cadastre um segmento primeiro.", "aviso")
        ranges = session.exec(select(OpeningRange).where(OpeningRange.segment_id == segment.id)
                              .order_by(OpeningRange.weekday, OpeningRange.start)).all()
        days = {d: [(r.start, r.end) for r in ranges if r.weekday == d] for d in range(7)}
        return render(request, "config/hours.html", {
            "segments": _segments(session, shop), "segment": segment,
            "days": days, "open_days": {d for d in range(7) if days[d]},
            "step": segment.slot_step_min, "open_24h": segment.open_24h,
        })


@routes.post("/admin/config/horarios")
@page(Perm.SETTINGS)
async def hours_submit(request: web.Request) -> web.Response:
    shop = _shop(request)
    data = await form(request)
    open_days = {int(d) for d in await form_list(request, "open") if d.isdigit()}
    days = {d: (d in open_days, _pairs(data, f"d{d}")) for d in range(7)}
    with locked_session(engine(request)) as session:
        segment = _segment(session, shop, int_or_none(data.get("segment_id")))
        try:
            config_service.save_opening_hours(
                session, segment, open_24h=data.get("open_24h") == "1",
                slot_step_min=data.get("slot_step_min", ""), days=days)
        except Invalid as exc:
            return render(request, "config/hours.html", {
                "segments": _segments(session, shop), "segment": segment,
                "days": {d: [p for p in days[d][1] if p[0] or p[1]] for d in range(7)},
                "open_days": open_days, "step": data.get("slot_step_min"),
                "open_24h": data.get("open_24h") == "1", "errors": exc.errors,
            }, status=422)
        _audit(session, request, "config.opening_hours", "segment", segment.id)
        session.commit()
        segment_id = segment.id
    raise redirect(f"/admin/config/horarios?segmento={segment_id}",
                   "Horário de funcionamento salvo.")


# --------------------------------------------------------------------------- employees


@routes.get("/admin/config/funcionarios")
@page(Perm.EMPLOYEES)
async def employees_list(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        employees = session.exec(select(Employee).where(Employee.shop_id == shop.id)
                                 .order_by(Employee.name)).all()
        cats = {c.id: c.name for c in session.exec(select(ServiceCategory)).all()}
        emp_cats: dict[int, list[str]] = {}
        for link in session.exec(select(EmployeeCategory)).all():
            emp_cats.setdefault(link.employee_id, []).append(cats.get(link.category_id, "?"))
        ranges: dict[int, set[int]] = {}
        for r in session.exec(select(WorkingRange)).all():
            ranges.setdefault(r.employee_id, set()).add(r.weekday)
    return render(request, "config/employees.html", {
        "employees": employees, "emp_cats": emp_cats, "work_days": ranges,
        "calendars": sum(1 for e in employees if e.active and e.has_calendar),
    })


def _employee_ctx(session: Session, shop: Shop, employee: Employee | None) -> dict:
    categories = session.exec(
        select(ServiceCategory).join(Segment, Segment.id == ServiceCategory.segment_id)
        .where(Segment.shop_id == shop.id).order_by(Segment.id, ServiceCategory.display_order)
    ).all()
    segments = {s.id: s.name for s in _segments(session, shop)}
    chosen, days = set(), {d: [] for d in range(7)}
    if employee is not None:
        chosen = set(session.exec(select(EmployeeCategory.category_id)
                                  .where(EmployeeCategory.employee_id == employee.id)).all())
        for r in session.exec(select(WorkingRange).where(WorkingRange.employee_id == employee.id)
                              .order_by(WorkingRange.weekday, WorkingRange.start)).all():
            days[r.weekday].append((r.start, r.end))
    return {"employee": employee, "categories": categories, "segment_names": segments,
            "chosen": chosen, "days": days,
            "values": employee.model_dump() if employee else
            {"has_calendar": True, "active": True, "species": ["cao", "gato"]}}


@routes.get("/admin/config/funcionarios/novo")
@routes.get("/admin/config/funcionarios/{id:[0-9]{1,9}}")
@page(Perm.EMPLOYEES)
async def employee_form(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        employee = None
        if "id" in request.match_info:
            employee = session.get(Employee, int(request.match_info["id"]))
            if employee is None or employee.shop_id != shop.id:
                raise web.HTTPNotFound(text="Funcionário não encontrado.")
        return render(request, "config/employee.html", _employee_ctx(session, shop, employee))


@routes.post("/admin/config/funcionarios/novo")
@routes.post("/admin/config/funcionarios/{id:[0-9]{1,9}}")
@page(Perm.EMPLOYEES)
async def employee_submit(request: web.Request) -> web.Response:
    shop = _shop(request)
    data = await form(request)
    category_ids = [int(c) for c in await form_list(request, "categories") if c.isdigit()]
    species = await form_list(request, "species")
    work_days = {int(d) for d in await form_list(request, "works") if d.isdigit()}
    days = {d: (_pairs(data, f"d{d}") if d in work_days else []) for d in range(7)}
    pin_refusal = _pin_refusal(request, data)
    with locked_session(engine(request)) as session:
        employee = None
        if "id" in request.match_info:
            employee = session.get(Employee, int(request.match_info["id"]))
            if employee is None or employee.shop_id != shop.id:
                raise web.HTTPNotFound(text="Funcionário não encontrado.")
        try:
            if pin_refusal is not None:
                raise pin_refusal
            employee = config_service.save_employee(
                session, shop.id, employee, data, category_ids=category_ids, species=species,
                days=days)
        except (Invalid, accounts.AccountError) as exc:
            session.rollback()
            ctx = _employee_ctx(session, shop, employee)
            ctx.update(
                errors=exc.errors if isinstance(exc, Invalid) else {"": str(exc)},
                values={**data, "species": species, "has_calendar": data.get("has_calendar"),
                        "active": data.get("active")},
                chosen=set(category_ids),
                days={d: [p for p in days[d] if p[0] or p[1]] for d in range(7)},
            )
            return render(request, "config/employee.html", ctx, status=422)
        _audit(session, request, "config.employee", "employee", employee.id,
               {"name": employee.name, "categories": category_ids})
        session.commit()
        name = employee.name
    raise redirect("/admin/config/funcionarios", f"Funcionário “{name}” salvo.")


# --------------------------------------------------------------------------- resources & categories


@routes.get("/admin/config/recursos")
@page(Perm.SETTINGS)
async def resources_page(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        segments = _segments(session, shop)
        resources = session.exec(select(Resource).where(
            col(Resource.segment_id).in_([s.id for s in segments])).order_by(Resource.id)).all()
        return render(request, "config/resources.html",
                      {"segments": segments, "resources": resources})


@routes.post("/admin/config/recursos")
@page(Perm.SETTINGS)
async def resources_submit(request: web.Request) -> web.Response:
    shop = _shop(request)
    data = await form(request)
    with locked_session(engine(request)) as session:
        segments = _segments(session, shop)
        resource = session.get(Resource, int_or_none(data.get("resource_id")) or 0)
        if resource is not None and resource.segment_id not in {s.id for s in segments}:
            raise web.HTTPNotFound(text="Recurso não encontrado.")
        try:
            if data.get("action") == "delete" and resource is not None:
                config_service.delete_resource(session, resource)
                message = "Recurso removido."
            else:
                segment = _segment(session, shop, int_or_none(data.get("segment_id")))
                resource = config_service.save_resource(session, segment, resource, data)
                message = f"Recurso “{resource.name}” salvo."
        except Invalid as exc:
            resources = session.exec(select(Resource).where(
                col(Resource.segment_id).in_([s.id for s in segments]))).all()
            return render(request, "config/resources.html", {
                "segments": segments, "resources": resources, "errors": exc.errors,
                "values": data}, status=422)
        _audit(session, request, "config.resource", "resource", int_or_none(data.get(
            "resource_id")), {"action": data.get("action", "save")})
        session.commit()
    raise redirect("/admin/config/recursos", message)


@routes.get("/admin/config/categorias")
@page(Perm.SETTINGS)
async def categories_page(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        segments = _segments(session, shop)
        categories = session.exec(select(ServiceCategory).where(
            col(ServiceCategory.segment_id).in_([s.id for s in segments]))
            .order_by(ServiceCategory.segment_id, ServiceCategory.display_order)).all()
        return render(request, "config/categories.html",
                      {"segments": segments, "categories": categories})


@routes.post("/admin/config/categorias")
@page(Perm.SETTINGS)
async def categories_submit(request: web.Request) -> web.Response:
    shop = _shop(request)
    data = await form(request)
    with locked_session(engine(request)) as session:
        segments = _segments(session, shop)
        category = session.get(ServiceCategory, int_or_none(data.get("category_id")) or 0)
        if category is not None and category.segment_id not in {s.id for s in segments}:
            raise web.HTTPNotFound(text="Categoria não encontrada.")
        segment = _segment(session, shop, int_or_none(data.get("segment_id")))
        try:
            category = config_service.save_category(session, segment, category, data)
        except Invalid as exc:
            categories = session.exec(select(ServiceCategory).where(
                col(ServiceCategory.segment_id).in_([s.id for s in segments]))).all()
            return render(request, "config/categories.html", {
                "segments": segments, "categories": categories, "errors": exc.errors,
                "values": data}, status=422)
        _audit(session, request, "config.category", "servicecategory", category.id)
        session.commit()
        name = category.name
    raise redirect("/admin/config/categorias", f"Categoria “{name}” salva.")


# --------------------------------------------------------------------------- services


@routes.get("/admin/config/servicos")
@page(Perm.SETTINGS)
async def services_list(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        segments = _segments(session, shop)
        cats = session.exec(select(ServiceCategory).where(
            col(ServiceCategory.segment_id).in_([s.id for s in segments]))
            .order_by(ServiceCategory.segment_id, ServiceCategory.display_order)).all()
        services = session.exec(select(Service).where(
            col(Service.category_id).in_([c.id for c in cats]))
            .order_by(Service.display_order, Service.name)).all()
        prices: dict[int, list[int]] = {}
        for p in session.exec(select(PriceEntry).where(
                col(PriceEntry.service_id).in_([s.id for s in services]))).all():
            prices.setdefault(p.service_id, []).append(p.price_cents)
        combos = session.exec(select(Combo).where(
            col(Combo.segment_id).in_([s.id for s in segments])).order_by(Combo.name)).all()
        return render(request, "config/services.html", {
            "segments": segments, "categories": cats, "services": services,
            "prices": prices, "combos": combos})


def _service_ctx(session: Session, shop: Shop, service: Service | None) -> dict:
    segments = _segments(session, shop)
    cats = session.exec(select(ServiceCategory).where(
        col(ServiceCategory.segment_id).in_([s.id for s in segments]))
        .order_by(ServiceCategory.segment_id, ServiceCategory.display_order)).all()
    resources = session.exec(select(Resource).where(
        col(Resource.segment_id).in_([s.id for s in segments]))).all()
    grid, breed_rows, units = {}, [], {}
    if service is not None:
        for p in session.exec(select(PriceEntry).where(PriceEntry.service_id == service.id)):
            if p.breed_id is not None:
                breed_rows.append((str(p.breed_id), _cents_text(p.price_cents),
                                   str(p.duration_min)))
            else:
                grid[(p.porte, p.pelagem)] = (_cents_text(p.price_cents), str(p.duration_min))
        units = {r.resource_id: str(r.units) for r in session.exec(
            select(ServiceResource).where(ServiceResource.service_id == service.id))}
    breed_rows += [("", "", "")] * 5
    return {
        "service": service, "categories": cats, "segment_names": {s.id: s.name for s in segments},
        "resources": resources, "grid": grid, "breed_rows": breed_rows, "units": units,
        "portes": list(Porte), "pelagens": list(Pelagem), "by_breed": shop.billing_mode == "raca",
        "breeds": session.exec(select(Breed).order_by(Breed.species, Breed.name)).all(),
        "values": service.model_dump() if service else
        {"show_on_bot": True, "active": True, "species": ["cao", "gato"],
         "category_id": int_or_none(None)},
    }


def _cents_text(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


@routes.get("/admin/config/servicos/novo")
@routes.get("/admin/config/servicos/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def service_form(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        service = None
        if "id" in request.match_info:
            service = session.get(Service, int(request.match_info["id"]))
            if service is None:
                raise web.HTTPNotFound(text="Serviço não encontrado.")
        ctx = _service_ctx(session, shop, service)
        if service is None and request.query.get("categoria", "").isdigit():
            ctx["values"]["category_id"] = int(request.query["categoria"])
        return render(request, "config/service.html", ctx)


@routes.post("/admin/config/servicos/novo")
@routes.post("/admin/config/servicos/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def service_submit(request: web.Request) -> web.Response:
    shop = _shop(request)
    data = await form(request)
    species = await form_list(request, "species")
    grid = {(p.value, c.value): PriceCellInput(data.get(f"price_{p.value}_{c.value}", ""),
                                               data.get(f"dur_{p.value}_{c.value}", ""))
            for p in Porte for c in Pelagem}
    breed_rows = [(data.get(f"breed_{i}", ""), data.get(f"breed_price_{i}", ""),
                   data.get(f"breed_dur_{i}", "")) for i in range(60)
                  if f"breed_{i}" in data]
    resources = {int(k[4:]): v for k, v in data.items() if k.startswith("res_")
                 and k[4:].isdigit()}
    with locked_session(engine(request)) as session:
        service = None
        if "id" in request.match_info:
            service = session.get(Service, int(request.match_info["id"]))
            if service is None:
                raise web.HTTPNotFound(text="Serviço não encontrado.")
        try:
            service = config_service.save_service(
                session, shop, service, data, species=species, grid=grid,
                breed_rows=breed_rows, resources=resources)
        except Invalid as exc:
            session.rollback()
            ctx = _service_ctx(session, shop, service)
            ctx.update(errors=exc.errors, values={**data, "species": species,
                                                  "category_id": int_or_none(
                                                      data.get("category_id"))},
                       grid={k: (v.price, v.duration) for k, v in grid.items()},
                       breed_rows=breed_rows, units=resources)
            return render(request, "config/service.html", ctx, status=422)
        _audit(session, request, "config.service", "service", service.id, {"name": service.name})
        session.commit()
        name = service.name
    raise redirect("/admin/config/servicos", f"Serviço “{name}” salvo.")


# --------------------------------------------------------------------------- combos


def _combo_ctx(session: Session, shop: Shop, combo: Combo | None) -> dict:
    segments = _segments(session, shop)
    cats = {c.id: c for c in session.exec(select(ServiceCategory).where(
        col(ServiceCategory.segment_id).in_([s.id for s in segments]))).all()}
    services = session.exec(select(Service).where(col(Service.category_id).in_(list(cats)))
                            .order_by(Service.name)).all()
    chosen = set()
    if combo is not None:
        chosen = set(session.exec(select(ComboItem.service_id)
                                  .where(ComboItem.combo_id == combo.id)).all())
    values = combo.model_dump() if combo else {"show_on_bot": True, "active": True,
                                               "species": ["cao", "gato"],
                                               "discount_kind": "percentual"}
    if combo is not None and combo.discount_kind == "valor":
        values["discount_value"] = _cents_text(combo.discount_value)
    return {"combo": combo, "segments": segments, "services": services, "cats": cats,
            "chosen": chosen, "values": values}


@routes.get("/admin/config/combos/novo")
@routes.get("/admin/config/combos/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def combo_form(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        combo = session.get(Combo, int(request.match_info["id"])) \
            if "id" in request.match_info else None
        return render(request, "config/combo.html", _combo_ctx(session, shop, combo))


@routes.post("/admin/config/combos/novo")
@routes.post("/admin/config/combos/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def combo_submit(request: web.Request) -> web.Response:
    shop = _shop(request)
    data = await form(request)
    service_ids = [int(s) for s in await form_list(request, "services") if s.isdigit()]
    species = await form_list(request, "species")
    with locked_session(engine(request)) as session:
        combo = session.get(Combo, int(request.match_info["id"])) \
            if "id" in request.match_info else None
        try:
            combo = config_service.save_combo(session, shop, combo, data,
                                              service_ids=service_ids, species=species)
        except Invalid as exc:
            session.rollback()
            ctx = _combo_ctx(session, shop, combo)
            ctx.update(errors=exc.errors, values={**data, "species": species},
                       chosen=set(service_ids))
            return render(request, "config/combo.html", ctx, status=422)
        _audit(session, request, "config.combo", "combo", combo.id)
        session.commit()
        name = combo.name
    raise redirect("/admin/config/servicos", f"Combo “{name}” salvo.")


# --------------------------------------------------------------------------- Leva e Traz


@routes.get("/admin/config/leva-e-traz")
@page(Perm.SETTINGS)
async def leva_page(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        zones = session.exec(select(LevaETrazZone).where(LevaETrazZone.shop_id == shop.id)
                             .order_by(LevaETrazZone.name)).all()
        return render(request, "config/leva.html", {"shop": session.get(Shop, shop.id),
                                                    "zones": zones})


@routes.post("/admin/config/leva-e-traz")
@page(Perm.SETTINGS)
async def leva_submit(request: web.Request) -> web.Response:
    shop_ref = _shop(request)
    data = await form(request)
    with locked_session(engine(request)) as session:
        shop = session.get(Shop, shop_ref.id)
        zone = session.get(LevaETrazZone, int_or_none(data.get("zone_id")) or 0)
        if zone is not None and zone.shop_id != shop.id:
            raise web.HTTPNotFound(text="Zona não encontrada.")
        try:
            action = data.get("action")
            if action == "settings":
                config_service.save_leva_e_traz(session, shop, data)
                message = "Leva e Traz salvo."
            elif action == "delete" and zone is not None:
                session.delete(zone)
                message = "Zona removida."
            else:
                zone = config_service.save_zone(session, shop, zone, data)
                message = f"Zona “{zone.name}” salva."
        except Invalid as exc:
            session.rollback()
            zones = session.exec(select(LevaETrazZone)
                                 .where(LevaETrazZone.shop_id == shop.id)).all()
            return render(request, "config/leva.html", {
                "shop": session.get(Shop, shop.id), "zones": zones, "errors": exc.errors,
                "values": data}, status=422)
        _audit(session, request, "config.leva_e_traz", "shop", shop.id,
               {"action": data.get("action", "zone")})
        session.commit()
    raise redirect("/admin/config/leva-e-traz", message)


# --------------------------------------------------------------------------- restrictions

RESTRICTION_LISTS = ("service_ids", "segment_ids", "weekdays", "species", "portes", "pelagens",
                     "breed_ids", "sexes")


def _restriction_ctx(session: Session, shop: Shop, restriction: Restriction | None) -> dict:
    segments = _segments(session, shop)
    cats = session.exec(select(ServiceCategory.id).where(
        col(ServiceCategory.segment_id).in_([s.id for s in segments]))).all()
    return {
        "restriction": restriction, "segments": segments,
        "services": session.exec(select(Service).where(col(Service.category_id).in_(cats))
                                 .order_by(Service.name)).all(),
        "breeds": session.exec(select(Breed).order_by(Breed.species, Breed.name)).all(),
        "values": restriction.model_dump() if restriction else {"active": True,
                                                               "scope": "ambos"},
        "cond": dict(restriction.conditions) if restriction else {},
    }


@routes.get("/admin/config/restricoes")
@page(Perm.SETTINGS)
async def restrictions_list(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        rows = session.exec(select(Restriction).where(Restriction.shop_id == shop.id)
                            .order_by(Restriction.name)).all()
        return render(request, "config/restrictions.html", {"restrictions": rows})


@routes.get("/admin/config/restricoes/novo")
@routes.get("/admin/config/restricoes/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def restriction_form(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        restriction = session.get(Restriction, int(request.match_info["id"])) \
            if "id" in request.match_info else None
        if restriction is not None and restriction.shop_id != shop.id:
            raise web.HTTPNotFound(text="Restrição não encontrada.")
        return render(request, "config/restriction.html",
                      _restriction_ctx(session, shop, restriction))


@routes.post("/admin/config/restricoes/novo")
@routes.post("/admin/config/restricoes/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def restriction_submit(request: web.Request) -> web.Response:
    shop = _shop(request)
    data = await form(request)
    lists = {k: await form_list(request, k) for k in RESTRICTION_LISTS}
    with locked_session(engine(request)) as session:
        restriction = session.get(Restriction, int(request.match_info["id"])) \
            if "id" in request.match_info else None
        if restriction is not None and restriction.shop_id != shop.id:
            raise web.HTTPNotFound(text="Restrição não encontrada.")
        try:
            if data.get("action") == "toggle" and restriction is not None:
                restriction.active = not restriction.active
                session.add(restriction)
            else:
                restriction = config_service.save_restriction(session, shop, restriction, data,
                                                              lists)
        except Invalid as exc:
            session.rollback()
            ctx = _restriction_ctx(session, shop, restriction)
            ctx.update(errors=exc.errors, values=data,
                       cond={k: [int(v) if v.isdigit() else v for v in vals]
                             for k, vals in lists.items()})
            return render(request, "config/restriction.html", ctx, status=422)
        _audit(session, request, "config.restriction", "restriction", restriction.id,
               {"active": restriction.active})
        session.commit()
    raise redirect("/admin/config/restricoes", "Restrição salva.")


# --------------------------------------------------------------------------- blocks


def _blocks_ctx(session: Session, shop: Shop, now_: datetime) -> dict:
    blocks = session.exec(select(Block).where(Block.shop_id == shop.id)
                          .order_by(Block.id.desc())).all()
    current_day = today(now_, shop.timezone).isoformat()
    blocks = [b for b in blocks if any(d >= current_day for d in b.dates)] + \
        [b for b in blocks if not any(d >= current_day for d in b.dates)][:10]
    employees = session.exec(select(Employee).where(Employee.shop_id == shop.id,
                                                    Employee.active.is_(True))
                             .order_by(Employee.name)).all()
    return {"blocks": blocks, "employees": employees,
            "employee_names": {e.id: e.name for e in employees},
            "conflicts": {b.id: block_conflicts(session, shop, b) for b in blocks},
            "today": current_day}


@routes.get("/admin/config/bloqueios")
@page(Perm.BLOCKS_EDIT)
async def blocks_page(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        ctx = _blocks_ctx(session, shop, now(request))
        ctx["focus"] = int_or_none(request.query.get("novo"))
        return render(request, "config/blocks.html", ctx)


@routes.post("/admin/config/bloqueios")
@page(Perm.BLOCKS_EDIT)
async def blocks_submit(request: web.Request) -> web.Response:
    shop = _shop(request)
    data = await form(request)
    dates = await form_list(request, "dates")
    extra = parse_list(data.get("more_dates", ""))
    pin_refusal = _pin_refusal(request, data)
    with locked_session(engine(request)) as session:
        try:
            if pin_refusal is not None:
                raise pin_refusal
            if data.get("action") == "delete":
                block = session.get(Block, int_or_none(data.get("block_id")) or 0)
                if block is None or block.shop_id != shop.id:
                    raise web.HTTPNotFound(text="Bloqueio não encontrado.")
                session.delete(block)
                _audit(session, request, "block.delete", "block", block.id,
                       {"dates": block.dates})
                session.commit()
                raise redirect("/admin/config/bloqueios", "Bloqueio removido.")
            block = config_service.create_block(session, shop, data, dates + extra)
        except (Invalid, accounts.AccountError) as exc:
            session.rollback()
            ctx = _blocks_ctx(session, shop, now(request))
            ctx.update(errors=exc.errors if isinstance(exc, Invalid) else {"": str(exc)},
                       values={**data, "dates": dates})
            return render(request, "config/blocks.html", ctx, status=422)
        conflicts = block_conflicts(session, shop, block)
        _audit(session, request, "block.create", "block", block.id,
               {"dates": block.dates, "employee_id": block.employee_id,
                "all_day": block.all_day, "start": block.start, "end": block.end,
                "conflicting_appointments": [c.id for c in conflicts]})
        session.commit()
        block_id = block.id
    message = "Bloqueio criado."
    if conflicts:
        message += (f" Atenção: {len(conflicts)} agendamento(s) dentro do bloqueio continuam "
                    "marcados — remarque-os.")
    raise redirect(f"/admin/config/bloqueios?novo={block_id}", message,
                   "aviso" if conflicts else "ok")


# --------------------------------------------------------------------------- bot settings


@routes.get("/admin/config/robo")
@page(Perm.SETTINGS)
async def bot_form(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        settings = session.get(BotSettings, shop.id) or BotSettings(shop_id=shop.id)
        return render(request, "config/bot.html", {
            "s": settings, "menu_labels": config_service.MENU_LABELS, "modes": list(BotMode),
            "match_kinds": MATCH_KINDS})


@routes.post("/admin/config/robo")
@page(Perm.SETTINGS)
async def bot_submit(request: web.Request) -> web.Response:
    shop = _shop(request)
    data = await form(request)
    order = await form_list(request, "menu_order")
    enabled = await form_list(request, "menu_enabled")
    move = data.get("move", "")
    if ":" in move:
        key, direction = move.split(":", 1)
        if key in order:
            i = order.index(key)
            j = i - 1 if direction == "up" else i + 1
            if 0 <= j < len(order):
                order[i], order[j] = order[j], order[i]
    with locked_session(engine(request)) as session:
        try:
            config_service.save_bot_settings(session, shop, data, order, enabled, zip(
                await form_list(request, "trigger_text"),
                await form_list(request, "trigger_match"),
                await form_list(request, "trigger_action"), strict=False))
        except Invalid as exc:
            session.rollback()
            settings = session.get(BotSettings, shop.id) or BotSettings(shop_id=shop.id)
            return render(request, "config/bot.html", {
                "s": settings, "menu_labels": config_service.MENU_LABELS,
                "modes": list(BotMode), "match_kinds": MATCH_KINDS, "errors": exc.errors},
                status=422)
        _audit(session, request, "config.bot", "botsettings", shop.id, {"mode": data.get("mode")})
        session.commit()
    raise redirect("/admin/config/robo", "Configurações do robô salvas.")
