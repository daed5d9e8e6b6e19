"""Notifications through the real app, gateway and simulator (fake clock): inside the 24-hour
window the tutor gets free text with buttons, outside it the approved template; Meta's 131047
falls back to the template; delivery statuses reach the outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.notify import run_tick
from bot import simulator as sim
from bot.keys import BOT_CONFIG
from scheduler_core.notifications.models import Notification
from tests.bot.conftest import start_wa, stop_wa
from tests.scheduler_core.booking_helpers import MONDAY, book_at
from tests.scheduler_core.factories import NOW, at, build_shop

PHONE = "+5511987654321"  # the standard shop's tutor, Maria


@pytest.fixture
async def shop_wa(sqlite_engine, sqlite_url, fake_rasa, clock):
    world = build_shop(sqlite_engine, bot_settings={"mode": "live"})
    clock.now = NOW
    wa = await start_wa(sqlite_engine, sqlite_url, fake_rasa, clock, shop_id=world.shop_id)
    wa.world = world
    yield wa
    await stop_wa(wa)


def _row(wa, kind) -> Notification:
    with Session(wa.engine) as s:
        return s.exec(select(Notification).where(Notification.kind == kind)).one()


async def _status_becomes(wa, kind: str, status: str, timeout: float = 10.0) -> str:
    """The notification's status once the simulator's receipts are in (they arrive as their
    own webhooks after the send: on a loaded machine, after the first settle)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (current := _row(wa, kind).status) != status:
        if asyncio.get_running_loop().time() > deadline:
            return current
        await wa.settle()
        await asyncio.sleep(0.05)
    return current


async def _say(wa, text):
    assert (await wa.post(sim.text_message(PHONE, text)))[0] == 200
    await wa.settle()


async def test_outside_the_window_the_template_goes_with_its_parameters(shop_wa):
    wa = shop_wa
    book_at(wa.world, "10:00")
    await run_tick(wa.app)
    await wa.settle()
    [msg] = wa.phone_view(PHONE)
    assert msg.type == "template"
    assert msg.template == {"name": "petbot_novo_agendamento", "language": "pt_BR",
                            "params": ["Maria", "Banho", "Thor", "09/03/2026", "10:00"]}
    assert msg.text.startswith("[modelo petbot_novo_agendamento] Maria | Banho")
    row = _row(wa, "novo_agendamento")
    assert row.sent_as == "modelo" and row.status in ("enviada", "entregue")


async def test_inside_the_window_free_text_with_the_three_buttons(shop_wa):
    wa = shop_wa
    appt = book_at(wa.world, "10:00", origin="bot")
    wa.clock.now = at(MONDAY - timedelta(days=1), "09:30")
    await _say(wa, "oi")  # the tutor wrote: the window is open
    wa.clock.now = at(MONDAY - timedelta(days=1), "10:00")
    await run_tick(wa.app)
    await wa.settle()
    msg = wa.phone_view(PHONE)[-1]
    assert msg.type == "interactive" and "Podemos confirmar Banho de Thor" in msg.text
    buttons = msg.interactive["action"]["buttons"]
    assert [b["reply"]["title"] for b in buttons] == ["Confirmar", "Remarcar", "Cancelar"]
    assert buttons[0]["reply"]["id"] == f'/confirmar_agendamento{{"agendamento_id":"{appt.id}"}}'
    row = _row(wa, "confirmacao")
    assert row.sent_as == "texto"
    assert await _status_becomes(wa, "confirmacao", "entregue") == "entregue"  # its receipts
    # the tutor reads it on the phone: "lida"
    async with wa.session.get(wa.url + "/simulador/api/conversa",
                              params={"telefone": PHONE}) as resp:
        assert resp.status == 200
    assert await _status_becomes(wa, "confirmacao", "lida") == "lida"


async def test_meta_refusing_free_text_131047_falls_back_to_the_template(shop_wa):
    wa = shop_wa
    book_at(wa.world, "10:00", origin="bot")
    wa.clock.now = at(MONDAY - timedelta(days=1), "09:30")
    await _say(wa, "oi")  # our record: the window is open
    wa.sim.last_inbound.clear()  # … but Meta never saw it (strict mode judges by its own)
    async with wa.session.post(wa.url + "/simulador/api/janela", json={"estrita": True},
                               headers=wa.staff_headers()) as resp:
        assert resp.status == 200 and (await resp.json()) == {"estrita": True}
    wa.clock.now = at(MONDAY - timedelta(days=1), "10:00")
    await run_tick(wa.app)
    await wa.settle()
    refused = [r for r in wa.sim.requests if r.get("type") == "interactive"]
    assert refused, "the free-form message was tried first"
    msg = wa.phone_view(PHONE)[-1]
    assert msg.type == "template" and msg.template["name"] == "petbot_confirmacao"
    row = _row(wa, "confirmacao")
    assert row.sent_as == "modelo" and row.status in ("enviada", "entregue")


async def test_strict_simulator_refuses_like_meta(shop_wa):
    wa = shop_wa
    wa.sim.strict_window = True
    wa.sim.note_inbound(PHONE, wa.clock() - timedelta(hours=25))
    body = {"messaging_product": "whatsapp", "to": PHONE.lstrip("+"), "type": "text",
            "text": {"body": "oi"}}
    config = wa.app[BOT_CONFIG]
    async with wa.session.post(f"{wa.url}/v21.0/{config.phone_id}/messages", json=body,
                               headers={"Authorization": f"Bearer {config.token}"}) as resp:
        data = await resp.json()
    assert resp.status == 400
    assert data["error"]["code"] == 131047
    assert data["error"]["message"] == "(#131047) Re-engagement message"
    assert "24 hours" in data["error"]["error_data"]["details"]
    assert data["error"]["type"] == "OAuthException" and data["error"]["fbtrace_id"]


async def test_chat_page_shows_a_template_as_a_template(shop_wa):
    from tests.bot.test_simulator_page import _launch

    wa = shop_wa
    book_at(wa.world, "10:00")
    await run_tick(wa.app)
    await wa.settle()
    pw, browser = await _launch()
    try:
        page = await browser.new_page()
        await page.goto(wa.url + "/simulador")
        await page.fill("#nome", "Maria")
        await page.fill("#telefone", PHONE)
        await page.click("#entrar")
        bubble = page.locator(".msg.out.template").first
        await bubble.wait_for(timeout=10_000)
        assert await bubble.locator(".badge").inner_text() in ("modelo", "MODELO")
        assert await bubble.locator(".template-name").inner_text() == "petbot_novo_agendamento"
        assert await bubble.locator(".template-params li").all_inner_texts() == [
            "Maria", "Banho", "Thor", "09/03/2026", "10:00"]
    finally:
        await browser.close()
        await pw.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request):
    prefix = "sqlite" if request.param == "sqlite" else "pg"
    return request.getfixturevalue(f"{prefix}_engine"), request.getfixturevalue(f"{prefix}_url")


async def test_two_app_workers_at_once_and_a_restart_send_each_notification_once(
        any_db, fake_rasa, clock):
    import asyncio

    from scheduler_core.db.engine import make_engine

    engine, url = any_db
    world = build_shop(engine, bot_settings={"mode": "live"})
    hours = ["08:00", "09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00"]
    for hhmm in hours:
        pet = world.add_pet(tutor_id=world.add_tutor(name=f"Tutor {hhmm}"), name=f"Pet {hhmm}")
        book_at(world, hhmm, pet_id=pet)
    clock.now = NOW
    engines = [make_engine(url), make_engine(url)]  # two processes: two pools
    workers = [await start_wa(e, url, fake_rasa, clock, shop_id=world.shop_id)
               for e in engines]
    try:
        await asyncio.gather(*(run_tick(w.app) for w in workers))
        await asyncio.gather(*(w.settle() for w in workers))
        sent = [m for w in workers for m in w.sim.messages if m.direction == "out"]
        assert len(sent) == len(hours)
        assert len({m.tutor for m in sent}) == len(hours)
    finally:
        for w in workers:
            await stop_wa(w)
    # a restart: a new process on the same database sends nothing again, then what is due
    engines.append(make_engine(url))
    fresh = await start_wa(engines[-1], url, fake_rasa, clock, shop_id=world.shop_id)
    try:
        await run_tick(fresh.app)
        await fresh.settle()
        assert [m for m in fresh.sim.messages if m.direction == "out"] == []
        clock.now = at(MONDAY - timedelta(days=1), "08:00")  # the first confirmation is due
        await run_tick(fresh.app)
        await fresh.settle()
        [confirm] = [m for m in fresh.sim.messages if m.direction == "out"]
        assert confirm.template["name"] == "petbot_confirmacao"
    finally:
        await stop_wa(fresh)
        for e in engines:
            e.dispose()


async def test_the_loop_runs_with_the_app_at_its_interval(sqlite_engine, sqlite_url, fake_rasa,
                                                          clock):
    import asyncio
    import dataclasses

    from aiohttp.test_utils import TestServer

    from app.server import create_app
    from tests.bot.conftest import make_settings

    world = build_shop(sqlite_engine, bot_settings={"mode": "live"})
    book_at(world, "10:00")
    clock.now = NOW
    settings = dataclasses.replace(make_settings(sqlite_url, fake_rasa.url),
                                   notify_interval_s=0.1)
    app = create_app(settings, engine=sqlite_engine, clock=clock)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    app[BOT_CONFIG].public_url = str(server.make_url("")).rstrip("/")
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while not [m for m in app[sim.SIMULATOR].messages if m.direction == "out"]:
            assert asyncio.get_running_loop().time() < deadline, "the loop sent nothing"
            await asyncio.sleep(0.1)
        [msg] = [m for m in app[sim.SIMULATOR].messages if m.direction == "out"]
        assert msg.template["name"] == "petbot_novo_agendamento"
    finally:
        await server.close()


async def test_receipts_that_come_back_before_the_send_is_recorded_are_not_lost(
        shop_wa, monkeypatch):
    """A fast phone (or Meta) answers "delivered" before the sender records the message id:
    that receipt once found no outbox row and the notification read "enviada" for ever."""
    import time

    from bot.models import WaMessage
    from scheduler_core.notifications import service

    wa = shop_wa
    book_at(wa.world, "10:00", origin="bot")
    wa.clock.now = at(MONDAY - timedelta(days=1), "09:30")
    await _say(wa, "oi")
    wa.clock.now = at(MONDAY - timedelta(days=1), "10:00")
    real_record, raced = service.record, []

    def record_after_the_receipts(engine, row_id, result, now):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the receipts are applied meanwhile
            with Session(engine) as s:
                msg = s.exec(select(WaMessage).where(
                    WaMessage.wa_id == result.wa_message_id)).first()
            if msg is not None and msg.status == "delivered":
                raced.append(row_id)
                break
            time.sleep(0.05)
        real_record(engine, row_id, result, now)

    monkeypatch.setattr(service, "record", record_after_the_receipts)
    await run_tick(wa.app)
    await wa.settle()
    row = _row(wa, "confirmacao")
    assert row.id in raced  # the receipt really came first
    assert row.status == "entregue"
