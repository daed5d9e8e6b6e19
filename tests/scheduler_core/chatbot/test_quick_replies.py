"""Quick replies of the inbox: kept in order per shop, checked, audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from scheduler_core.audit.models import AuditLog
from scheduler_core.chatbot import quick_replies as qr
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from tests.scheduler_core.factories import create_shop

NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


def test_quick_replies_keep_their_order_and_belong_to_one_shop(sqlite_engine):
    with Session(sqlite_engine) as s:
        shop, other = create_shop(s), create_shop(s, name="Outra")
        first = qr.add_quick_reply(s, shop.id, "  Bom   dia ", "Bom dia! Como posso ajudar?",
                                   actor="staff:1", now=NOW)
        qr.add_quick_reply(s, shop.id, "Pix", "Chave Pix: CNPJ", actor="staff:1", now=NOW)
        qr.add_quick_reply(s, other.id, "Outra", "Outra loja", actor="staff:9", now=NOW)
        assert [r.title for r in qr.list_quick_replies(s, shop.id)] == ["Bom dia", "Pix"]
        with pytest.raises(NotFound):
            qr.delete_quick_reply(s, other.id, first.id, actor="staff:9", now=NOW)
        qr.delete_quick_reply(s, shop.id, first.id, actor="staff:1", now=NOW)
        assert [r.title for r in qr.list_quick_replies(s, shop.id)] == ["Pix"]
        actions = s.exec(select(AuditLog.action).where(AuditLog.shop_id == shop.id)).all()
        assert actions == ["quick_reply.add", "quick_reply.add", "quick_reply.delete"]


@pytest.mark.parametrize(("title", "text", "message"), [
    ("", "texto", "Dê um nome"),
    ("x" * 41, "texto", "no máximo 40"),
    ("Pix", "   ", "Escreva o texto"),
    ("Pix", "x" * 1001, "no máximo 1000"),
])
def test_a_quick_reply_without_a_name_or_text_or_too_long_is_refused(
    sqlite_engine, title, text, message
):
    with Session(sqlite_engine) as s:
        shop = create_shop(s)
        with pytest.raises(ValidationFailed, match=message):
            qr.add_quick_reply(s, shop.id, title, text, actor="staff:1", now=NOW)


def test_at_most_thirty_quick_replies_per_shop(sqlite_engine):
    with Session(sqlite_engine) as s:
        shop = create_shop(s)
        for i in range(qr.MAX_PER_SHOP):
            qr.add_quick_reply(s, shop.id, f"R{i}", "texto", actor="staff:1", now=NOW)
        with pytest.raises(ValidationFailed, match="No máximo 30"):
            qr.add_quick_reply(s, shop.id, "Mais uma", "texto", actor="staff:1", now=NOW)
