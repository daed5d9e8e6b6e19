"""Claiming a waiting conversation on a real database: when several attendants press
"Assumir" at the same moment, exactly one holds it and the others are told who does."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.config import SIM_PHONE_ID
from bot.handoff import ClaimRefused
from bot.inbox import claim
from bot.models import Owner, WaConversation
from scheduler_core.audit.models import AuditLog
from tests.scheduler_core.factories import create_shop

NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


def _waiting(engine) -> int:
    with Session(engine) as session:
        shop = create_shop(session)
        conv = WaConversation(shop_id=shop.id, key="+5511912345678", phone="+5511912345678",
                              business_phone_id=SIM_PHONE_ID, owner=Owner.HUMAN,
                              handoff_at=NOW, handoff_reason="pedido do tutor")
        session.add(conv)
        session.commit()
        return conv.id


def test_simultaneous_claims_leave_exactly_one_attendant_holding_it(db_engine):
    conv_id = _waiting(db_engine)
    start = threading.Barrier(6)
    won, refused, errors = [], [], []

    def press(actor: str) -> None:
        start.wait()
        try:
            claim(db_engine, conv_id, actor, NOW)
            won.append(actor)
        except ClaimRefused as exc:
            refused.append(exc.holder)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=press, args=(f"staff:{i}",)) for i in range(1, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(won) == 1
    assert refused == [won[0]] * 5
    with Session(db_engine) as session:
        assert session.get(WaConversation, conv_id).assignee == won[0]
        claims = session.exec(select(AuditLog).where(AuditLog.action == "whatsapp.claim")).all()
    assert [a.actor for a in claims] == won
