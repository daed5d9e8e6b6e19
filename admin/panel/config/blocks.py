"""Blocks: days or hours closed for the shop or one employee, and the visits under them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin.panel import accounts
from admin.panel.config.common import field_errors, operator_pin_refusal, required_shop
from admin.panel.fmt import plural
from admin.panel.pages import (
    db,
    engine,
    form,
    form_list,
    int_or_none,
    now,
    page,
    record_audit,
    redirect,
    render,
)
from admin.panel.permissions import Perm
from admin.panel.timeutil import today
from scheduler_core.agenda.models import Block
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.kernel.forms import parse_list
from scheduler_core.scheduling.blocks import block_conflicts
from scheduler_core.shop import service as shop_service
from scheduler_core.shop.models import (
    Employee,
    Shop,
)

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- blocks


def _blocks_ctx(session: Session, shop: Shop, now_: datetime) -> dict:
    blocks = session.exec(select(Block).where(Block.shop_id == shop.id)
                          .order_by(Block.id.desc())).all()
    current_day = today(now_, shop.timezone).isoformat()
    blocks = [b for b in blocks if any(d >= current_day for d in b.dates)] + \
        [b for b in blocks if not any(d >= current_day for d in b.dates)][:10]
    employees = session.exec(select(Employee).where(Employee.shop_id == shop.id,
                                                    Employee.active.is_(True))
                             .order_by(Employee.name)).all()
    return {"blocks": blocks, "employees": employees,
            "employee_names": {e.id: e.name for e in employees},
            "conflicts": {b.id: block_conflicts(session, shop, b) for b in blocks},
            "today": current_day}


def _load_blocks(db_engine: Engine, shop: Shop, now_: datetime) -> dict:
    with read_session(db_engine) as session:
        return _blocks_ctx(session, shop, now_)


@routes.get("/admin/config/bloqueios")
@page(Perm.BLOCKS_EDIT)
async def blocks_page(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await db(request, _load_blocks, engine(request), shop, now(request))
    ctx["focus"] = int_or_none(request.query.get("novo"))
    return render(request, "config/blocks.html", ctx)


@dataclass
class _BlockSaved:
    message: str
    block_id: int | None = None
    conflicts: int = 0


def _delete_block(request: web.Request, session: Session, shop: Shop, data: dict) -> None:
    block = session.get(Block, int_or_none(data.get("block_id")) or 0)
    if block is None or block.shop_id != shop.id:
        raise web.HTTPNotFound(text="Bloqueio não encontrado.")
    session.delete(block)
    record_audit(session, request, "block.delete", "block", block.id, {"dates": block.dates})
    session.commit()


def _save_block(request: web.Request, shop: Shop, data: dict, posted: list[str],
                extra: list[str]) -> _BlockSaved | dict:
    """Create (or delete) a block; the page's context with the errors when refused. The
    operator PIN is checked before the write lock is taken (argon2 is slow)."""
    pin_refusal = operator_pin_refusal(request, data)
    with locked_session(engine(request)) as session:
        try:
            if pin_refusal is not None:
                raise pin_refusal
            if data.get("action") == "delete":
                _delete_block(request, session, shop, data)
                return _BlockSaved("Bloqueio removido.")
            block = shop_service.create_block(session, shop, data, posted + extra,
                                              now=now(request))
        except (ValidationFailed, accounts.AccountError) as exc:
            session.rollback()
            ctx = _blocks_ctx(session, shop, now(request))
            ctx.update(errors=field_errors(exc), values={**data, "dates": posted})
            return ctx
        conflicts = block_conflicts(session, shop, block)
        record_audit(session, request, "block.create", "block", block.id,
                     {"dates": block.dates, "employee_id": block.employee_id,
                      "all_day": block.all_day, "start": block.start, "end": block.end,
                      "conflicting_appointments": [c.id for c in conflicts]})
        session.commit()
        return _BlockSaved("Bloqueio criado.", block.id, len(conflicts))


@routes.post("/admin/config/bloqueios")
@page(Perm.BLOCKS_EDIT)
async def blocks_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    dates = await form_list(request, "dates")
    extra = parse_list(data.get("more_dates", ""))
    outcome = await db(request, _save_block, request, shop, data, dates, extra)
    if isinstance(outcome, dict):
        return render(request, "config/blocks.html", outcome, status=422)
    if outcome.block_id is None:
        raise redirect("/admin/config/bloqueios", outcome.message)
    message = outcome.message
    if outcome.conflicts:
        count = plural(outcome.conflicts, "agendamento", "agendamentos")
        keeps = "continua marcado — remarque-o" if outcome.conflicts == 1 else (
            "continuam marcados — remarque-os")
        message += f" Atenção: {count} dentro do bloqueio {keeps}."
    raise redirect(f"/admin/config/bloqueios?novo={outcome.block_id}", message,
                   "aviso" if outcome.conflicts else "ok")
