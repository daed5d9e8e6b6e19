"""The live inbox in a real browser (Chromium): a tutor's message sent through the WhatsApp
simulator appears in the open conversation without a reload; a claim shows "em atendimento" to
a second person; a quick reply is inserted and sent; "Devolver ao robô" tells the tutor; an
unknown sender's "Cadastrar tutor" carries the phone over."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from bot import simulator as sim
from bot.config import SIM_PHONE_ID
from bot.handoff import RESUMED_NOTICE
from bot.models import Owner, WaConversation
from scheduler_core.chatbot.models import QuickReply
from scheduler_core.people.models import Tutor
from scheduler_core.shop.models import Shop

from .conftest import browser_login, shot

pytestmark = pytest.mark.browser

PHONE = "+5511987651234"


def _waiting_for_a_human(engine, phone: str, name: str = "Test Name") -> int:
    """A conversation of the simulated phone (keyed on its BSUID, as the simulator sends it)
    handed to a human a few minutes ago, from a sender who is not a tutor yet."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        shop = session.exec(select(Shop)).first()
        conv = WaConversation(
            shop_id=shop.id, key=sim.bsuid_for(phone), wa_user_id=sim.bsuid_for(phone),
            phone=phone, profile_name=name, business_phone_id=SIM_PHONE_ID,
            owner=Owner.HUMAN, handoff_reason="Tutor pediu um atendente",
            handoff_at=now - timedelta(minutes=4), last_inbound_at=now - timedelta(minutes=4))
        session.add(conv)
        session.add(QuickReply(shop_id=shop.id, title="Horário",
                               text="Abrimos de segunda a sábado, das 8h às 18h.", position=1))
        session.commit()
        return conv.id


def _simulator(base: str, path: str, data: dict | None = None) -> dict:
    """The simulated tutor's phone (open to this machine without a login)."""
    request = urllib.request.Request(
        base + path, data=json.dumps(data).encode() if data is not None else None,
        headers={"Content-Type": "application/json"}, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


def _phone_received(base: str, phone: str) -> list[str]:
    got = _simulator(base, "/simulador/api/conversa?telefone=" + urllib.request.quote(phone))
    return [m["text"] for m in got["mensagens"] if m["direction"] == "out"]


def test_live_inbox_claim_quick_reply_and_return_to_bot(desk, phone, panel_db):
    engine, _, accs = panel_db
    conv_id = _waiting_for_a_human(engine, PHONE)
    browser_login(desk, *accs.attendant)
    desk.goto(desk.base + f"/admin/atendimento/{conv_id}")
    item = desk.locator(f"#conv-list a[data-id='{conv_id}']")
    expect(item).to_contain_text("Test Name")
    expect(item).to_contain_text("(11) 98765-1234")  # told apart from other "Test Name"s
    expect(item).to_contain_text("aguardando há")
    desk.evaluate("window.__sameDocument = true")

    # The tutor writes on WhatsApp: it appears in the open conversation without a reload.
    _simulator(desk.base, "/simulador/api/enviar",
               {"telefone": PHONE, "nome": "Test Name", "texto": "Vocês abrem no sábado?"})
    chat = desk.locator("#chat")
    expect(chat).to_contain_text("Vocês abrem no sábado?", timeout=10000)
    assert desk.evaluate("window.__sameDocument") is True

    # The owner watches the list on a phone; the attendant claims the conversation.
    browser_login(phone, accs.owner_login, accs.owner_password)
    phone.goto(phone.base + "/admin/atendimento")
    owner_item = phone.locator(f"#conv-list a[data-id='{conv_id}']")
    expect(owner_item).to_contain_text("aguardando há")
    phone.evaluate("window.__sameDocument = true")
    desk.click("#claim-form button")
    expect(desk.locator(".flash-ok")).to_contain_text("Você assumiu a conversa")
    expect(desk.locator("#conv-state")).to_contain_text(f"em atendimento · {accs.attendant[0]}")
    expect(desk.locator("#claim-form")).to_be_hidden()
    expect(owner_item).to_contain_text(f"em atendimento · {accs.attendant[0]}", timeout=10000)
    assert phone.evaluate("window.__sameDocument") is True
    shot(phone, "phone-atendimento-em-atendimento")

    # A quick reply goes into the reply box with one click, and is sent.
    desk.click("#quick-replies >> text=Horário")
    box = desk.locator("#reply-form textarea")
    expect(box).to_have_value("Abrimos de segunda a sábado, das 8h às 18h.")
    desk.click("#reply-form button")
    expect(desk.locator(".flash-ok")).to_contain_text("Mensagem enviada")
    expect(chat.locator(".msg.human")).to_contain_text("das 8h às 18h")
    assert "Abrimos de segunda a sábado, das 8h às 18h." in _phone_received(desk.base, PHONE)
    shot(desk, "desk-atendimento-resposta-rapida")

    # Back to the bot: the tutor is told so on WhatsApp, and the list drops it.
    desk.click("#resume-form button")
    expect(desk.locator(".flash-ok")).to_contain_text("devolvida ao robô")
    expect(desk.locator(f"#conv-list a[data-id='{conv_id}']")).to_have_count(0)
    assert _phone_received(desk.base, PHONE)[-1] == RESUMED_NOTICE
    expect(owner_item).to_have_count(0, timeout=10000)
    expect(phone.locator(f"#returned-list a[data-id='{conv_id}']")).to_contain_text(
        "devolvido ao robô", timeout=10000)
    expect(desk.locator(f"#returned-list a[data-id='{conv_id}']")).to_contain_text(
        accs.attendant[0])
    with Session(engine) as session:
        conv = session.get(WaConversation, conv_id)
        assert (conv.owner, conv.assignee) == (Owner.BOT, "")


def test_unknown_sender_is_registered_with_the_conversations_phone(desk, panel_db):
    engine, _, accs = panel_db
    conv_id = _waiting_for_a_human(engine, "+5511934567788", name="Joana do WhatsApp")
    browser_login(desk, *accs.attendant)
    desk.goto(desk.base + f"/admin/atendimento/{conv_id}")
    panel = desk.locator("#tutor-panel")
    expect(panel).to_contain_text("ainda não cadastrado")
    panel.locator("#new-tutor").click()
    desk.wait_for_url(re.compile(r".*/admin/tutores/novo\?conversa=\d+"))
    expect(desk.locator("input[name=whatsapp]")).to_have_value("(11) 93456-7788")
    expect(desk.locator("input[name=name]")).to_have_value("Joana do WhatsApp")
    desk.click("form.card button[type=submit], form.card button.primary")
    desk.wait_for_url(re.compile(rf".*/admin/atendimento/{conv_id}$"))
    expect(desk.locator(".flash-ok")).to_contain_text("Tutor cadastrado")
    expect(panel.locator("a[href^='/admin/tutores/']").first).to_contain_text(
        "Joana do WhatsApp")
    with Session(engine) as session:
        tutor = session.exec(select(Tutor).where(Tutor.name == "Joana do WhatsApp")).one()
        assert tutor.whatsapp.endswith("934567788")


def test_owner_writes_a_quick_reply_that_goes_into_the_reply_box(desk, panel_db):
    engine, _, accs = panel_db
    conv_id = _waiting_for_a_human(engine, "+5511945671234")
    browser_login(desk, accs.owner_login, accs.owner_password)
    desk.goto(desk.base + "/admin/atendimento")
    desk.click("text=Respostas rápidas")
    form = desk.locator("#new-quick-reply")
    form.locator("input[name=title]").fill("Vacina")
    form.locator("textarea[name=text]").fill("O banho pode ser feito 48 horas após a vacina.")
    form.locator("button").click()
    expect(desk.locator(".flash-ok")).to_contain_text("Resposta rápida salva")
    expect(desk.locator(".quick-reply-row input[value='Vacina']")).to_have_count(1)
    shot(desk, "desk-respostas-rapidas")
    desk.goto(desk.base + f"/admin/atendimento/{conv_id}")
    box = desk.locator("#reply-form textarea")
    box.fill("Oi! ")
    desk.click("#quick-replies >> text=Vacina")
    expect(box).to_have_value("Oi! O banho pode ser feito 48 horas após a vacina.")
