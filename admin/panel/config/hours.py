"""Opening hours of a segment (days, ranges, 24 h, slot step)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import select

from admin.panel.config.common import (
    field_errors,
    range_pairs,
    required_shop,
    segment_of,
    segments_of,
)
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
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.kernel.dates_ptbr import WEEKDAY_NAMES
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.kernel.forms import parse_ids
from scheduler_core.shop import service as shop_service
from scheduler_core.shop.models import (
    OpeningRange,
    Shop,
)

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- opening hours


def _hours_ctx(db_engine: Engine, shop: Shop, segment_id: int | None) -> dict:
    with read_session(db_engine) as session:
        segment = segment_of(session, shop, segment_id)
        if segment is None:
            raise redirect("/admin/config/segmentos", "Cadastre um segmento primeiro.", "aviso")
        ranges = session.exec(select(OpeningRange).where(OpeningRange.segment_id == segment.id)
                              .order_by(OpeningRange.weekday, OpeningRange.start)).all()
        days = {d: [(r.start, r.end) for r in ranges if r.weekday == d] for d in range(7)}
        return {
            "segments": segments_of(session, shop), "segment": segment,
            "days": days, "open_days": {d for d in range(7) if days[d]},
            "step": segment.slot_step_min, "open_24h": segment.open_24h,
        }


@routes.get("/admin/config/horarios")
@page(Perm.SETTINGS)
async def hours_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await db(request, _hours_ctx, engine(request), shop,
                   int_or_none(request.query.get("segmento")))
    return render(request, "config/hours.html", ctx)


def _save_hours(request: web.Request, shop: Shop, data: dict, open_days: set[int],
                days: dict) -> tuple[int | None, dict | None]:
    """(segment id, None) when saved; (None, the form's context with the errors) when refused."""
    with locked_session(engine(request)) as session:
        segment = segment_of(session, shop, int_or_none(data.get("segment_id")))
        try:
            shop_service.save_opening_hours(
                session, segment, open_24h=data.get("open_24h") == "1",
                slot_step_min=data.get("slot_step_min", ""), days=days)
        except ValidationFailed as exc:
            return None, {
                "segments": segments_of(session, shop), "segment": segment,
                "days": {d: [p for p in days[d][1] if p[0] or p[1]] for d in range(7)},
                "open_days": open_days, "step": data.get("slot_step_min"),
                "open_24h": data.get("open_24h") == "1", "errors": field_errors(exc),
            }
        record_audit(session, request, "config.opening_hours", "segment", segment.id)
        session.commit()
        return segment.id, None


def _typed_ctx(db_engine: Engine, shop: Shop, data: dict, open_days: set[int],
               days: dict) -> dict:
    """The form as typed (nothing saved)."""
    with read_session(db_engine) as session:
        segment = segment_of(session, shop, int_or_none(data.get("segment_id")))
        return {
            "segments": segments_of(session, shop), "segment": segment,
            "days": {d: [p for p in days[d][1] if p[0] or p[1]] for d in range(7)},
            "open_days": open_days, "step": data.get("slot_step_min"),
            "open_24h": data.get("open_24h") == "1",
        }


def copied_to_other_days(days: dict, source: int) -> dict:
    """Day ``source``'s ranges on every other day (which days are open stays as ticked)."""
    return {d: (is_open, list(days[source][1])) for d, (is_open, _ranges) in days.items()}


@routes.post("/admin/config/horarios")
@page(Perm.SETTINGS)
async def hours_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    open_days = set(parse_ids(await form_list(request, "open")))
    days = {d: (d in open_days, range_pairs(data, f"d{d}")) for d in range(7)}
    source = int_or_none(data.get("copy_from"))
    if source is not None and 0 <= source < 7:
        # "Copiar para os outros dias" fills the page; the owner unticks closed days and saves.
        days = copied_to_other_days(days, source)
        ctx = await db(request, _typed_ctx, engine(request), shop, data, open_days, days)
        ctx["notice"] = (f"Horário de {WEEKDAY_NAMES[source].lower()} copiado para os outros "
                         "dias. Confira os dias marcados como abertos e clique em Salvar "
                         "horários.")
        return render(request, "config/hours.html", ctx)
    segment_id, refused = await db(request, _save_hours, request, shop, data, open_days, days)
    if refused is not None:
        return render(request, "config/hours.html", refused, status=422)
    raise redirect(f"/admin/config/horarios?segmento={segment_id}",
                   "Horário de funcionamento salvo.")
