"""Staff accounts (owner only): create, role, employee link, reset, deactivate."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session, select

from admin.models import StaffUser
from admin.panel import accounts
from admin.panel.pages import (
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
from scheduler_core.db.engine import locked_session
from scheduler_core.shop.models import Employee

routes = web.RouteTableDef()


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
        record_audit(session, request, action, "staffuser", user.id,
                     {"login": user.login, "role": user.role, "active": user.active})
        session.commit()
    raise redirect("/admin/config/equipe", message)
