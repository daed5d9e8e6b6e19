"""Configuração → Checklists: a segment's items per stage (add, edit, order, remove) through
``scheduler_core.checklists.service``."""

from __future__ import annotations

from aiohttp import web

from admin.panel.config.common import field_errors, required_shop, segments_of
from admin.panel.pages import (
    db,
    engine,
    form,
    int_or_none,
    page,
    redirect,
    render,
)
from admin.panel.permissions import Perm
from scheduler_core.checklists import service as checklists
from scheduler_core.checklists.labels import KIND_LABELS, STAGE_LABELS
from scheduler_core.db.engine import read_session
from scheduler_core.kernel.errors import ValidationFailed

routes = web.RouteTableDef()
BASE = "/admin/config/checklists"


def _segments(eng, shop):
    with read_session(eng) as session:
        return segments_of(session, shop)


async def _render(request: web.Request, segment_id: int | None, stage: str,
                  values: dict | None = None, errors: dict | None = None,
                  status: int = 200) -> web.Response:
    shop = required_shop(request)
    segments = await db(request, _segments, engine(request), shop)
    segment = next((s for s in segments if s.id == segment_id), segments[0] if segments else None)
    items = []
    if segment is not None:
        items = await db(request, checklists.segment_items, engine(request), shop_id=shop.id,
                         segment_id=segment.id, stage=stage)
    editing = next((i for i in items if i.id == int_or_none(request.query.get("editar"))), None)
    if values is None and editing is not None:
        values = {"item_id": editing.id, "label": editing.label, "kind": editing.kind,
                  "required": editing.required, "options": "\n".join(editing.options)}
    return render(request, "config/checklists.html", {
        "segments": segments, "segment": segment, "stage": stage, "items": items,
        "STAGE_LABELS": STAGE_LABELS, "KIND_LABELS": KIND_LABELS, "values": values or {},
        "errors": errors or {},
    }, status=status)


def _stage(value: str | None) -> str:
    return value if value in STAGE_LABELS else "agendado"


@routes.get(BASE)
@page(Perm.SETTINGS)
async def checklists_page(request: web.Request) -> web.Response:
    q = request.query
    return await _render(request, int_or_none(q.get("segmento")), _stage(q.get("etapa")))


def _back(segment_id: int | None, stage: str) -> str:
    return f"{BASE}?segmento={segment_id or ''}&etapa={stage}"


@routes.post(BASE)
@page(Perm.SETTINGS)
async def checklists_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    segment_id = int_or_none(data.get("segment_id"))
    stage = _stage(data.get("stage"))
    item_id = int_or_none(data.get("item_id"))
    action = data.get("action", "save")
    if action in ("up", "down"):
        await db(request, checklists.move_item, engine(request), shop_id=shop.id,
                 item_id=item_id or 0, up=action == "up")
        raise redirect(_back(segment_id, stage))
    if action == "remove":
        item = await db(request, checklists.remove_item, engine(request), shop_id=shop.id,
                        item_id=item_id or 0)
        raise redirect(_back(segment_id, stage), f"Item “{item.label}” removido.")
    try:
        item = await db(request, checklists.save_item, engine(request), shop_id=shop.id,
                        segment_id=segment_id or 0, stage=stage, values=data, item_id=item_id)
    except ValidationFailed as exc:
        return await _render(request, segment_id, stage, values=data,
                             errors=field_errors(exc), status=422)
    raise redirect(_back(segment_id, stage), f"Item “{item.label}” salvo.")
