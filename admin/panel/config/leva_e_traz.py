"""Leva e Traz: settings (fee, notice, pickup window) and zones."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin.panel.config.common import field_errors, required_shop
from admin.panel.pages import (
    db,
    engine,
    form,
    int_or_none,
    page,
    record_audit,
    redirect,
    render,
)
from admin.panel.permissions import Perm
from scheduler_core.catalog import service as catalog_service
from scheduler_core.catalog.models import (
    LevaETrazZone,
)
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.shop.models import (
    Shop,
)

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- Leva e Traz


def _leva_ctx(session: Session, shop_id: int) -> dict:
    zones = session.exec(select(LevaETrazZone).where(LevaETrazZone.shop_id == shop_id)
                         .order_by(LevaETrazZone.name)).all()
    return {"shop": session.get(Shop, shop_id), "zones": zones, "editing": None}


def _load_leva(db_engine: Engine, shop_id: int, editing_id: int | None) -> dict:
    with read_session(db_engine) as session:
        ctx = _leva_ctx(session, shop_id)
    ctx["editing"] = next((z for z in ctx["zones"] if z.id == editing_id), None)
    return ctx


@routes.get("/admin/config/leva-e-traz")
@page(Perm.SETTINGS)
async def leva_page(request: web.Request) -> web.Response:
    """The settings and zones; ``?editar=<zone id>`` fills the zone form with that zone."""
    shop = required_shop(request)
    return render(request, "config/leva.html",
                  await db(request, _load_leva, engine(request), shop.id,
                           int_or_none(request.query.get("editar"))))


def _save_leva(request: web.Request, shop_id: int, data: dict) -> tuple[str, dict | None]:
    """(flash message, None) when saved; ("", the form's context with the errors) when
    refused."""
    with locked_session(engine(request)) as session:
        shop = session.get(Shop, shop_id)
        zone = session.get(LevaETrazZone, int_or_none(data.get("zone_id")) or 0)
        if zone is not None and zone.shop_id != shop.id:
            raise web.HTTPNotFound(text="Zona não encontrada.")
        try:
            action = data.get("action")
            if action == "settings":
                catalog_service.save_leva_e_traz(session, shop, data)
                message = "Leva e Traz salvo."
            elif action == "delete" and zone is not None:
                session.delete(zone)
                message = "Zona removida."
            else:
                zone = catalog_service.save_zone(session, shop, zone, data)
                message = f"Zona “{zone.name}” salva."
        except ValidationFailed as exc:
            session.rollback()
            return "", {**_leva_ctx(session, shop_id), "errors": field_errors(exc),
                        "values": data}
        details = {"action": data.get("action") or "zone"}
        if zone is not None:
            details["name"] = zone.name
        record_audit(session, request, "config.leva_e_traz", "shop", shop.id, details)
        session.commit()
    return message, None


@routes.post("/admin/config/leva-e-traz")
@page(Perm.SETTINGS)
async def leva_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    message, refused = await db(request, _save_leva, request, shop.id, data)
    if refused is not None:
        return render(request, "config/leva.html", refused, status=422)
    raise redirect("/admin/config/leva-e-traz", message)
