"""Attendant inbox endpoints: the waiting list as JSON (oldest first) and "@robo"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.config import SIM_PHONE_ID
from bot.models import Owner, WaConversation
from scheduler_core.shop.models import Shop

from .conftest import logged_in, page_csrf


def _waiting(engine, phone: str, minutes_ago: int) -> int:
    now = datetime.now(UTC)
    with Session(engine) as session:
        shop = session.exec(select(Shop)).first()
        conv = WaConversation(shop_id=shop.id, key=phone, phone=phone, profile_name=phone,
                              business_phone_id=SIM_PHONE_ID, owner=Owner.HUMAN,
                              handoff_reason="Pediu atendente",
                              handoff_at=now - timedelta(minutes=minutes_ago),
                              last_inbound_at=now)
        session.add(conv)
        session.commit()
        return conv.id


async def test_waiting_list_is_oldest_first_with_the_waiting_time(client, panel_db):
    engine = panel_db[0]
    newer = _waiting(engine, "+5511911110000", 3)
    older = _waiting(engine, "+5511922220000", 75)
    await logged_in(client, panel_db, "attendant")
    data = await (await client.get("/admin/atendimento/fila.json")).json()
    assert [c["id"] for c in data["conversations"]] == [older, newer]
    assert data["conversations"][0]["waiting"] == "1 h 15 min"
    assert data["conversations"][1]["waiting"] == "3 min"


async def test_typing_at_robo_gives_the_conversation_back_to_the_bot(client, panel_db):
    engine = panel_db[0]
    conv_id = _waiting(engine, "+5511933330000", 10)
    await logged_in(client, panel_db, "attendant")
    csrf = await page_csrf(client, f"/admin/atendimento/{conv_id}")
    response = await client.post(f"/admin/atendimento/{conv_id}/responder",
                                 data={"csrf_token": csrf, "text": " @robo "})
    assert response.status == 200 and "devolvida ao robô" in await response.text()
    with Session(engine) as session:
        assert session.get(WaConversation, conv_id).owner == Owner.BOT


async def test_groomer_has_no_inbox(client, panel_db):
    await logged_in(client, panel_db, "groomer")
    assert (await client.get("/admin/atendimento")).status == 403
    assert (await client.get("/admin/atendimento/fila.json")).status == 403
