"""The audit log of the shop."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session, select

from admin.models import Role, StaffUser
from admin.panel.pages import (
    engine,
    page,
    render,
    staff,
)
from admin.panel.permissions import Perm
from scheduler_core.audit import log as audit

routes = web.RouteTableDef()


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
