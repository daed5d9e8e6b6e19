"""Editing a booked visit from its page (``scheduler_core.scheduling.visit_edit``): add or
remove a service or add-on, add or remove Leva e Traz, change the notes; an added service that
no longer fits shows its conflicts with the choice to keep it as an Encaixe (operator PIN) or
to book it as a separate encaixe."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from admin.panel.accounts import AccountError
from admin.panel.agenda.common import check_pin, required_shop
from admin.panel.agenda.visit import render_window
from admin.panel.pages import db, engine, form, int_or_none, now, page, redirect, staff
from admin.panel.permissions import Perm
from scheduler_core.kernel.clock import from_utc_naive
from scheduler_core.kernel.errors import CoreError, ValidationFailed
from scheduler_core.scheduling import visit_edit

routes = web.RouteTableDef()


def _change(data: dict) -> dict:
    """The edit the form asks for, as :func:`visit_edit.edit_visit` arguments."""
    action = data.get("acao", "")
    service = int_or_none(data.get("servico"))
    if action in ("incluir", "retirar"):
        if not service:
            raise ValidationFailed("Escolha o serviço.")
        return {"add_service_ids" if action == "incluir" else "remove_service_ids": [service]}
    if action == "leva_e_traz":
        return {"leva_e_traz": data.get("leva_e_traz") == "1"}
    if action == "observacoes":
        return {"notes": data.get("notes", "")}
    raise ValidationFailed("Alteração inválida.")


def _encaixe_url(result: visit_edit.VisitEdit, tz: str, change: dict) -> str | None:
    """The separate encaixe of an added service, right after the visit (the encaixe flow)."""
    added = change.get("add_service_ids")
    if not added:
        return None
    end = from_utc_naive(result.appointment.end, tz)
    return "/admin/encaixe?" + urlencode([
        ("pet", str(result.appointment.pet_id)), ("servico", str(added[0])),
        ("data", end.date().isoformat()), ("hora", end.strftime("%H:%M"))])


@routes.post("/admin/agendamentos/{id:[0-9]{1,9}}/editar")
@page(Perm.AGENDA_BOOK)
async def edit_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    appt_id = int(request.match_info["id"])
    back = f"/admin/agendamentos/{appt_id}"
    data = await form(request)
    force = data.get("force") == "1"
    try:
        change = _change(data)
        if force:
            await db(request, check_pin, request, data.get("operator_pin"))
        result = await db(request, visit_edit.edit_visit, engine(request),
                          appointment_id=appt_id, now=now(request), actor=staff(request).actor,
                          force=force, shop_id=shop.id, **change)
    except (CoreError, AccountError) as exc:
        message = exc.message if isinstance(exc, CoreError) else str(exc)
        raise redirect(back + "#editar", message, "erro") from None
    if not result.fits:
        return await render_window(request, appt_id, {"edit_conflict": {
            "conflicts": result.conflicts, "acao": data.get("acao"),
            "servico": data.get("servico"),
            "encaixe_url": _encaixe_url(result, shop.timezone, change)}}, status=409)
    kind = "ok" if result.changes else "aviso"
    raise redirect(back, f"Agendamento #{appt_id}: {result.message}", kind)
