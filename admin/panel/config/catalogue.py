"""The catalogue: resources, service categories, services (price × duration grid), combos."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session, col, select

from admin.panel.config.common import field_errors, required_shop, segment_of, segments_of
from admin.panel.pages import (
    engine,
    form,
    form_list,
    int_or_none,
    page,
    record_audit,
    redirect,
    render,
)
from admin.panel.permissions import Perm
from scheduler_core.catalog import service as catalog_service
from scheduler_core.catalog import shop_setup
from scheduler_core.catalog.models import (
    Combo,
    ComboItem,
    PriceEntry,
    Service,
    ServiceCategory,
    ServiceResource,
)
from scheduler_core.catalog.service import PriceCellInput
from scheduler_core.db.engine import locked_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.kernel.forms import parse_id, parse_ids
from scheduler_core.people.models import Breed, Pelagem, Porte
from scheduler_core.shop import service as shop_service
from scheduler_core.shop.models import (
    Resource,
    Shop,
)

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- resources & categories


@routes.get("/admin/config/recursos")
@page(Perm.SETTINGS)
async def resources_page(request: web.Request) -> web.Response:
    shop = required_shop(request)
    with Session(engine(request)) as session:
        segments = segments_of(session, shop)
        resources = session.exec(select(Resource).where(
            col(Resource.segment_id).in_([s.id for s in segments])).order_by(Resource.id)).all()
        return render(request, "config/resources.html",
                      {"segments": segments, "resources": resources})


@routes.post("/admin/config/recursos")
@page(Perm.SETTINGS)
async def resources_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    with locked_session(engine(request)) as session:
        segments = segments_of(session, shop)
        resource = session.get(Resource, int_or_none(data.get("resource_id")) or 0)
        if resource is not None and resource.segment_id not in {s.id for s in segments}:
            raise web.HTTPNotFound(text="Recurso não encontrado.")
        try:
            if data.get("action") == "delete" and resource is not None:
                shop_setup.delete_resource(session, resource)
                message = "Recurso removido."
            else:
                segment = segment_of(session, shop, int_or_none(data.get("segment_id")))
                resource = shop_service.save_resource(session, segment, resource, data)
                message = f"Recurso “{resource.name}” salvo."
        except ValidationFailed as exc:
            resources = session.exec(select(Resource).where(
                col(Resource.segment_id).in_([s.id for s in segments]))).all()
            return render(request, "config/resources.html", {
                "segments": segments, "resources": resources, "errors": field_errors(exc),
                "values": data}, status=422)
        record_audit(session, request, "config.resource", "resource", int_or_none(data.get(
            "resource_id")), {"action": data.get("action", "save")})
        session.commit()
    raise redirect("/admin/config/recursos", message)


@routes.get("/admin/config/categorias")
@page(Perm.SETTINGS)
async def categories_page(request: web.Request) -> web.Response:
    shop = required_shop(request)
    with Session(engine(request)) as session:
        segments = segments_of(session, shop)
        categories = session.exec(select(ServiceCategory).where(
            col(ServiceCategory.segment_id).in_([s.id for s in segments]))
            .order_by(ServiceCategory.segment_id, ServiceCategory.display_order)).all()
        return render(request, "config/categories.html",
                      {"segments": segments, "categories": categories})


@routes.post("/admin/config/categorias")
@page(Perm.SETTINGS)
async def categories_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    with locked_session(engine(request)) as session:
        segments = segments_of(session, shop)
        category = session.get(ServiceCategory, int_or_none(data.get("category_id")) or 0)
        if category is not None and category.segment_id not in {s.id for s in segments}:
            raise web.HTTPNotFound(text="Categoria não encontrada.")
        segment = segment_of(session, shop, int_or_none(data.get("segment_id")))
        try:
            category = catalog_service.save_category(session, segment, category, data)
        except ValidationFailed as exc:
            categories = session.exec(select(ServiceCategory).where(
                col(ServiceCategory.segment_id).in_([s.id for s in segments]))).all()
            return render(request, "config/categories.html", {
                "segments": segments, "categories": categories, "errors": field_errors(exc),
                "values": data}, status=422)
        record_audit(session, request, "config.category", "servicecategory", category.id)
        session.commit()
        name = category.name
    raise redirect("/admin/config/categorias", f"Categoria “{name}” salva.")


# --------------------------------------------------------------------------- services


@routes.get("/admin/config/servicos")
@page(Perm.SETTINGS)
async def services_list(request: web.Request) -> web.Response:
    shop = required_shop(request)
    with Session(engine(request)) as session:
        segments = segments_of(session, shop)
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
    segments = segments_of(session, shop)
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
    shop = required_shop(request)
    with Session(engine(request)) as session:
        service = None
        if "id" in request.match_info:
            service = session.get(Service, int(request.match_info["id"]))
            if service is None:
                raise web.HTTPNotFound(text="Serviço não encontrado.")
        ctx = _service_ctx(session, shop, service)
        if service is None and parse_id(request.query.get("categoria")) is not None:
            ctx["values"]["category_id"] = parse_id(request.query["categoria"])
        return render(request, "config/service.html", ctx)


@routes.post("/admin/config/servicos/novo")
@routes.post("/admin/config/servicos/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def service_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    species = await form_list(request, "species")
    grid = {(p.value, c.value): PriceCellInput(data.get(f"price_{p.value}_{c.value}", ""),
                                               data.get(f"dur_{p.value}_{c.value}", ""))
            for p in Porte for c in Pelagem}
    breed_rows = [(data.get(f"breed_{i}", ""), data.get(f"breed_price_{i}", ""),
                   data.get(f"breed_dur_{i}", "")) for i in range(60)
                  if f"breed_{i}" in data]
    resources = {parse_id(k[4:]): v for k, v in data.items() if k.startswith("res_")
                 and parse_id(k[4:]) is not None}
    with locked_session(engine(request)) as session:
        service = None
        if "id" in request.match_info:
            service = session.get(Service, int(request.match_info["id"]))
            if service is None:
                raise web.HTTPNotFound(text="Serviço não encontrado.")
        try:
            service = catalog_service.save_service(
                session, shop, service, data, species=species, grid=grid,
                breed_rows=breed_rows, resources=resources)
        except ValidationFailed as exc:
            session.rollback()
            ctx = _service_ctx(session, shop, service)
            ctx.update(errors=field_errors(exc), values={**data, "species": species,
                                                  "category_id": int_or_none(
                                                      data.get("category_id"))},
                       grid={k: (v.price, v.duration) for k, v in grid.items()},
                       breed_rows=breed_rows, units=resources)
            return render(request, "config/service.html", ctx, status=422)
        record_audit(session, request, "config.service", "service", service.id,
                     {"name": service.name})
        session.commit()
        name = service.name
    raise redirect("/admin/config/servicos", f"Serviço “{name}” salvo.")


# --------------------------------------------------------------------------- combos


def _combo_ctx(session: Session, shop: Shop, combo: Combo | None) -> dict:
    segments = segments_of(session, shop)
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


def _combo_or_404(session: Session, shop: Shop, request: web.Request) -> Combo | None:
    """The combo of the URL (None on /novo); another shop's or a missing one is a 404."""
    if "id" not in request.match_info:
        return None
    combo = session.get(Combo, int(request.match_info["id"]))
    if combo is None or combo.segment_id not in {s.id for s in segments_of(session, shop)}:
        raise web.HTTPNotFound(text="Combo não encontrado.")
    return combo


@routes.get("/admin/config/combos/novo")
@routes.get("/admin/config/combos/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def combo_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    with Session(engine(request)) as session:
        combo = _combo_or_404(session, shop, request)
        return render(request, "config/combo.html", _combo_ctx(session, shop, combo))


@routes.post("/admin/config/combos/novo")
@routes.post("/admin/config/combos/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def combo_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    service_ids = parse_ids(await form_list(request, "services"))
    species = await form_list(request, "species")
    with locked_session(engine(request)) as session:
        combo = _combo_or_404(session, shop, request)
        try:
            combo = catalog_service.save_combo(session, shop, combo, data,
                                              service_ids=service_ids, species=species)
        except ValidationFailed as exc:
            session.rollback()
            ctx = _combo_ctx(session, shop, combo)
            ctx.update(errors=field_errors(exc), values={**data, "species": species},
                       chosen=set(service_ids))
            return render(request, "config/combo.html", ctx, status=422)
        record_audit(session, request, "config.combo", "combo", combo.id)
        session.commit()
        name = combo.name
    raise redirect("/admin/config/servicos", f"Combo “{name}” salvo.")
