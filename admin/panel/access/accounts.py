"""Staff accounts (owner only): create, role, employee link, reset, deactivate."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin.models import StaffUser
from admin.panel import accounts
from admin.panel.pages import (
    db,
    engine,
    form,
    int_or_none,
    page,
    record_audit,
    redirect,
    render,
    staff,
)
from admin.panel.permissions import ROLE_LABELS, Perm
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.shop.models import Employee

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- staff accounts


def _team_ctx(session: Session) -> dict:
    users = session.exec(select(StaffUser).order_by(StaffUser.name)).all()
    employees = session.exec(select(Employee).order_by(Employee.name)).all()
    return {"users": users, "employees": employees, "roles": ROLE_LABELS,
            "employee_names": {e.id: e.name for e in employees}}


def _load_team(db_engine: Engine) -> dict:
    with read_session(db_engine) as session:
        return _team_ctx(session)


@routes.get("/admin/config/equipe")
@page(Perm.EMPLOYEES)
async def team(request: web.Request) -> web.Response:
    return render(request, "config/team.html", await db(request, _load_team, engine(request)))


def _change_account(session: Session, me, data: dict) -> tuple[StaffUser, str, str]:
    """Switch an account on/off or create one: (the account, audit action, flash message)."""
    if data.get("action") == "toggle":
        user = session.get(StaffUser, int_or_none(data.get("user_id")) or 0)
        if user is None:
            raise accounts.AccountError("Conta não encontrada.")
        if user.id == me.user.id:
            raise accounts.AccountError("Você não pode desativar a sua própria conta.")
        user.active = not user.active
        session.add(user)
        return user, "staff.toggle", "Conta atualizada."
    user = accounts.create_user(
        session, login=data.get("login", ""), password=data.get("password", ""),
        role=data.get("role", ""), name=data.get("name", ""),
        shop_id=me.shop.id if me.shop else None,
        employee_id=int_or_none(data.get("employee_id")),
    )
    return user, "staff.create", f"Conta “{user.login}” criada."


def _save_team(request: web.Request, data: dict) -> tuple[str, dict | None]:
    """(flash message, None) when done; ("", the page's context with the error) when
    refused."""
    me = staff(request)
    with locked_session(engine(request)) as session:
        try:
            accounts.check_pin(session.get(StaffUser, me.user.id), data.get("operator_pin"))
            user, action, message = _change_account(session, me, data)
        except accounts.AccountError as exc:
            return "", {**_team_ctx(session), "error": str(exc), "form": data}
        record_audit(session, request, action, "staffuser", user.id,
                     {"login": user.login, "role": user.role, "active": user.active})
        session.commit()
    return message, None


@routes.post("/admin/config/equipe")
@page(Perm.EMPLOYEES)
async def team_submit(request: web.Request) -> web.Response:
    data = await form(request)
    message, refused = await db(request, _save_team, request, data)
    if refused is not None:
        return render(request, "config/team.html", refused, status=422)
    raise redirect("/admin/config/equipe", message)
