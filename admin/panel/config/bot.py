"""The bot's settings: mode, greetings, notices, menu and keyword triggers."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session

from admin.panel.config.common import field_errors, required_shop
from admin.panel.pages import (
    engine,
    form,
    form_list,
    page,
    record_audit,
    redirect,
    render,
)
from admin.panel.permissions import Perm
from scheduler_core.chatbot import service as chatbot_service
from scheduler_core.chatbot.menu import MENU_LABELS
from scheduler_core.chatbot.models import BotMode, BotSettings
from scheduler_core.chatbot.triggers import MATCH_KINDS
from scheduler_core.db.engine import locked_session
from scheduler_core.kernel.errors import ValidationFailed

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- bot settings


@routes.get("/admin/config/robo")
@page(Perm.SETTINGS)
async def bot_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    with Session(engine(request)) as session:
        settings = session.get(BotSettings, shop.id) or BotSettings(shop_id=shop.id)
        return render(request, "config/bot.html", {
            "s": settings, "menu_labels": MENU_LABELS, "modes": list(BotMode),
            "match_kinds": MATCH_KINDS})


@routes.post("/admin/config/robo")
@page(Perm.SETTINGS)
async def bot_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    order = await form_list(request, "menu_order")
    enabled = await form_list(request, "menu_enabled")
    move = data.get("move", "")
    if ":" in move:
        key, direction = move.split(":", 1)
        if key in order:
            i = order.index(key)
            j = i - 1 if direction == "up" else i + 1
            if 0 <= j < len(order):
                order[i], order[j] = order[j], order[i]
    with locked_session(engine(request)) as session:
        try:
            chatbot_service.save_bot_settings(session, shop, data, order, enabled, zip(
                await form_list(request, "trigger_text"),
                await form_list(request, "trigger_match"),
                await form_list(request, "trigger_action"), strict=False))
        except ValidationFailed as exc:
            session.rollback()
            settings = session.get(BotSettings, shop.id) or BotSettings(shop_id=shop.id)
            return render(request, "config/bot.html", {
                "s": settings, "menu_labels": MENU_LABELS,
                "modes": list(BotMode), "match_kinds": MATCH_KINDS, "errors": field_errors(exc)},
                status=422)
        record_audit(session, request, "config.bot", "botsettings", shop.id,
                     {"mode": data.get("mode")})
        session.commit()
    raise redirect("/admin/config/robo", "Configurações do robô salvas.")
