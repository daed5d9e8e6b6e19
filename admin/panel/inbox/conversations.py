"""Attendant inbox: conversations waiting for a human (oldest first), history, reply box,
"Devolver ao robô", and the tutor's context beside it. Built on ``bot.inbox``."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine

from admin.panel.pages import db, engine, form, now, page, redirect, render, staff
from admin.panel.permissions import Perm
from admin.panel.timeutil import to_local
from admin.panel.tutors.tutor import tutor_context
from scheduler_core.db.engine import read_session
from scheduler_core.people.models import Tutor
from scheduler_core.shop.models import Shop

routes = web.RouteTableDef()

AUTHOR_LABELS = {"tutor": "Tutor", "bot": "Robô", "attendant": "Atendente", "system": "Sistema"}


def _inbox():
    from bot import inbox

    return inbox


def waiting_label(seconds: int) -> str:
    minutes = seconds // 60
    if minutes < 1:
        return "menos de 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest:02d} min"
    return f"{hours // 24} d {hours % 24} h"


def _display_name(conv) -> str:
    return conv.tutor_name or conv.profile_name or conv.phone or conv.key


def _waiting(db_engine: Engine, now_, shop_id: int | None) -> list:
    with read_session(db_engine) as session:
        return _inbox().waiting_conversations(session, now_, shop_id=shop_id)


async def _queue(request: web.Request) -> list:
    """The conversations waiting for a human in the staff's shop, oldest first."""
    shop = staff(request).shop
    return await db(request, _waiting, engine(request), now(request),
                    shop.id if shop else None)


@routes.get("/admin/atendimento/fila.json")
@page(Perm.INBOX)
async def inbox_queue(request: web.Request) -> web.Response:
    convs = await _queue(request)
    return web.json_response({"conversations": [
        {"id": c.id, "name": _display_name(c), "waiting": waiting_label(c.waiting_seconds),
         "waiting_seconds": c.waiting_seconds, "reason": c.reason,
         "last_message": c.last_message_text[:120]}
        for c in convs
    ]})


def _conversation(db_engine: Engine, shop: Shop | None, conv_id: int, now_,
                  sensitive: bool) -> dict:
    """One conversation of the shop (404 otherwise), its history, its tutor and what the side
    panel shows about them."""
    from bot.models import WaConversation

    with read_session(db_engine) as session:
        conv = session.get(WaConversation, conv_id)
        if conv is None or (shop and conv.shop_id != shop.id):
            raise web.HTTPNotFound(text="Conversa não encontrada.")
        tutor = session.get(Tutor, conv.tutor_id) if conv.tutor_id else None
        return {"conv": conv, "history": _inbox().conversation_history(session, conv.id),
                "tutor": tutor,
                "tutor_ctx": tutor_context(session, shop, tutor, now_, sensitive)
                if tutor and shop else None}


@routes.get("/admin/atendimento")
@routes.get("/admin/atendimento/{id:[0-9]{1,9}}")
@page(Perm.INBOX)
async def inbox(request: web.Request) -> web.Response:
    me = staff(request)
    shop = me.shop
    tz = shop.timezone if shop else "America/Sao_Paulo"
    convs = await _queue(request)
    current_id = int(request.match_info["id"]) if "id" in request.match_info else None
    ctx = {"convs": convs, "current_id": current_id, "waiting_label": waiting_label,
           "display_name": _display_name, "authors": AUTHOR_LABELS, "tz": tz}
    if current_id is None:
        return render(request, "inbox/inbox.html", ctx)
    context = await db(request, _conversation, engine(request), shop, current_id, now(request),
                       me.can(Perm.TUTORS_SENSITIVE))
    conv, history, tutor = context["conv"], context["history"], context["tutor"]
    await _inbox().attendant_seen(request.app, conv.id)
    ctx.update(conv=conv, history=history, tutor_ctx=context["tutor_ctx"],
               history_local=[(h, to_local(h.at, tz)) for h in history],
               is_human=conv.owner == "human",
               name=(tutor.name if tutor else None) or conv.profile_name or conv.phone
               or conv.key)
    return render(request, "inbox/inbox.html", ctx)


@routes.post("/admin/atendimento/{id:[0-9]{1,9}}/responder")
@page(Perm.INBOX)
async def inbox_reply(request: web.Request) -> web.Response:
    data = await form(request)
    conv_id = int(request.match_info["id"])
    text = (data.get("text") or "").strip()
    if not text:
        raise redirect(f"/admin/atendimento/{conv_id}", "Escreva uma mensagem para enviar.",
                       "erro")
    try:
        result = await _inbox().send_attendant_message(request.app, conv_id, text[:4096],
                                                         staff(request).actor)
    except KeyError:
        raise web.HTTPNotFound(text="Conversa não encontrada.") from None
    except ValueError as exc:
        raise redirect(f"/admin/atendimento/{conv_id}", str(exc), "erro") from None
    if result.resumed:
        raise redirect("/admin/atendimento", "Conversa devolvida ao robô.")
    if result.error:
        raise redirect(f"/admin/atendimento/{conv_id}",
                       f"A mensagem não foi entregue: {result.error}", "erro")
    raise redirect(f"/admin/atendimento/{conv_id}", "Mensagem enviada.")


@routes.post("/admin/atendimento/{id:[0-9]{1,9}}/devolver")
@page(Perm.INBOX)
async def inbox_resume(request: web.Request) -> web.Response:
    conv_id = int(request.match_info["id"])
    # bot.inbox.resume_bot commits on the channel's database thread, tells the tutor and
    # un-pauses the Rasa tracker: a coroutine, awaited here.
    done = await _inbox().resume_bot(request.app, conv_id, staff(request).actor)
    if not done:
        raise redirect(f"/admin/atendimento/{conv_id}",
                       "Não foi possível devolver ao robô: a conversa já está com o robô ou o "
                       "tutor está com o atendimento pelo robô desligado.", "aviso")
    raise redirect("/admin/atendimento", "Conversa devolvida ao robô.")
