"""Attendant inbox endpoints: the waiting list as JSON (oldest first), "@robo", the live
updates' cursor and ETag, claim and assign, masked phones, quick replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from admin.models import StaffUser
from bot.config import SIM_PHONE_ID
from bot.models import Owner, WaConversation, WaMessage
from scheduler_core.chatbot.models import QuickReply
from scheduler_core.people.models import Tutor
from scheduler_core.shop.models import Shop

from .conftest import csrf_of, logged_in, page_csrf


def _waiting(engine, phone: str, minutes_ago: int, name: str = "") -> int:
    now = datetime.now(UTC)
    with Session(engine) as session:
        shop = session.exec(select(Shop)).first()
        conv = WaConversation(shop_id=shop.id, key=phone, phone=phone, profile_name=name or phone,
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


def _add_message(engine, conv_id: int, text: str, direction: str = "in") -> int:
    with Session(engine) as session:
        row = WaMessage(conversation_id=conv_id, direction=direction,
                        author="tutor" if direction == "in" else "bot", text=text,
                        status="received" if direction == "in" else "sent",
                        created_at=datetime.now(UTC))
        session.add(row)
        session.commit()
        return row.id


async def test_the_open_conversation_gets_only_the_messages_after_its_cursor(client, panel_db):
    engine = panel_db[0]
    conv_id = _waiting(engine, "+5511944440000", 5)
    first = _add_message(engine, conv_id, "Oi")
    await logged_in(client, panel_db, "attendant")
    url = f"/admin/atendimento/{conv_id}/novas.json"
    response = await client.get(url, params={"depois": first})
    data = await response.json()
    assert data["messages"] == [] and data["last_id"] == first
    assert data["state_label"] == "aguardando" and data["claimable"] is True
    etag = response.headers["ETag"]
    unchanged = await client.get(url, params={"depois": first}, headers={"If-None-Match": etag})
    assert unchanged.status == 304
    second = _add_message(engine, conv_id, "Tem horário amanhã?")
    data = await (await client.get(url, params={"depois": first},
                                   headers={"If-None-Match": etag})).json()
    assert [m["text"] for m in data["messages"]] == ["Tem horário amanhã?"]
    assert data["last_id"] == second and data["messages"][0]["author"] == "Tutor"
    assert (await client.get(url, params={"depois": "-3"})).status == 400


async def test_claimed_conversation_reads_em_atendimento_and_a_second_attendant_is_refused(
    client, panel_db
):
    engine, _, accs = panel_db
    conv_id = _waiting(engine, "+5511955550000", 5)
    await logged_in(client, panel_db, "attendant")
    csrf = await page_csrf(client, f"/admin/atendimento/{conv_id}")
    response = await client.post(f"/admin/atendimento/{conv_id}/assumir",
                                 data={"csrf_token": csrf})
    assert "Você assumiu a conversa" in await response.text()
    [row] = (await (await client.get("/admin/atendimento/fila.json")).json())["conversations"]
    assert (row["state_label"], row["holder"]) == ("em atendimento", accs.attendant[0])
    # The owner (a second person) cannot claim it, but can give it to someone else.
    await logged_in(client, panel_db, "owner")
    csrf = await page_csrf(client, f"/admin/atendimento/{conv_id}")
    response = await client.post(f"/admin/atendimento/{conv_id}/assumir",
                                 data={"csrf_token": csrf})
    assert f"já está em atendimento com {accs.attendant[0]}" in await response.text()
    with Session(engine) as session:
        owner = session.exec(select(StaffUser).where(StaffUser.login == accs.owner_login)).one()
    response = await client.post(f"/admin/atendimento/{conv_id}/atribuir",
                                 data={"csrf_token": csrf, "assignee": f"staff:{owner.id}"})
    assert "Conversa atribuída a" in await response.text()
    with Session(engine) as session:
        assert session.get(WaConversation, conv_id).assignee == f"staff:{owner.id}"
    response = await client.post(f"/admin/atendimento/{conv_id}/atribuir",
                                 data={"csrf_token": csrf, "assignee": "staff:99999"})
    assert "Escolha um atendente da lista" in await response.text()


async def test_only_the_owner_assigns_conversations(client, panel_db):
    conv_id = _waiting(panel_db[0], "+5511966660000", 5)
    await logged_in(client, panel_db, "attendant")
    csrf = await page_csrf(client, f"/admin/atendimento/{conv_id}")
    response = await client.post(f"/admin/atendimento/{conv_id}/atribuir",
                                 data={"csrf_token": csrf, "assignee": "staff:1"})
    assert response.status == 403


async def test_phones_are_masked_for_staff_without_the_sensitive_permission(client, panel_db):
    conv_id = _waiting(panel_db[0], "+5511977778888", 5, "Test Name")
    _waiting(panel_db[0], "+5511911112222", 4, "Test Name")
    await logged_in(client, panel_db, "attendant")
    data = await (await client.get("/admin/atendimento/fila.json")).json()
    # Two tutors with the same profile name are told apart by their phones.
    assert [(c["name"], c["phone"]) for c in data["conversations"]] == [
        ("Test Name", "(11) 97777-8888"), ("Test Name", "(11) 91111-2222")]
    # The owner takes the sensitive data away from attendants (Equipe e acessos).
    with Session(panel_db[0]) as session:
        shop = session.exec(select(Shop)).one()
        shop.sensitive_roles = ["veterinario"]
        session.add(shop)
        session.commit()
    data = await (await client.get("/admin/atendimento/fila.json")).json()
    assert data["conversations"][0]["phone"] == "(11) 9••••-8888"
    html = await (await client.get(f"/admin/atendimento/{conv_id}")).text()
    assert "97777" not in html and "9••••-8888" in html
    # "Cadastrar tutor" still saves the number without showing it.
    form = await (await client.get(f"/admin/tutores/novo?conversa={conv_id}")).text()
    assert "97777" not in form and "oculto" in form
    response = await client.post(f"/admin/tutores/novo?conversa={conv_id}", data={
        "csrf_token": csrf_of(form), "name": "Joana Nova", "conversa": str(conv_id),
        "allow_bot": "1"})
    assert response.status == 200 and "Tutor cadastrado" in await response.text()
    with Session(panel_db[0]) as session:
        tutor = session.exec(select(Tutor).where(Tutor.name == "Joana Nova")).one()
        assert tutor.whatsapp.endswith("977778888")


async def test_owner_keeps_the_quick_replies_and_attendants_cannot_edit_them(client, panel_db):
    await logged_in(client, panel_db, "owner")
    path = "/admin/atendimento/respostas"
    csrf = await page_csrf(client, path)
    response = await client.post(path, data={"csrf_token": csrf, "title": "Pix",
                                             "text": "Nossa chave Pix é o CNPJ."})
    assert "Resposta rápida salva" in await response.text()
    refused = await client.post(path, data={"csrf_token": csrf, "title": "", "text": "x"})
    assert refused.status == 422 and "Dê um nome" in await refused.text()
    with Session(panel_db[0]) as session:
        reply = session.exec(select(QuickReply).where(
            QuickReply.text == "Nossa chave Pix é o CNPJ.")).one()
    await client.post(f"{path}/{reply.id}", data={"csrf_token": csrf, "title": "Pix",
                                                  "text": "Chave Pix: 12.345.678/0001-90"})
    conv_id = _waiting(panel_db[0], "+5511988889999", 5)
    html = await (await client.get(f"/admin/atendimento/{conv_id}")).text()
    assert 'data-quick-reply="Chave Pix: 12.345.678/0001-90"' in html
    await logged_in(client, panel_db, "attendant")
    assert (await client.get(path)).status == 403
    csrf = await page_csrf(client)
    assert (await client.post(f"{path}/{reply.id}/remover",
                              data={"csrf_token": csrf})).status == 403
