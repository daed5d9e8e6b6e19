"""Login, logout, "Minha conta", staff accounts (owner only) and the audit log."""

from __future__ import annotations

import asyncio
from urllib.parse import urlparse

from aiohttp import web
from sqlmodel import Session, select

from admin.models import Role, StaffUser
from admin.panel import accounts
from admin.panel.pages import (
    SESSION_COOKIE,
    STAFF,
    engine,
    form,
    int_or_none,
    now,
    page,
    redirect,
    render,
    set_cookie,
    staff,
)
from admin.panel.permissions import ROLE_LABELS, Perm
from app.http_security import client_address
from scheduler_core.audit import log as audit
from scheduler_core.db.engine import locked_session
from scheduler_core.shop.models import Employee

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
        _user, opened = await asyncio.to_thread(
            accounts.sign_in, engine(request), login=data.get("login", ""),
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


@routes.post("/admin/logout")
@page()
async def logout(request: web.Request) -> web.Response:
    with locked_session(engine(request)) as session:
        accounts.close_session(session, request.cookies.get(SESSION_COOKIE))
        session.commit()
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


@routes.post("/admin/conta")
@page()
async def account_submit(request: web.Request) -> web.Response:
    data = await form(request)
    me = staff(request)
    with locked_session(engine(request)) as session:
        user = session.get(StaffUser, me.user.id)
        try:
            if data.get("action") == "pin":
                accounts.set_pin(session, user, data.get("password", ""), data.get("pin", ""))
                message = "PIN de operador salvo."
            else:
                if data.get("new_password") != data.get("confirm"):
                    raise accounts.AccountError("A confirmação não confere com a nova senha.")
                accounts.change_password(session, user, data.get("password", ""),
                                         data.get("new_password", ""))
                message = "Senha alterada."
        except accounts.AccountError as exc:
            return render(request, "account.html", {"error": str(exc)}, status=422)
        audit.record(session, at=now(request), actor=me.actor,
                     action=f"staff.{data.get('action') or 'password'}",
                     entity="staffuser", entity_id=user.id, shop_id=user.shop_id)
        session.commit()
    raise redirect("/admin/conta", message)


# --------------------------------------------------------------------------- staff accounts


@routes.get("/admin/config/equipe")
@page(Perm.EMPLOYEES)
async def team(request: web.Request) -> web.Response:
    with Session(engine(request)) as session:
        users = session.exec(select(StaffUser).order_by(StaffUser.name)).all()
        employees = session.exec(select(Employee).order_by(Employee.name)).all()
    return render(request, "config/team.html", {
        "users": users, "employees": employees, "roles": ROLE_LABELS,
        "employee_names": {e.id: e.name for e in employees},
    })


@routes.post("/admin/config/equipe")
@page(Perm.EMPLOYEES)
async def team_submit(request: web.Request) -> web.Response:
    data = await form(request)
    me = staff(request)
    with locked_session(engine(request)) as session:
        try:
            accounts.check_pin(session.get(StaffUser, me.user.id), data.get("operator_pin"))
            if data.get("action") == "toggle":
                user = session.get(StaffUser, int_or_none(data.get("user_id")) or 0)
                if user is None:
                    raise accounts.AccountError("Conta não encontrada.")
                if user.id == me.user.id:
                    raise accounts.AccountError("Você não pode desativar a sua própria conta.")
                user.active = not user.active
                session.add(user)
                action, message = "staff.toggle", "Conta atualizada."
            else:
                user = accounts.create_user(
                    session, login=data.get("login", ""), password=data.get("password", ""),
                    role=data.get("role", ""), name=data.get("name", ""),
                    shop_id=me.shop.id if me.shop else None,
                    employee_id=int_or_none(data.get("employee_id")),
                )
                action, message = "staff.create", f"Conta “{user.login}” criada."
        except accounts.AccountError as exc:
            users = session.exec(select(StaffUser).order_by(StaffUser.name)).all()
            employees = session.exec(select(Employee).order_by(Employee.name)).all()
            return render(request, "config/team.html", {
                "users": users, "employees": employees, "roles": ROLE_LABELS,
                "employee_names": {e.id: e.name for e in employees},
                "error": str(exc), "form": data,
            }, status=422)
        audit.record(session, at=now(request), actor=me.actor, action=action, entity="staffuser",
                     entity_id=user.id, shop_id=me.shop.id if me.shop else None,
                     details={"login": user.login, "role": user.role, "active": user.active})
        session.commit()
    raise redirect("/admin/config/equipe", message)


# --------------------------------------------------------------------------- audit log


@routes.get("/admin/auditoria")
@page(Perm.AUDIT)
async def audit_log(request: web.Request) -> web.Response:
    me = staff(request)
    tz = me.shop.timezone if me.shop else "America/Sao_Paulo"
    with Session(engine(request)) as session:
        shop_id = me.shop.id if me.shop else None
        rows = audit.recent(session, shop_id) if shop_id is not None else []
        users = {u.id: u for u in session.exec(
            select(StaffUser).where(StaffUser.shop_id == shop_id)).all()}

    def actor_name(actor: str) -> str:
        kind, _, ident = actor.partition(":")
        if kind == "staff" and ident.isdigit() and int(ident) in users:
            u = users[int(ident)]
            return f"{u.name} ({u.login})"
        return {"bot": "Robô", "system": "Sistema"}.get(actor, actor)

    return render(request, "audit.html", {"rows": rows, "actor_name": actor_name, "tz": tz})


__all__ = ["routes", "Role"]
