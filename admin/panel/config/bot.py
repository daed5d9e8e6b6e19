"""The bot's settings: mode, greetings, notices, menu and keyword triggers."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin.panel.config.common import field_errors, required_shop
from admin.panel.pages import (
    db,
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
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.shop.models import Shop

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- bot settings


def _bot_ctx(session: Session, shop_id: int) -> dict:
    settings = session.get(BotSettings, shop_id) or BotSettings(shop_id=shop_id)
    return {"s": settings, "menu_labels": MENU_LABELS, "modes": list(BotMode),
            "match_kinds": MATCH_KINDS}


def _load_bot(db_engine: Engine, shop_id: int) -> dict:
    with read_session(db_engine) as session:
        return _bot_ctx(session, shop_id)


@routes.get("/admin/config/robo")
@page(Perm.SETTINGS)
async def bot_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await db(request, _load_bot, engine(request), shop.id)
    return render(request, "config/bot.html", ctx)


def _save_bot(request: web.Request, shop: Shop, data: dict, order: list[str],
              enabled: list[str], triggers: list[tuple[str, str, str]]) -> dict | None:
    """Save the settings; the form's context with the errors when refused (None when saved)."""
    with locked_session(engine(request)) as session:
        try:
            chatbot_service.save_bot_settings(session, shop, data, order, enabled, triggers)
        except ValidationFailed as exc:
            session.rollback()
            return {**_bot_ctx(session, shop.id), "errors": field_errors(exc)}
        record_audit(session, request, "config.bot", "botsettings", shop.id,
                     {"mode": data.get("mode")})
        session.commit()
    return None


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
    triggers = list(zip(await form_list(request, "trigger_text"),
                        await form_list(request, "trigger_match"),
                        await form_list(request, "trigger_action"), strict=False))
    refused = await db(request, _save_bot, request, shop, data, order, enabled, triggers)
    if refused is not None:
        return render(request, "config/bot.html", refused, status=422)
    raise redirect("/admin/config/robo", "Configurações do robô salvas.")
