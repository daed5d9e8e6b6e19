"""Configuration home, the shop's data (name, address, breeds not accepted) and its segments."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin.models import StaffUser
from admin.panel.config.common import field_errors, required_shop, segments_of, shop_or_none
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
    staff,
)
from admin.panel.permissions import Perm
from scheduler_core.catalog import shop_setup
from scheduler_core.db.engine import locked_session, read_session
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


def _load_shop(db_engine: Engine, shop: Shop | None) -> dict:
    with read_session(db_engine) as session:
        return _shop_ctx(session, shop)


@routes.get("/admin/config/loja")
@page(Perm.SETTINGS)
async def shop_form(request: web.Request) -> web.Response:
    ctx = await db(request, _load_shop, engine(request), shop_or_none(request))
    return render(request, "config/shop.html", ctx)


def _save_shop(request: web.Request, current: Shop | None, data: dict,
               breed_ids: list[int]) -> dict | None:
    """Save the shop's data (and link a staff account without a shop to it); the form's
    context with the errors when refused, None when saved."""
    with locked_session(engine(request), expire_on_commit=False) as session:
        shop = session.get(Shop, current.id) if current else None
        try:
            shop = shop_setup.save_shop(session, shop, data, breed_ids)
        except ValidationFailed as exc:
            ctx = _shop_ctx(session, shop)
            ctx.update(errors=field_errors(exc), values=data, not_accepted=set(breed_ids))
            return ctx
        me = staff(request)
        if me.user.shop_id is None:
            user = session.get(StaffUser, me.user.id)
            user.shop_id = shop.id
            session.add(user)
        record_audit(session, request, "config.shop", "shop", shop.id)
        session.commit()
    return None


@routes.post("/admin/config/loja")
@page(Perm.SETTINGS)
async def shop_submit(request: web.Request) -> web.Response:
    data = await form(request)
    breed_ids = parse_ids(await form_list(request, "not_accepted"))
    refused = await db(request, _save_shop, request, shop_or_none(request), data, breed_ids)
    if refused is not None:
        return render(request, "config/shop.html", refused, status=422)
    raise redirect("/admin/config/loja", "Dados da loja salvos.")


# --------------------------------------------------------------------------- segments


def _load_segments(db_engine: Engine, shop: Shop) -> list[Segment]:
    with read_session(db_engine) as session:
        return segments_of(session, shop)


@routes.get("/admin/config/segmentos")
@page(Perm.SETTINGS)
async def segments_page(request: web.Request) -> web.Response:
    shop = required_shop(request)
    segments = await db(request, _load_segments, engine(request), shop)
    return render(request, "config/segments.html", {"segments": segments})


def _save_segment(request: web.Request, shop: Shop, data: dict,
                  species: list[str]) -> tuple[str, dict | None]:
    """(the segment's name, None) when saved; ("", the page's context with the errors) when
    refused."""
    with locked_session(engine(request)) as session:
        segment = session.get(Segment, int_or_none(data.get("segment_id")) or 0)
        if segment is not None and segment.shop_id != shop.id:
            raise web.HTTPNotFound(text="Segmento não encontrado.")
        try:
            segment = shop_setup.save_segment(session, shop, segment, data, species)
        except ValidationFailed as exc:
            session.rollback()
            return "", {"segments": segments_of(session, shop), "errors": field_errors(exc),
                        "values": data}
        record_audit(session, request, "config.segment", "segment", segment.id)
        session.commit()
        return segment.name, None


@routes.post("/admin/config/segmentos")
@page(Perm.SETTINGS)
async def segments_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    species = await form_list(request, "species")
    name, refused = await db(request, _save_segment, request, shop, data, species)
    if refused is not None:
        return render(request, "config/segments.html", refused, status=422)
    raise redirect("/admin/config/segmentos", f"Segmento “{name}” salvo.")
