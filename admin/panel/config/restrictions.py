"""Restrictions: which pets may not get which services, where (bot, panel or both)."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session, col, select

from admin.panel.config.common import field_errors, required_shop, segments_of
from admin.panel.pages import (
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
from scheduler_core.db.engine import locked_session
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


@routes.get("/admin/config/restricoes")
@page(Perm.SETTINGS)
async def restrictions_list(request: web.Request) -> web.Response:
    shop = required_shop(request)
    with Session(engine(request)) as session:
        rows = session.exec(select(Restriction).where(Restriction.shop_id == shop.id)
                            .order_by(Restriction.name)).all()
        return render(request, "config/restrictions.html", {"restrictions": rows})


@routes.get("/admin/config/restricoes/novo")
@routes.get("/admin/config/restricoes/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def restriction_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    with Session(engine(request)) as session:
        restriction = session.get(Restriction, int(request.match_info["id"])) \
            if "id" in request.match_info else None
        if "id" in request.match_info and (restriction is None
                                           or restriction.shop_id != shop.id):
            raise web.HTTPNotFound(text="Restrição não encontrada.")
        return render(request, "config/restriction.html",
                      _restriction_ctx(session, shop, restriction))


@routes.post("/admin/config/restricoes/novo")
@routes.post("/admin/config/restricoes/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def restriction_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    lists = {k: await form_list(request, k) for k in RESTRICTION_LISTS}
    with locked_session(engine(request)) as session:
        restriction = session.get(Restriction, int(request.match_info["id"])) \
            if "id" in request.match_info else None
        if "id" in request.match_info and (restriction is None
                                           or restriction.shop_id != shop.id):
            raise web.HTTPNotFound(text="Restrição não encontrada.")
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
            return render(request, "config/restriction.html", ctx, status=422)
        record_audit(session, request, "config.restriction", "restriction", restriction.id,
               {"active": restriction.active})
        session.commit()
    raise redirect("/admin/config/restricoes", "Restrição salva.")
