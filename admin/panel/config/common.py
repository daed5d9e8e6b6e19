"""What the configuration screens share: the staff's shop, the audit entry, the operator PIN
check and the segment pickers."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session, select

from admin.models import StaffUser
from admin.panel import accounts
from admin.panel.pages import (
    engine,
    redirect,
    staff,
)
from scheduler_core.db.engine import read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.shop.models import (
    Segment,
    Shop,
)


def shop_or_none(request: web.Request) -> Shop | None:
    return staff(request).shop


def required_shop(request: web.Request) -> Shop:
    shop = staff(request).shop
    if shop is None:
        raise redirect("/admin/config/loja", "Cadastre os dados da loja primeiro.", "aviso")
    return shop


def require_pin(request: web.Request, data: dict) -> None:
    """The operator PIN of the signed-in staff (``AccountError`` when wrong); blocking: call
    it from a view's sync function run through ``db``."""
    with read_session(engine(request)) as session:
        accounts.check_pin(session.get(StaffUser, staff(request).user.id),
                           data.get("operator_pin"))


def operator_pin_refusal(request: web.Request, data: dict) -> accounts.AccountError | None:
    """The operator PIN checked before a write lock is taken (argon2 takes a while): the
    refusal to raise inside the form's unit, or None."""
    try:
        require_pin(request, data)
    except accounts.AccountError as exc:
        return exc
    return None


def segments_of(session: Session, shop: Shop) -> list[Segment]:
    return list(session.exec(select(Segment).where(Segment.shop_id == shop.id)
                             .order_by(Segment.id)).all())


def segment_of(session: Session, shop: Shop, segment_id: int | None) -> Segment | None:
    segments = segments_of(session, shop)
    for seg in segments:
        if seg.id == segment_id:
            return seg
    return segments[0] if segments else None


def range_pairs(data, prefix: str, count: int = 4) -> list[tuple[str, str]]:
    return [(data.get(f"{prefix}_start_{i}", ""), data.get(f"{prefix}_end_{i}", ""))
            for i in range(count)]


def field_errors(exc: ValidationFailed | accounts.AccountError) -> dict[str, str]:
    """The pt-BR messages of a refused form by field ("" = the whole form)."""
    if isinstance(exc, accounts.AccountError):
        return {"": str(exc)}
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    if fields:
        return dict(fields)
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    return {field or "": exc.message}
