"""The catalogue: resources, service categories, services (price × duration grid), combos."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin.panel.config.common import field_errors, required_shop, segment_of, segments_of
from admin.panel.pages import (
    db,
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
from scheduler_core.db.engine import locked_session, read_session
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


def _resources_of(session: Session, segments: list) -> list[Resource]:
    return list(session.exec(select(Resource).where(
        col(Resource.segment_id).in_([s.id for s in segments])).order_by(Resource.id)).all())


def _load_resources(db_engine: Engine, shop: Shop) -> dict:
    with read_session(db_engine) as session:
        segments = segments_of(session, shop)
        return {"segments": segments, "resources": _resources_of(session, segments)}


@routes.get("/admin/config/recursos")
@page(Perm.SETTINGS)
async def resources_page(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await db(request, _load_resources, engine(request), shop)
    return render(request, "config/resources.html", ctx)


def _save_resource(request: web.Request, shop: Shop, data: dict) -> tuple[str, dict | None]:
    """(flash message, None) when saved or removed; ("", the page's context with the errors)
    when refused."""
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
            return "", {"segments": segments, "resources": _resources_of(session, segments),
                        "errors": field_errors(exc), "values": data}
        record_audit(session, request, "config.resource", "resource", int_or_none(data.get(
            "resource_id")), {"action": data.get("action", "save")})
        session.commit()
    return message, None


@routes.post("/admin/config/recursos")
@page(Perm.SETTINGS)
async def resources_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    message, refused = await db(request, _save_resource, request, shop, data)
    if refused is not None:
        return render(request, "config/resources.html", refused, status=422)
    raise redirect("/admin/config/recursos", message)


def _categories_of(session: Session, segments: list) -> list[ServiceCategory]:
    return list(session.exec(select(ServiceCategory).where(
        col(ServiceCategory.segment_id).in_([s.id for s in segments]))
        .order_by(ServiceCategory.segment_id, ServiceCategory.display_order)).all())


def _load_categories(db_engine: Engine, shop: Shop) -> dict:
    with read_session(db_engine) as session:
        segments = segments_of(session, shop)
        return {"segments": segments, "categories": _categories_of(session, segments)}


@routes.get("/admin/config/categorias")
@page(Perm.SETTINGS)
async def categories_page(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await db(request, _load_categories, engine(request), shop)
    return render(request, "config/categories.html", ctx)


def _save_category(request: web.Request, shop: Shop, data: dict) -> tuple[str, dict | None]:
    """(the category's name, None) when saved; ("", the page's context with the errors) when
    refused."""
    with locked_session(engine(request)) as session:
        segments = segments_of(session, shop)
        category = session.get(ServiceCategory, int_or_none(data.get("category_id")) or 0)
        if category is not None and category.segment_id not in {s.id for s in segments}:
            raise web.HTTPNotFound(text="Categoria não encontrada.")
        segment = segment_of(session, shop, int_or_none(data.get("segment_id")))
        try:
            category = catalog_service.save_category(session, segment, category, data)
        except ValidationFailed as exc:
            return "", {"segments": segments, "categories": _categories_of(session, segments),
                        "errors": field_errors(exc), "values": data}
        record_audit(session, request, "config.category", "servicecategory", category.id)
        session.commit()
        return category.name, None


@routes.post("/admin/config/categorias")
@page(Perm.SETTINGS)
async def categories_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    name, refused = await db(request, _save_category, request, shop, data)
    if refused is not None:
        return render(request, "config/categories.html", refused, status=422)
    raise redirect("/admin/config/categorias", f"Categoria “{name}” salva.")


# --------------------------------------------------------------------------- services


def _load_services(db_engine: Engine, shop: Shop) -> dict:
    with read_session(db_engine) as session:
        segments = segments_of(session, shop)
        cats = _categories_of(session, segments)
        services = session.exec(select(Service).where(
            col(Service.category_id).in_([c.id for c in cats]))
            .order_by(Service.display_order, Service.name)).all()
        prices: dict[int, list[int]] = {}
        for p in session.exec(select(PriceEntry).where(
                col(PriceEntry.service_id).in_([s.id for s in services]))).all():
            prices.setdefault(p.service_id, []).append(p.price_cents)
        combos = session.exec(select(Combo).where(
            col(Combo.segment_id).in_([s.id for s in segments])).order_by(Combo.name)).all()
        return {"segments": segments, "categories": cats, "services": services,
                "prices": prices, "combos": combos}


@routes.get("/admin/config/servicos")
@page(Perm.SETTINGS)
async def services_list(request: web.Request) -> web.Response:
    shop = required_shop(request)
    return render(request, "config/services.html",
                  await db(request, _load_services, engine(request), shop))


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


def _url_id(request: web.Request) -> int | None:
    return int(request.match_info["id"]) if "id" in request.match_info else None


def _service_of(session: Session, service_id: int | None) -> Service | None:
    if service_id is None:
        return None
    service = session.get(Service, service_id)
    if service is None:
        raise web.HTTPNotFound(text="Serviço não encontrado.")
    return service


def _load_service(db_engine: Engine, shop: Shop, service_id: int | None,
                  category_id: int | None) -> dict:
    with read_session(db_engine) as session:
        service = _service_of(session, service_id)
        ctx = _service_ctx(session, shop, service)
    if service is None and category_id is not None:
        ctx["values"]["category_id"] = category_id
    return ctx


@routes.get("/admin/config/servicos/novo")
@routes.get("/admin/config/servicos/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def service_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await db(request, _load_service, engine(request), shop, _url_id(request),
                   parse_id(request.query.get("categoria")))
    return render(request, "config/service.html", ctx)


def _save_service(request: web.Request, shop: Shop, service_id: int | None, data: dict,
                  posted: dict) -> tuple[str, dict | None]:
    """(the service's name, None) when saved; ("", the form's context with the errors) when
    refused. ``posted``: the species, the price grid, the breed rows and the resources."""
    with locked_session(engine(request)) as session:
        service = _service_of(session, service_id)
        try:
            service = catalog_service.save_service(session, shop, service, data, **posted)
        except ValidationFailed as exc:
            session.rollback()
            ctx = _service_ctx(session, shop, service)
            ctx.update(errors=field_errors(exc),
                       values={**data, "species": posted["species"],
                               "category_id": int_or_none(data.get("category_id"))},
                       grid={k: (v.price, v.duration) for k, v in posted["grid"].items()},
                       breed_rows=posted["breed_rows"], units=posted["resources"])
            return "", ctx
        record_audit(session, request, "config.service", "service", service.id,
                     {"name": service.name})
        session.commit()
        return service.name, None


@routes.post("/admin/config/servicos/novo")
@routes.post("/admin/config/servicos/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def service_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    grid = {(p.value, c.value): PriceCellInput(data.get(f"price_{p.value}_{c.value}", ""),
                                               data.get(f"dur_{p.value}_{c.value}", ""))
            for p in Porte for c in Pelagem}
    breed_rows = [(data.get(f"breed_{i}", ""), data.get(f"breed_price_{i}", ""),
                   data.get(f"breed_dur_{i}", "")) for i in range(60)
                  if f"breed_{i}" in data]
    resources = {parse_id(k[4:]): v for k, v in data.items() if k.startswith("res_")
                 and parse_id(k[4:]) is not None}
    posted = {"species": await form_list(request, "species"), "grid": grid,
              "breed_rows": breed_rows, "resources": resources}
    name, refused = await db(request, _save_service, request, shop, _url_id(request), data,
                             posted)
    if refused is not None:
        return render(request, "config/service.html", refused, status=422)
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


def _load_combo(db_engine: Engine, shop: Shop, request: web.Request) -> dict:
    with read_session(db_engine) as session:
        return _combo_ctx(session, shop, _combo_or_404(session, shop, request))


@routes.get("/admin/config/combos/novo")
@routes.get("/admin/config/combos/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def combo_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await db(request, _load_combo, engine(request), shop, request)
    return render(request, "config/combo.html", ctx)


def _save_combo(request: web.Request, shop: Shop, data: dict, service_ids: list[int],
                species: list[str]) -> tuple[str, dict | None]:
    """(the combo's name, None) when saved; ("", the form's context with the errors) when
    refused."""
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
            return "", ctx
        record_audit(session, request, "config.combo", "combo", combo.id)
        session.commit()
        return combo.name, None


@routes.post("/admin/config/combos/novo")
@routes.post("/admin/config/combos/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def combo_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    service_ids = parse_ids(await form_list(request, "services"))
    species = await form_list(request, "species")
    name, refused = await db(request, _save_combo, request, shop, data, service_ids, species)
    if refused is not None:
        return render(request, "config/combo.html", refused, status=422)
    raise redirect("/admin/config/servicos", f"Combo “{name}” salvo.")
