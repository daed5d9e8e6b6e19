"""Hotel stays: the form that books several nights (``scheduler_core.scheduling.stays``)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine

from admin.panel.agenda.common import required_shop
from admin.panel.fmt import plural
from admin.panel.pages import db, engine, form, int_or_none, now, page, redirect, render, staff
from admin.panel.permissions import Perm
from admin.panel.timeutil import parse_date
from scheduler_core.catalog import offers as catalog
from scheduler_core.db.engine import read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.people import registry as people
from scheduler_core.people.models import Tutor
from scheduler_core.scheduling import stays
from scheduler_core.shop.models import SegmentKind, Shop

routes = web.RouteTableDef()


def _load_stay_form(db_engine: Engine, shop: Shop, pet_id: int | None) -> dict:
    """The pet, its tutor and the hotel services it can have, with their nightly price."""
    with read_session(db_engine) as session:
        pet = people.get_pet(session, pet_id, shop.id) if pet_id else None
        if pet is None:
            raise web.HTTPNotFound()
        offer = catalog.services_for_pet(session, shop.id, pet.id, channel="staff")
        services = [s for s in offer.services if s.segment_kind == SegmentKind.HOTEL]
        return {"pet": pet, "tutor": session.get(Tutor, pet.tutor_id), "services": services}


@routes.get("/admin/hospedagem/nova")
@page(Perm.AGENDA_BOOK)
async def stay_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await db(request, _load_stay_form, engine(request), shop,
                   int_or_none(request.query.get("pet")))
    return render(request, "agenda/stay.html", {**ctx, "values": {}, "stay_error": ""})


@routes.post("/admin/hospedagem/nova")
@page(Perm.AGENDA_BOOK)
async def stay_book(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    pet_id = int_or_none(data.get("pet"))
    check_in, check_out = parse_date(data.get("entrada")), parse_date(data.get("saida"))
    try:
        if check_in is None or check_out is None:
            raise ValidationFailed("Informe as datas de entrada e saída (dd/mm/aaaa).")
        appt = await db(request, stays.book_stay, engine(request), pet_id=pet_id or 0,
                        service_id=int_or_none(data.get("servico")) or 0, check_in=check_in,
                        check_out=check_out, now=now(request), actor=staff(request).actor,
                        notes=(data.get("notes") or "").strip())
    except ValidationFailed as exc:
        ctx = await db(request, _load_stay_form, engine(request), shop, pet_id)
        return render(request, "agenda/stay.html", {**ctx, "values": data,
                                                    "stay_error": exc.message}, status=422)
    nights = (check_out - check_in).days
    raise redirect(f"/admin/agenda?data={check_in.isoformat()}",
                   f"Hospedagem #{appt.id} criada: {plural(nights, 'diária')}, "
                   f"de {check_in:%d/%m} a {check_out:%d/%m}.")
