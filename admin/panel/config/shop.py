"""Configuration home, the shop's data (name, address, breeds not accepted) and its segments."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session, select

from admin.models import StaffUser
from admin.panel.config.common import field_errors, required_shop, segments_of, shop_or_none
from admin.panel.pages import (
    engine,
    form,
    form_list,
    int_or_none,
    page,
    record_audit,
    redirect,
    render,
    staff,
)
from admin.panel.permissions import Perm
from scheduler_core.catalog import shop_setup
from scheduler_core.db.engine import locked_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.kernel.forms import parse_ids
from scheduler_core.people.models import Breed, NotAcceptedBreed
from scheduler_core.shop.models import (
    Segment,
    Shop,
)

routes = web.RouteTableDef()


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
        ctx = _shop_ctx(session, shop_or_none(request))
    return render(request, "config/shop.html", ctx)


@routes.post("/admin/config/loja")
@page(Perm.SETTINGS)
async def shop_submit(request: web.Request) -> web.Response:
    data = await form(request)
    breed_ids = parse_ids(await form_list(request, "not_accepted"))
    current = shop_or_none(request)
    with locked_session(engine(request), expire_on_commit=False) as session:
        shop = session.get(Shop, current.id) if current else None
        try:
            shop = shop_setup.save_shop(session, shop, data, breed_ids)
        except ValidationFailed as exc:
            ctx = _shop_ctx(session, shop)
            ctx.update(errors=field_errors(exc), values=data, not_accepted=set(breed_ids))
            return render(request, "config/shop.html", ctx, status=422)
        me = staff(request)
        if me.user.shop_id is None:
            user = session.get(StaffUser, me.user.id)
            user.shop_id = shop.id
            session.add(user)
        record_audit(session, request, "config.shop", "shop", shop.id)
        session.commit()
    raise redirect("/admin/config/loja", "Dados da loja salvos.")


# --------------------------------------------------------------------------- segments


@routes.get("/admin/config/segmentos")
@page(Perm.SETTINGS)
async def segments_page(request: web.Request) -> web.Response:
    shop = required_shop(request)
    with Session(engine(request)) as session:
        return render(request, "config/segments.html", {"segments": segments_of(session, shop)})


@routes.post("/admin/config/segmentos")
@page(Perm.SETTINGS)
async def segments_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    species = await form_list(request, "species")
    with locked_session(engine(request)) as session:
        segment = session.get(Segment, int_or_none(data.get("segment_id")) or 0)
        if segment is not None and segment.shop_id != shop.id:
            raise web.HTTPNotFound(text="Segmento não encontrado.")
        try:
            segment = shop_setup.save_segment(session, shop, segment, data, species)
        except ValidationFailed as exc:
            session.rollback()
            return render(request, "config/segments.html", {
                "segments": segments_of(session, shop), "errors": field_errors(exc),
                "values": data}, status=422)
        record_audit(session, request, "config.segment", "segment", segment.id)
        session.commit()
        name = segment.name
    raise redirect("/admin/config/segmentos", f"Segmento “{name}” salvo.")
