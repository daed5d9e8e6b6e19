"""Login, logout, the panel's home and "Minha conta" (password and operator PIN)."""

from __future__ import annotations

from urllib.parse import urlparse

from aiohttp import web
from sqlalchemy.engine import Engine

from admin.models import StaffUser
from admin.panel import accounts
from admin.panel.pages import (
    SESSION_COOKIE,
    STAFF,
    db,
    engine,
    form,
    now,
    page,
    redirect,
    render,
    set_cookie,
    staff,
)
from app.http_security import client_address
from scheduler_core.audit import log as audit
from scheduler_core.db.engine import locked_session

routes = web.RouteTableDef()


def _safe_next(value: str | None) -> str:
    """Where to go after logging in: a panel page, or the simulator (which sends here)."""
    if not value:
        return "/admin"
    parsed = urlparse(value)
    if parsed.scheme or parsed.netloc or not (
        value.startswith("/admin") or value == "/simulador"
    ):
        return "/admin"
    return value


@routes.get("/admin/login")
@page(public=True)
async def login_form(request: web.Request) -> web.Response:
    if STAFF in request:
        raise redirect(_safe_next(request.query.get("next")))
    return render(request, "login.html", {"next": request.query.get("next", "")})


@routes.post("/admin/login")
@page(public=True)
async def login_submit(request: web.Request) -> web.Response:
    data = await form(request)
    target = _safe_next(data.get("next"))
    try:
        # argon2 takes a few hundred ms: off the event loop, so webhooks are not held up.
        _user, opened = await db(
            request, accounts.sign_in, engine(request), login=data.get("login", ""),
            password=data.get("password", ""), ip=client_address(request), now=now(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except accounts.AccountError as exc:
        status = 429 if isinstance(exc, accounts.TooManyAttempts) else 401
        return render(request, "login.html",
                      {"error": str(exc), "login": data.get("login", ""), "next": target},
                      status=status)
    response = web.HTTPSeeOther(target)
    set_cookie(request, response, SESSION_COOKIE, opened.token)
    raise response


def _close_session(db_engine: Engine, token: str | None) -> None:
    with locked_session(db_engine) as session:
        accounts.close_session(session, token)
        session.commit()


@routes.post("/admin/logout")
@page()
async def logout(request: web.Request) -> web.Response:
    await db(request, _close_session, engine(request), request.cookies.get(SESSION_COOKIE))
    response = web.HTTPSeeOther("/admin/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@routes.get("/admin")
@page()
async def home(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/admin/agenda")


@routes.get("/admin/conta")
@page()
async def account_form(request: web.Request) -> web.Response:
    return render(request, "account.html", {})


def _save_account(request: web.Request, data: dict) -> str:
    """Change the password or the operator PIN: the flash message (``AccountError`` when
    refused)."""
    me = staff(request)
    with locked_session(engine(request)) as session:
        user = session.get(StaffUser, me.user.id)
        if data.get("action") == "pin":
            accounts.set_pin(session, user, data.get("password", ""), data.get("pin", ""))
            message = "PIN de operador salvo."
        else:
            if data.get("new_password") != data.get("confirm"):
                raise accounts.AccountError("A confirmação não confere com a nova senha.")
            accounts.change_password(session, user, data.get("password", ""),
                                     data.get("new_password", ""))
            message = "Senha alterada."
        audit.record(session, at=now(request), actor=me.actor,
                     action=f"staff.{data.get('action') or 'password'}",
                     entity="staffuser", entity_id=user.id, shop_id=user.shop_id)
        session.commit()
    return message


@routes.post("/admin/conta")
@page()
async def account_submit(request: web.Request) -> web.Response:
    data = await form(request)
    try:
        message = await db(request, _save_account, request, data)
    except accounts.AccountError as exc:
        return render(request, "account.html", {"error": str(exc)}, status=422)
    raise redirect("/admin/conta", message)
