"""The audit log of the shop."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import select

from admin.models import Role, StaffUser
from admin.panel.pages import (
    db,
    engine,
    page,
    render,
    staff,
)
from admin.panel.permissions import Perm
from scheduler_core.audit import log as audit
from scheduler_core.audit_trail import describe
from scheduler_core.db.engine import read_session

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- audit log


def _load_audit(db_engine: Engine, shop_id: int | None) -> tuple[list, dict[int, StaffUser]]:
    """The shop's recent audit entries and its staff accounts by id."""
    with read_session(db_engine) as session:
        rows = audit.recent(session, shop_id) if shop_id is not None else []
        users = {u.id: u for u in session.exec(
            select(StaffUser).where(StaffUser.shop_id == shop_id)).all()}
    return rows, users


@routes.get("/admin/auditoria")
@page(Perm.AUDIT)
async def audit_log(request: web.Request) -> web.Response:
    me = staff(request)
    tz = me.shop.timezone if me.shop else "America/Sao_Paulo"
    rows, users = await db(request, _load_audit, engine(request),
                           me.shop.id if me.shop else None)
    names = {uid: f"{u.name} ({u.login})" for uid, u in users.items()}
    entries = [describe(r, names, tz) for r in rows]
    return render(request, "audit.html", {"entries": entries})


__all__ = ["routes", "Role"]
