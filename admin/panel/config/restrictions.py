"""Restrictions: which pets may not get which services, where (bot, panel or both)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin.panel.config.common import field_errors, required_shop, segments_of
from admin.panel.pages import (
    db,
    engine,
    form,
    form_list,
    page,
    record_audit,
    redirect,
    render,
)
from admin.panel.permissions import Perm
from scheduler_core.agenda.models import Restriction
from scheduler_core.catalog import service as catalog_service
from scheduler_core.catalog.models import (
    Service,
    ServiceCategory,
)
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.kernel.forms import parse_id
from scheduler_core.people.models import Breed
from scheduler_core.shop.models import (
    Shop,
)

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- restrictions

RESTRICTION_LISTS = ("service_ids", "segment_ids", "weekdays", "species", "portes", "pelagens",
                     "breed_ids", "sexes")


def _restriction_ctx(session: Session, shop: Shop, restriction: Restriction | None) -> dict:
    segments = segments_of(session, shop)
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


def _load_restrictions(db_engine: Engine, shop_id: int) -> list[Restriction]:
    with read_session(db_engine) as session:
        return list(session.exec(select(Restriction).where(Restriction.shop_id == shop_id)
                                 .order_by(Restriction.name)).all())


@routes.get("/admin/config/restricoes")
@page(Perm.SETTINGS)
async def restrictions_list(request: web.Request) -> web.Response:
    shop = required_shop(request)
    rows = await db(request, _load_restrictions, engine(request), shop.id)
    return render(request, "config/restrictions.html", {"restrictions": rows})


def _restriction_of(session: Session, shop: Shop, restriction_id: int | None
                    ) -> Restriction | None:
    """The restriction of the URL (None on /novo); another shop's or a missing one is a 404."""
    if restriction_id is None:
        return None
    restriction = session.get(Restriction, restriction_id)
    if restriction is None or restriction.shop_id != shop.id:
        raise web.HTTPNotFound(text="Restrição não encontrada.")
    return restriction


def _load_restriction(db_engine: Engine, shop: Shop, restriction_id: int | None) -> dict:
    with read_session(db_engine) as session:
        return _restriction_ctx(session, shop, _restriction_of(session, shop, restriction_id))


def _url_id(request: web.Request) -> int | None:
    return int(request.match_info["id"]) if "id" in request.match_info else None


@routes.get("/admin/config/restricoes/novo")
@routes.get("/admin/config/restricoes/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def restriction_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await db(request, _load_restriction, engine(request), shop, _url_id(request))
    return render(request, "config/restriction.html", ctx)


def _save_restriction(request: web.Request, shop: Shop, restriction_id: int | None,
                      data: dict, lists: dict) -> dict | None:
    """Save (or switch on/off) a restriction; the form's context with the errors when
    refused, None when saved."""
    with locked_session(engine(request)) as session:
        restriction = _restriction_of(session, shop, restriction_id)
        try:
            if data.get("action") == "toggle" and restriction is not None:
                restriction.active = not restriction.active
                session.add(restriction)
            else:
                restriction = catalog_service.save_restriction(session, shop, restriction, data,
                                                              lists)
        except ValidationFailed as exc:
            session.rollback()
            ctx = _restriction_ctx(session, shop, restriction)
            ctx.update(errors=field_errors(exc), values=data,
                       cond={k: [v if parse_id(v) is None else parse_id(v) for v in vals]
                             for k, vals in lists.items()})
            return ctx
        record_audit(session, request, "config.restriction", "restriction", restriction.id,
                     {"active": restriction.active})
        session.commit()
    return None


@routes.post("/admin/config/restricoes/novo")
@routes.post("/admin/config/restricoes/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def restriction_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    lists = {k: await form_list(request, k) for k in RESTRICTION_LISTS}
    refused = await db(request, _save_restriction, request, shop, _url_id(request), data, lists)
    if refused is not None:
        return render(request, "config/restriction.html", refused, status=422)
    raise redirect("/admin/config/restricoes", "Restrição salva.")
