"""POST /api/appointments/{id}/edit: a booked visit edited in place — services or add-ons
added or removed, Leva e Traz, notes (:mod:`scheduler_core.scheduling.visit_edit`). A change
that no longer fits answers 409 ``no_fit`` with the conflicts; ``force`` keeps it as an
Encaixe."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlmodel import Session

from admin.api.auth import API_ACTOR
from admin.api.errors import bad_request, error_response, json_response
from admin.api.handlers import _body, _body_str, _only, _path_id, _shop, _summary
from app.keys import CLOCK, DB
from app.offload import db
from scheduler_core.scheduling import visit_edit

FIELDS = {"add_service_ids", "remove_service_ids", "leva_e_traz", "notes", "force"}


def _ids(body: dict, name: str) -> list[int]:
    value = body.get(name, [])
    if not isinstance(value, list) or len(value) > 20 or any(
        isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 2**31 for v in value
    ):
        raise bad_request(f"O campo {name} deve ser uma lista de ids de serviço.", field=name)
    return value


def _flag(body: dict, name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise bad_request(f"O campo {name} deve ser verdadeiro ou falso.", field=name)
    return value


async def edit_appointment(request: web.Request) -> web.Response:
    appointment_id = _path_id(request)
    body = await _body(request)
    _only(body, FIELDS)
    change: dict[str, Any] = {
        "add_service_ids": _ids(body, "add_service_ids"),
        "remove_service_ids": _ids(body, "remove_service_ids"),
        "leva_e_traz": _flag(body, "leva_e_traz"),
        "notes": _body_str(body, "notes") if body.get("notes") is not None else None,
        "force": bool(_flag(body, "force")),
    }
    app = request.app
    now = app[CLOCK]()
    actor = request[API_ACTOR]

    def work():
        with Session(app[DB]) as session:
            shop_id = _shop(session).id
        result = visit_edit.edit_visit(app[DB], appointment_id=appointment_id, now=now,
                                       actor=actor, shop_id=shop_id, **change)
        if not result.fits:
            return None, [c.to_dict() for c in result.conflicts]
        return {"appointment": _summary(app[DB], appointment_id),
                "changes": list(result.changes)}, None

    payload, conflicts = await db(request, work)
    if conflicts is not None:
        return error_response(409, "no_fit", visit_edit.NO_FIT, {"conflicts": conflicts})
    return json_response(payload)
