"""Attendant inbox: the conversations a human owns (oldest wait first) with their state and who
holds them, one conversation's history, the reply box with the shop's quick replies, "Assumir",
"Atribuir a", "Devolver ao robô", and the tutor beside it (phone masked unless the staff may
see sensitive data, pets, a link; "Cadastrar tutor" for an unknown sender). Built on
``bot.inbox``; the state transitions are the channel's (``bot.handoff``).

Live without a reload by short polling (``admin/static/admin.js``), which survives any proxy
and needs no open connection per attendant: every 2 s the open page asks
``fila.json`` (the list) and ``{id}/novas.json?depois=<last message id>`` (the messages
stored after the last one shown, the conversation's state, and the delivery status — the
ticks ✓ enviada, ✓✓ entregue, ✓✓ lida — of the attendant's latest messages, so a tick moves
without a reload when WhatsApp reports it). Each answer carries an ETag
(a hash of its body); the page sends it back in ``If-None-Match`` and gets an empty 304 while
nothing changed.
"""

from __future__ import annotations

import hashlib
import json

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import select

from admin.models import StaffUser
from admin.panel.pages import db, engine, form, int_or_none, now, page, redirect, render, staff
from admin.panel.permissions import Perm, permissions_for
from admin.panel.timeutil import to_local
from admin.panel.tutors import access
from admin.panel.tutors.tutor import tutor_context
from scheduler_core.chatbot.quick_replies import list_quick_replies
from scheduler_core.db.engine import read_session
from scheduler_core.people.masking import show_phone
from scheduler_core.shop.models import Shop

routes = web.RouteTableDef()

AUTHOR_LABELS = {"tutor": "Tutor", "bot": "Robô", "attendant": "Atendente", "system": "Sistema"}
STATE_LABELS = {"aguardando": "aguardando", "em_atendimento": "em atendimento",
                "devolvido": "devolvido ao robô", "robo": "com o robô"}
POLL_MS = 2000
#: The tick shown under an attendant's message, per delivery status (``bot.models.OutStatus``).
TICKS = {"pending": "🕓 enviando", "sent": "✓ enviada", "delivered": "✓✓ entregue",
         "read": "✓✓ lida", "failed": "não entregue", "not_sent": "não enviada"}


def tick_of(status: str) -> str:
    return TICKS.get(status, "")


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


def _display_name(conv, sensitive: bool) -> str:
    return (conv.tutor_name or conv.profile_name or show_phone(conv.phone, sensitive=sensitive)
            or "Contato do WhatsApp")


def _staff_names(session, shop_id: int | None) -> dict[str, str]:
    """Actor ("staff:3") → name of the shop's staff."""
    stmt = select(StaffUser)
    if shop_id is not None:
        stmt = stmt.where(StaffUser.shop_id == shop_id)
    return {f"staff:{u.id}": u.name or u.login for u in session.exec(stmt).all()}


def _attendants(session, shop_id: int | None) -> list[tuple[str, str]]:
    """(actor, name) of the active staff who may answer the inbox, by name."""
    stmt = select(StaffUser).where(StaffUser.active == True)  # noqa: E712 - SQL
    if shop_id is not None:
        stmt = stmt.where(StaffUser.shop_id == shop_id)
    users = [u for u in session.exec(stmt).all() if Perm.INBOX in permissions_for(u.role)]
    return sorted(((f"staff:{u.id}", u.name or u.login) for u in users),
                  key=lambda a: a[1].lower())


def holder_label(assignee: str, names: dict[str, str]) -> str:
    return names.get(assignee, "outro atendente") if assignee else ""


def _queue_rows(db_engine: Engine, now_, shop_id: int | None, sensitive: bool,
                tz: str = "America/Sao_Paulo") -> dict:
    """The conversations a human owns in the staff's shop, oldest wait first, and those given
    back to the bot in the last 24 hours, as the list shows them."""
    with read_session(db_engine) as session:
        convs = _inbox().waiting_conversations(session, now_, shop_id=shop_id)
        returned = _inbox().returned_conversations(session, now_, shop_id=shop_id)
        names = _staff_names(session, shop_id)
    return {"conversations": _waiting_rows(convs, names, sensitive), "returned": [{
        "id": r.id, "state_label": STATE_LABELS["devolvido"],
        "name": r.tutor_name or r.profile_name or show_phone(r.phone, sensitive=sensitive)
        or "Contato do WhatsApp",
        "phone": show_phone(r.phone, sensitive=sensitive),
        "at": to_local(r.resumed_at, tz).strftime("%d/%m %H:%M"),
        "by": names.get(r.resumed_by) or ("tempo esgotado" if r.resumed_by.startswith(
            "sistema") else ""),
    } for r in returned]}


def _waiting_rows(convs: list, names: dict[str, str], sensitive: bool) -> list[dict]:
    return [{
        "id": c.id, "name": _display_name(c, sensitive),
        "phone": show_phone(c.phone, sensitive=sensitive),
        "state": c.state, "state_label": STATE_LABELS[c.state],
        "holder": holder_label(c.assignee, names), "assignee": c.assignee,
        "waiting": waiting_label(c.waiting_seconds), "reason": c.reason,
        "last_message": c.last_message_text[:120], "last_message_id": c.last_message_id,
    } for c in convs]


async def _queue(request: web.Request) -> dict:
    me = staff(request)
    return await db(request, _queue_rows, engine(request), now(request),
                    me.shop.id if me.shop else None, me.can(Perm.TUTORS_SENSITIVE),
                    me.shop.timezone if me.shop else "America/Sao_Paulo")


def _json_with_etag(request: web.Request, data: dict) -> web.Response:
    """JSON with an ETag of its body; 304 when the page already has this answer."""
    body = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
    etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-store"}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)


@routes.get("/admin/atendimento/fila.json")
@page(Perm.INBOX)
async def inbox_queue(request: web.Request) -> web.Response:
    return _json_with_etag(request, await _queue(request))


def _message_row(h, tz: str) -> dict:
    return {"id": h.id, "author": AUTHOR_LABELS.get(h.author, h.author),
            "from_tutor": h.direction == "in", "human": h.author == "attendant",
            "at": to_local(h.at, tz).strftime("%d/%m %H:%M"), "text": h.text,
            "failed": h.status == "failed", "error": h.error,
            "status": h.status if h.author == "attendant" else "",
            "tick": tick_of(h.status) if h.author == "attendant" else ""}


def _conv_state(conv, names: dict[str, str], me_actor: str) -> dict:
    state = _inbox().state_of(conv)
    return {"state": state, "state_label": STATE_LABELS[state],
            "holder": holder_label(conv.assignee, names), "assignee": conv.assignee,
            "is_human": conv.owner == "human",
            "mine": conv.assignee == me_actor,
            "claimable": not conv.assignee or conv.owner != "human"}


def _load_conv(session, shop: Shop | None, conv_id: int):
    from bot.models import WaConversation

    conv = session.get(WaConversation, conv_id)
    if conv is None or (shop and conv.shop_id != shop.id):
        raise web.HTTPNotFound(text="Conversa não encontrada.")
    return conv


def _conversation(db_engine: Engine, shop: Shop | None, conv_id: int, now_,
                  sensitive: bool, me_actor: str) -> dict:
    """One conversation of the shop (404 otherwise), its history, its state, its tutor and
    what the side panel shows about them, the quick replies and who it can be given to."""
    with read_session(db_engine) as session:
        conv = _load_conv(session, shop, conv_id)
        tutor = _inbox().conversation_tutor(session, conv)
        names = _staff_names(session, shop.id if shop else None)
        return {"conv": conv, "history": _inbox().conversation_history(session, conv.id),
                "tutor": tutor, "state": _conv_state(conv, names, me_actor),
                "tutor_ctx": tutor_context(session, shop, tutor, now_, sensitive)
                if tutor and shop else None,
                "quick_replies": list_quick_replies(session, shop.id) if shop else [],
                "attendants": _attendants(session, shop.id if shop else None)}


@routes.get("/admin/atendimento")
@routes.get("/admin/atendimento/{id:[0-9]{1,9}}")
@page(Perm.INBOX)
async def inbox(request: web.Request) -> web.Response:
    me = staff(request)
    shop = me.shop
    tz = shop.timezone if shop else "America/Sao_Paulo"
    sensitive = me.can(Perm.TUTORS_SENSITIVE)
    queue = await _queue(request)
    current_id = int(request.match_info["id"]) if "id" in request.match_info else None
    ctx = {"convs": queue["conversations"], "returned": queue["returned"],
           "current_id": current_id, "authors": AUTHOR_LABELS, "tz": tz,
           "poll_ms": POLL_MS, "ticks": TICKS}
    if current_id is None:
        return render(request, "inbox/inbox.html", ctx)
    context = await db(request, _conversation, engine(request), shop, current_id, now(request),
                       sensitive, me.actor)
    conv, history, tutor = context["conv"], context["history"], context["tutor"]
    await _inbox().attendant_seen(request.app, conv.id)
    # The shop's operator PIN before the tutor's record (access.py, audited); the chat is not.
    tutor_locked = tutor is not None and await access.locked(request, tutor.id)
    ctx.update(conv=conv, history=history,
               tutor_ctx=None if tutor_locked else context["tutor_ctx"],
               tutor_locked=tutor.id if tutor_locked else None,
               history_local=[(h, to_local(h.at, tz)) for h in history],
               last_id=history[-1].id if history else 0, state=context["state"],
               is_human=conv.owner == "human", phone=show_phone(conv.phone, sensitive=sensitive),
               quick_replies=context["quick_replies"], attendants=context["attendants"],
               name=(tutor.name if tutor else None) or conv.profile_name
               or show_phone(conv.phone, sensitive=sensitive) or "Contato do WhatsApp")
    return render(request, "inbox/inbox.html", ctx)


def _updates(db_engine: Engine, shop: Shop | None, conv_id: int, after_id: int,
             me_actor: str) -> tuple[list, dict, dict[int, str]]:
    with read_session(db_engine) as session:
        conv = _load_conv(session, shop, conv_id)
        names = _staff_names(session, shop.id if shop else None)
        return (_inbox().conversation_history(session, conv.id, after_id),
                _conv_state(conv, names, me_actor),
                _inbox().attendant_statuses(session, conv.id))


@routes.get("/admin/atendimento/{id:[0-9]{1,9}}/novas.json")
@page(Perm.INBOX)
async def inbox_updates(request: web.Request) -> web.Response:
    """The messages stored after ``depois`` (a message id) and the conversation's state."""
    me = staff(request)
    conv_id = int(request.match_info["id"])
    after = int_or_none(request.query.get("depois")) or 0
    if after < 0 or after > 2**62:
        raise web.HTTPBadRequest(text="Parâmetro 'depois' inválido.")
    history, state, statuses = await db(request, _updates, engine(request), me.shop, conv_id,
                                        after, me.actor)
    if state["is_human"] and any(h.direction == "in" for h in history):
        await _inbox().attendant_seen(request.app, conv_id)  # a person is looking at it
    tz = me.shop.timezone if me.shop else "America/Sao_Paulo"
    return _json_with_etag(request, {
        "messages": [_message_row(h, tz) for h in history],
        "statuses": {str(i): {"status": s, "tick": tick_of(s)} for i, s in statuses.items()},
        "last_id": history[-1].id if history else after, **state})


@routes.post("/admin/atendimento/{id:[0-9]{1,9}}/responder")
@page(Perm.INBOX)
async def inbox_reply(request: web.Request) -> web.Response:
    data = await form(request)
    conv_id = int(request.match_info["id"])
    text = (data.get("text") or "").strip()
    if not text:
        raise redirect(f"/admin/atendimento/{conv_id}", "Escreva uma mensagem para enviar.",
                       "erro")
    await db(request, _check_shop, engine(request), staff(request).shop, conv_id)
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


def _check_shop(db_engine: Engine, shop: Shop | None, conv_id: int) -> None:
    with read_session(db_engine) as session:
        _load_conv(session, shop, conv_id)


def _claim(db_engine: Engine, shop: Shop | None, conv_id: int, actor: str, now_) -> str | None:
    """Claim for ``actor``; the holder's name when someone else holds it."""
    inbox = _inbox()
    try:
        inbox.claim(db_engine, conv_id, actor, now_, shop.id if shop else None)
    except KeyError:
        raise web.HTTPNotFound(text="Conversa não encontrada.") from None
    except inbox.ClaimRefused as exc:
        with read_session(db_engine) as session:
            return holder_label(exc.holder, _staff_names(session, shop.id if shop else None))
    return None


@routes.post("/admin/atendimento/{id:[0-9]{1,9}}/assumir")
@page(Perm.INBOX)
async def inbox_claim(request: web.Request) -> web.Response:
    me = staff(request)
    conv_id = int(request.match_info["id"])
    holder = await db(request, _claim, engine(request), me.shop, conv_id, me.actor,
                      now(request))
    if holder:
        raise redirect(f"/admin/atendimento/{conv_id}",
                       f"Esta conversa já está em atendimento com {holder}.", "aviso")
    raise redirect(f"/admin/atendimento/{conv_id}", "Você assumiu a conversa.")


def _assign(db_engine: Engine, shop: Shop | None, conv_id: int, assignee: str, by: str,
            now_) -> str | None:
    """Give the conversation to ``assignee`` (one of the shop's attendants); their name, or
    None when ``assignee`` is not one of them."""
    with read_session(db_engine) as session:
        _load_conv(session, shop, conv_id)
        name = dict(_attendants(session, shop.id if shop else None)).get(assignee)
    if name is None:
        return None
    _inbox().assign(db_engine, conv_id, assignee, by, now_, shop.id if shop else None)
    return name


@routes.post("/admin/atendimento/{id:[0-9]{1,9}}/atribuir")
@page(Perm.INBOX_ASSIGN)
async def inbox_assign(request: web.Request) -> web.Response:
    me = staff(request)
    conv_id = int(request.match_info["id"])
    data = await form(request)
    name = await db(request, _assign, engine(request), me.shop, conv_id,
                    (data.get("assignee") or "").strip(), me.actor, now(request))
    if name is None:
        raise redirect(f"/admin/atendimento/{conv_id}", "Escolha um atendente da lista.",
                       "erro")
    raise redirect(f"/admin/atendimento/{conv_id}", f"Conversa atribuída a {name}.")


@routes.post("/admin/atendimento/{id:[0-9]{1,9}}/devolver")
@page(Perm.INBOX)
async def inbox_resume(request: web.Request) -> web.Response:
    conv_id = int(request.match_info["id"])
    await db(request, _check_shop, engine(request), staff(request).shop, conv_id)
    # bot.inbox.resume_bot commits on the channel's database thread, tells the tutor and
    # un-pauses the Rasa tracker: a coroutine, awaited here.
    done = await _inbox().resume_bot(request.app, conv_id, staff(request).actor)
    if not done:
        raise redirect(f"/admin/atendimento/{conv_id}",
                       "Não foi possível devolver ao robô: a conversa já está com o robô ou o "
                       "tutor está com o atendimento pelo robô desligado.", "aviso")
    raise redirect("/admin/atendimento", "Conversa devolvida ao robô.")
