"""Quick replies of the attendant inbox: short ready answers ("Já te respondo!", the Pix key…)
the owner keeps per shop and an attendant inserts into the reply box with one click.

Listed by ``position`` then id; a title of up to 40 characters, a text of up to 1,000 (the
attendant may still edit it before sending); at most 30 per shop. Every change is audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from scheduler_core.audit import log as audit
from scheduler_core.chatbot.models import QuickReply
from scheduler_core.kernel.errors import NotFound, ValidationFailed

MAX_TITLE = 40
MAX_TEXT = 1000
MAX_PER_SHOP = 30


def list_quick_replies(session: Session, shop_id: int) -> list[QuickReply]:
    return list(session.exec(
        select(QuickReply).where(QuickReply.shop_id == shop_id)
        .order_by(col(QuickReply.position), col(QuickReply.id))
    ).all())


def _clean(title: str, text: str) -> tuple[str, str]:
    title = " ".join((title or "").split())
    text = (text or "").strip().replace("\r\n", "\n")
    if not title:
        raise ValidationFailed("Dê um nome à resposta rápida.", details={"field": "title"})
    if len(title) > MAX_TITLE:
        raise ValidationFailed(f"O nome tem no máximo {MAX_TITLE} caracteres.",
                               details={"field": "title"})
    if not text:
        raise ValidationFailed("Escreva o texto da resposta rápida.", details={"field": "text"})
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"O texto tem no máximo {MAX_TEXT} caracteres.",
                               details={"field": "text"})
    return title, text


def _get(session: Session, shop_id: int, reply_id: int) -> QuickReply:
    row = session.get(QuickReply, reply_id)
    if row is None or row.shop_id != shop_id:
        raise NotFound("Resposta rápida não encontrada.")
    return row


def add_quick_reply(session: Session, shop_id: int, title: str, text: str, *, actor: str,
                    now: datetime) -> QuickReply:
    title, text = _clean(title, text)
    count = session.exec(select(func.count()).select_from(QuickReply)
                         .where(QuickReply.shop_id == shop_id)).one()
    if count >= MAX_PER_SHOP:
        raise ValidationFailed(f"No máximo {MAX_PER_SHOP} respostas rápidas por loja.")
    last = session.exec(select(func.max(QuickReply.position))
                        .where(QuickReply.shop_id == shop_id)).one()
    row = QuickReply(shop_id=shop_id, title=title, text=text, position=(last or 0) + 1,
                     created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="quick_reply.add", entity="quickreply",
                 entity_id=row.id, details={"title": title}, shop_id=shop_id, at=now)
    return row


def update_quick_reply(session: Session, shop_id: int, reply_id: int, title: str, text: str,
                       *, actor: str, now: datetime) -> QuickReply:
    row = _get(session, shop_id, reply_id)
    row.title, row.text = _clean(title, text)
    session.add(row)
    audit.record(session, actor=actor, action="quick_reply.update", entity="quickreply",
                 entity_id=row.id, details={"title": row.title}, shop_id=shop_id, at=now)
    return row


def delete_quick_reply(session: Session, shop_id: int, reply_id: int, *, actor: str,
                       now: datetime) -> None:
    row = _get(session, shop_id, reply_id)
    audit.record(session, actor=actor, action="quick_reply.delete", entity="quickreply",
                 entity_id=row.id, details={"title": row.title}, shop_id=shop_id, at=now)
    session.delete(row)
