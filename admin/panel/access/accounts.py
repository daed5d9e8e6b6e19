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
    form_list,
    int_or_none,
    page,
    record_audit,
    redirect,
    render,
    staff,
)
from admin.panel.permissions import (
    ROLE_LABELS,
    SENSITIVE_ROLE_CHOICES,
    STATUS_BACK_ROLE_CHOICES,
    Perm,
)
from scheduler_core.catalog import shop_setup
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.shop.models import Employee, Shop

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- staff accounts


def _team_ctx(session: Session, shop_id: int | None = None) -> dict:
    users = session.exec(select(StaffUser).order_by(StaffUser.name)).all()
    employees = session.exec(select(Employee).order_by(Employee.name)).all()
    shop = session.get(Shop, shop_id) if shop_id else None
    return {"users": users, "employees": employees, "roles": ROLE_LABELS,
            "employee_names": {e.id: e.name for e in employees},
            "sensitive_choices": SENSITIVE_ROLE_CHOICES,
            "sensitive_roles": shop.sensitive_roles if shop else [],
            "status_back_choices": STATUS_BACK_ROLE_CHOICES,
            "status_back_roles": shop.status_back_roles if shop else [],
            "pin_to_open_tutor": shop.pin_to_open_tutor if shop else False}


def _load_team(db_engine: Engine, shop_id: int | None) -> dict:
    with read_session(db_engine) as session:
        return _team_ctx(session, shop_id)


def _shop_id(request: web.Request) -> int | None:
    me = staff(request)
    return me.shop.id if me.shop else None


@routes.get("/admin/config/equipe")
@page(Perm.EMPLOYEES)
async def team(request: web.Request) -> web.Response:
    return render(request, "config/team.html",
                  await db(request, _load_team, engine(request), _shop_id(request)))


def _save_sensitive(request: web.Request, data: dict, roles: list[str]
                    ) -> tuple[str, dict | None]:
    """Which roles see sensitive data, and the PIN before opening a tutor (PIN-confirmed)."""
    me = staff(request)
    with locked_session(engine(request)) as session:
        shop = session.get(Shop, _shop_id(request) or 0)
        try:
            accounts.check_pin(session.get(StaffUser, me.user.id), data.get("operator_pin"))
            if shop is None:
                raise accounts.AccountError("Cadastre os dados da loja primeiro.")
            shop_setup.save_sensitive_settings(
                session, shop, roles, allowed=[str(r) for r in SENSITIVE_ROLE_CHOICES],
                pin_to_open_tutor=data.get("pin_to_open_tutor") == "1")
        except (accounts.AccountError, ValidationFailed) as exc:
            session.rollback()
            return "", {**_team_ctx(session, _shop_id(request)),
                        "error": getattr(exc, "message", str(exc))}
        record_audit(session, request, "staff.sensitive", "shop", shop.id,
                     {"roles": [ROLE_LABELS[r] for r in shop.sensitive_roles],
                      "pin_to_open_tutor": shop.pin_to_open_tutor})
        session.commit()
    return "Acesso aos dados sensíveis salvo.", None


def _save_status_back(request: web.Request, data: dict, roles: list[str]
                      ) -> tuple[str, dict | None]:
    """Which roles may move a visit's status backwards on the board (PIN-confirmed)."""
    me = staff(request)
    with locked_session(engine(request)) as session:
        shop = session.get(Shop, _shop_id(request) or 0)
        try:
            accounts.check_pin(session.get(StaffUser, me.user.id), data.get("operator_pin"))
            if shop is None:
                raise accounts.AccountError("Cadastre os dados da loja primeiro.")
            shop_setup.save_status_back_roles(
                session, shop, roles, allowed=[str(r) for r in STATUS_BACK_ROLE_CHOICES])
        except (accounts.AccountError, ValidationFailed) as exc:
            session.rollback()
            return "", {**_team_ctx(session, _shop_id(request)),
                        "error": getattr(exc, "message", str(exc))}
        record_audit(session, request, "staff.status_back", "shop", shop.id,
                     {"status_back_roles": [ROLE_LABELS[r] for r in shop.status_back_roles]})
        session.commit()
    return "Quem pode voltar status: salvo.", None


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
            return "", {**_team_ctx(session, _shop_id(request)), "error": str(exc),
                        "form": data}
        record_audit(session, request, action, "staffuser", user.id,
                     {"login": user.login, "role": user.role, "active": user.active})
        session.commit()
    return message, None


@routes.post("/admin/config/equipe")
@page(Perm.EMPLOYEES)
async def team_submit(request: web.Request) -> web.Response:
    data = await form(request)
    if data.get("action") == "sensitive":
        message, refused = await db(request, _save_sensitive, request, data,
                                    await form_list(request, "sensitive_roles"))
    elif data.get("action") == "status_back":
        message, refused = await db(request, _save_status_back, request, data,
                                    await form_list(request, "status_back_roles"))
    else:
        message, refused = await db(request, _save_team, request, data)
    if refused is not None:
        return render(request, "config/team.html", refused, status=422)
    raise redirect("/admin/config/equipe", message)
