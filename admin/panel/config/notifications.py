"""Notificações: every WhatsApp notification kind (on/off, text with the variables and a live
preview on a real visit, approved template, moment), the sending rules, the next 7 days of
planned sends and the history with the delivery status, through
``scheduler_core.notifications.screen``."""

from __future__ import annotations

from aiohttp import web

from admin.panel.config.common import field_errors, required_shop
from admin.panel.pages import db, engine, form, now, page, redirect, render, staff
from admin.panel.permissions import Perm
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.notifications import screen as notif_screen

routes = web.RouteTableDef()
BASE = "/admin/notificacoes"
MAX_PREVIEW_BODY = 64 * 1024


async def _render(request: web.Request, *, kind: str | None, values: dict | None = None,
                  errors: dict | None = None, status: int = 200) -> web.Response:
    shop = required_shop(request)
    typed = values.get("text") if values and values.get("action") == "save" else None
    view = await db(request, notif_screen.screen, engine(request), shop=shop, now=now(request),
                    kind=kind, typed_text=typed)
    return render(request, "config/notifications.html", {
        "view": view, "values": values or {}, "errors": errors or {},
    }, status=status)


@routes.get(BASE)
@page(Perm.SETTINGS)
async def notifications_page(request: web.Request) -> web.Response:
    kind = notif_screen.kind_of(request.query.get("tipo"))
    return await _render(request, kind=kind.value if kind else None)


@routes.post(BASE)
@page(Perm.SETTINGS)
async def notifications_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    action = data.get("action", "")
    kind = notif_screen.kind_of(data.get("kind"))
    common = {"shop_id": shop.id, "actor": staff(request).actor, "now": now(request)}
    try:
        if action == "save" and kind:
            values = {**data, "template_params": data.get("template_params", "")}
            row = await db(request, notif_screen.save, engine(request), kind=kind.value,
                           values=values, **common)
            message = f"Notificação “{kind.label}” salva" + ("." if row.enabled
                                                             else " (desligada).")
            target = f"{BASE}?tipo={kind.value}#editor"
        elif action in ("on", "off") and kind:
            await db(request, notif_screen.set_enabled, engine(request), kind=kind.value,
                     enabled=action == "on", **common)
            message = f"Notificação “{kind.label}” {'ligada' if action == 'on' else 'desligada'}."
            target = BASE
        elif action == "rules":
            await db(request, notif_screen.save_rules, engine(request), values=data, **common)
            message, target = "Regras de envio salvas.", BASE
        else:
            raise ValidationFailed("Ação inválida.")
    except ValidationFailed as exc:
        return await _render(request, kind=kind.value if kind else None, values=data,
                             errors=field_errors(exc), status=422)
    raise redirect(target, message)


@routes.post(BASE + "/previa")
@page(Perm.SETTINGS)
async def notifications_preview(request: web.Request) -> web.Response:
    """The editor's live preview: the typed text (form field ``text``) rendered on the shop's
    next visit, with the pt-BR errors the save would give. JSON."""
    if (request.content_length or 0) > MAX_PREVIEW_BODY:
        return web.json_response({"message": "Texto grande demais."}, status=413)
    shop = required_shop(request)
    data = await form(request)
    result = await db(request, notif_screen.preview, engine(request), shop=shop,
                      now=now(request), kind=data.get("kind", ""), text=data.get("text", ""))
    return web.json_response({"preview": result.text, "errors": result.errors,
                              "sample": result.sample})
