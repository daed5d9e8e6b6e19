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
from scheduler_core.chatbot.labels import BOT_MODE_LABELS
from scheduler_core.chatbot.menu import MENU_LABELS
from scheduler_core.chatbot.models import BotMode, BotSettings
from scheduler_core.chatbot.triggers import MATCH_KINDS
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.shop.models import Shop

routes = web.RouteTableDef()

#: Fields typed as text or picked in a select, shown back as typed after a refusal.
TYPED_FIELDS = ("mode", "slot_display", "price_display", "min_notice_hours", "horizon_days",
                "page_days", "cancel_min_notice_hours", "reschedule_min_notice_hours",
                "handoff_timeout_min", "greeting_new", "greeting_known", "auto_reply_text",
                "msg_in_hours", "msg_out_hours")
#: Check boxes (absent from the post when unticked).
FLAG_FIELDS = chatbot_service.FLAG_FIELDS


# --------------------------------------------------------------------------- bot settings


def _bot_ctx(session: Session, shop_id: int) -> dict:
    settings = session.get(BotSettings, shop_id) or BotSettings(shop_id=shop_id)
    return {"s": settings, "menu_labels": MENU_LABELS, "modes": list(BotMode),
            "mode_labels": BOT_MODE_LABELS,
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


def _draft(stored: BotSettings, data: dict, order: list[str], enabled: list[str],
           triggers: list[tuple[str, str, str]]) -> BotSettings:
    """The settings as typed (not saved): the form shows them again after a refusal or a menu
    move, so no edit is lost."""
    draft = BotSettings(**stored.model_dump())
    for key in TYPED_FIELDS:
        if key in data:
            setattr(draft, key, data[key])
    for key in FLAG_FIELDS:
        setattr(draft, key, data.get(key) == "1")
    known = [item["key"] for item in stored.menu]
    keys = [k for k in order if k in known] + [k for k in known if k not in order]
    draft.menu = [{"key": k, "enabled": k in enabled} for k in keys]
    draft.triggers = [{"text": t, "match": m, "action": a} for t, m, a in triggers
                      if (t or "").strip()]
    return draft


def _typed_ctx(db_engine: Engine, shop_id: int, data: dict, order: list[str],
               enabled: list[str], triggers: list[tuple[str, str, str]]) -> dict:
    with read_session(db_engine) as session:
        ctx = _bot_ctx(session, shop_id)
    ctx["s"] = _draft(ctx["s"], data, order, enabled, triggers)
    return ctx


def _save_bot(request: web.Request, shop: Shop, data: dict, order: list[str],
              enabled: list[str], triggers: list[tuple[str, str, str]]) -> dict | None:
    """Save the settings; the form's context (what was typed, with the errors) when refused
    (None when saved)."""
    with locked_session(engine(request)) as session:
        try:
            chatbot_service.save_bot_settings(session, shop, data, order, enabled, triggers)
        except ValidationFailed as exc:
            session.rollback()
            ctx = _bot_ctx(session, shop.id)
            ctx["s"] = _draft(ctx["s"], data, order, enabled, triggers)
            return {**ctx, "errors": field_errors(exc)}
        record_audit(session, request, "config.bot", "botsettings", shop.id,
                     {"mode": data.get("mode")})
        session.commit()
    return None


def _moved(order: list[str], move: str) -> list[str]:
    """``order`` with the item of ``move`` ("key:up" / "key:down") one place up or down."""
    key, _, direction = move.partition(":")
    order = list(order)
    if key in order:
        i = order.index(key)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(order):
            order[i], order[j] = order[j], order[i]
    return order


@routes.post("/admin/config/robo")
@page(Perm.SETTINGS)
async def bot_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    order = await form_list(request, "menu_order")
    enabled = await form_list(request, "menu_enabled")
    triggers = list(zip(await form_list(request, "trigger_text"),
                        await form_list(request, "trigger_match"),
                        await form_list(request, "trigger_action"), strict=False))
    move = data.get("move", "")
    if ":" in move:
        # ↑/↓ only reorder the menu on the page: nothing is saved until "Salvar".
        ctx = await db(request, _typed_ctx, engine(request), shop.id, data,
                       _moved(order, move), enabled, triggers)
        ctx["notice"] = "Ordem do menu alterada. Clique em Salvar para gravar."
        return render(request, "config/bot.html", ctx)
    refused = await db(request, _save_bot, request, shop, data, order, enabled, triggers)
    if refused is not None:
        return render(request, "config/bot.html", refused, status=422)
    raise redirect("/admin/config/robo", "Configurações do robô salvas.")
