"""Configuração → Pet Care: the shop's protocols of vaccines, dewormers and antiparasitics
(add, edit, switch off) through ``scheduler_core.petcare.service``."""

from __future__ import annotations

from aiohttp import web

from admin.panel.config.common import field_errors, required_shop
from admin.panel.pages import (
    db,
    engine,
    form,
    int_or_none,
    now,
    page,
    redirect,
    render,
    staff,
)
from admin.panel.permissions import Perm
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.petcare import service as petcare
from scheduler_core.petcare.labels import KIND_LABELS

routes = web.RouteTableDef()
BASE = "/admin/config/pet-care"
FIELDS = ("kind", "name", "species", "doses", "interval_days", "repeat_days", "instructions")


def _values_of(protocol) -> dict:
    values = {key: getattr(protocol, key) for key in FIELDS}
    values["protocol_id"] = protocol.id
    return {k: "" if v is None else str(v) for k, v in values.items()}


async def _render(request: web.Request, *, editing_id: int | None, values: dict | None = None,
                  errors: dict | None = None, status: int = 200) -> web.Response:
    shop = required_shop(request)
    protocols = await db(request, petcare.list_protocols, engine(request), shop_id=shop.id)
    editing = next((p for p in protocols if p.id == editing_id), None)
    if values is None:
        values = _values_of(editing) if editing else {"kind": "vacina", "doses": "1"}
    return render(request, "config/petcare.html", {
        "protocols": protocols, "editing": editing, "values": values, "errors": errors or {},
        "KIND_LABELS": KIND_LABELS,
    }, status=status)


@routes.get(BASE)
@page(Perm.SETTINGS)
async def petcare_page(request: web.Request) -> web.Response:
    return await _render(request, editing_id=int_or_none(request.query.get("editar")))


@routes.post(BASE)
@page(Perm.SETTINGS)
async def petcare_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    protocol_id = int_or_none(data.get("protocol_id"))
    common = {"shop_id": shop.id, "actor": staff(request).actor, "now": now(request)}
    action = data.get("action", "")
    try:
        if action == "save":
            row = await db(request, petcare.save_protocol, engine(request), values=data,
                           protocol_id=protocol_id, **common)
            message = f"Protocolo {row.name} salvo."
        elif action in ("on", "off") and protocol_id:
            row = await db(request, petcare.set_protocol_active, engine(request),
                           protocol_id=protocol_id, active=action == "on", **common)
            message = (f"Protocolo {row.name} ativado." if row.active
                       else f"Protocolo {row.name} desativado: não é mais oferecido nem lembrado.")
        else:
            raise ValidationFailed("Ação inválida.")
    except ValidationFailed as exc:
        return await _render(request, editing_id=protocol_id, values=data,
                             errors=field_errors(exc), status=422)
    raise redirect(BASE, message)
