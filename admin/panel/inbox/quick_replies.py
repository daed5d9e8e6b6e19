"""Respostas rápidas: the owner keeps the inbox's ready answers (add, edit, remove); the
attendants insert them into the reply box with one click. Rules and audit in
``scheduler_core.chatbot.quick_replies``."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine

from admin.panel.pages import db, engine, form, now, page, redirect, render, staff
from admin.panel.permissions import Perm
from admin.panel.tutors.tutor import required_shop
from scheduler_core.chatbot import quick_replies as qr
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.kernel.errors import NotFound, ValidationFailed

routes = web.RouteTableDef()
PATH = "/admin/atendimento/respostas"


def _list(db_engine: Engine, shop_id: int) -> list:
    with read_session(db_engine) as session:
        return qr.list_quick_replies(session, shop_id)


def _ctx(replies: list, values: dict | None = None, error: str = "",
         editing: int | None = None) -> dict:
    return {"replies": replies, "values": values or {}, "error": error, "editing": editing,
            "max_title": qr.MAX_TITLE, "max_text": qr.MAX_TEXT}


@routes.get(PATH)
@page(Perm.SETTINGS)
async def quick_replies_page(request: web.Request) -> web.Response:
    shop = required_shop(request)
    replies = await db(request, _list, engine(request), shop.id)
    return render(request, "inbox/quick_replies.html", _ctx(replies))


def _save(db_engine: Engine, shop_id: int, reply_id: int | None, title: str, text: str,
          actor: str, now_) -> None:
    with locked_session(db_engine) as session:
        if reply_id is None:
            qr.add_quick_reply(session, shop_id, title, text, actor=actor, now=now_)
        else:
            qr.update_quick_reply(session, shop_id, reply_id, title, text, actor=actor,
                                  now=now_)
        session.commit()


async def _submit(request: web.Request, reply_id: int | None) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    title, text = data.get("title", ""), data.get("text", "")
    try:
        await db(request, _save, engine(request), shop.id, reply_id, title, text,
                 staff(request).actor, now(request))
    except NotFound:
        raise web.HTTPNotFound(text="Resposta rápida não encontrada.") from None
    except ValidationFailed as exc:
        replies = await db(request, _list, engine(request), shop.id)
        return render(request, "inbox/quick_replies.html",
                      _ctx(replies, {"title": title, "text": text}, exc.message, reply_id),
                      status=422)
    raise redirect(PATH, "Resposta rápida salva.")


@routes.post(PATH)
@page(Perm.SETTINGS)
async def quick_reply_add(request: web.Request) -> web.Response:
    return await _submit(request, None)


@routes.post(PATH + "/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def quick_reply_update(request: web.Request) -> web.Response:
    return await _submit(request, int(request.match_info["id"]))


def _delete(db_engine: Engine, shop_id: int, reply_id: int, actor: str, now_) -> None:
    with locked_session(db_engine) as session:
        qr.delete_quick_reply(session, shop_id, reply_id, actor=actor, now=now_)
        session.commit()


@routes.post(PATH + "/{id:[0-9]{1,9}}/remover")
@page(Perm.SETTINGS)
async def quick_reply_delete(request: web.Request) -> web.Response:
    shop = required_shop(request)
    try:
        await db(request, _delete, engine(request), shop.id, int(request.match_info["id"]),
                 staff(request).actor, now(request))
    except NotFound:
        raise web.HTTPNotFound(text="Resposta rápida não encontrada.") from None
    raise redirect(PATH, "Resposta rápida removida.")
