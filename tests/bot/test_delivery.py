"""Exactly-once processing, per-conversation ordering, statuses, retries, rate cap, restart."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlmodel import Session, select

from bot import simulator as sim
from bot.models import Author, WaMessage, WaStatusEvent
from bot.sender import RateLimiter

from .conftest import FakeRasa, _start_fake_rasa, start_wa, stop_wa

PHONES = ["+5511900000001", "+5511900000002", "+5521900000003", "+5531900000004"]


async def _exactly_once(wa):
    payloads = []
    for i, phone in enumerate(PHONES):
        for j in range(3):
            payloads.append(
                sim.text_message(phone, f"msg {i}-{j}", with_user_id=(i % 2 == 0),
                                 timestamp=1_790_000_000 + j)
            )
    statuses = await wa.deliver(payloads, copies=3, shuffle=True, concurrent=True, seed=7)
    assert set(statuses) == {200}
    await wa.settle(20)
    sent = sorted(t["message"] for t in wa.rasa.turns)
    assert sent == sorted(f"msg {i}-{j}" for i in range(len(PHONES)) for j in range(3))
    for i, phone in enumerate(PHONES):
        replies = sorted(m.text for m in wa.phone_view(phone))
        assert replies == [f"eco: msg {i}-{j}" for j in range(3)]
    assert wa.pending() == 0


async def test_each_message_three_times_shuffled_gives_exactly_one_reply(wa):
    await _exactly_once(wa)


@pytest.mark.postgres
async def test_exactly_once_on_postgresql(pg_engine, pg_url, fake_rasa, clock):
    wa = await start_wa(pg_engine, pg_url, fake_rasa, clock)
    try:
        await _exactly_once(wa)
    finally:
        await stop_wa(wa)


async def test_one_tutor_in_order_different_tutors_in_parallel(wa):
    wa.rasa.delay = 0.3
    payloads = [
        sim.text_message(phone, f"{phone}:{j}", timestamp=1_790_000_000 + j)
        for j in range(3)
        for phone in PHONES[:3]
    ]
    started = time.monotonic()
    for p in payloads:  # arrive one after the other, interleaved between tutors
        assert (await wa.post(p))[0] == 200
    await wa.settle(20)
    elapsed = time.monotonic() - started
    for phone in PHONES[:3]:
        mine = [t["message"] for t in wa.rasa.turns if t["metadata"]["phone"] == phone]
        assert mine == [f"{phone}:{j}" for j in range(3)]
    # 9 turns of 0.3 s: in series ≥ 2.7 s; three tutors in parallel ≈ 0.9 s.
    assert elapsed < 2.4


async def test_statuses_are_recorded_on_outbound_messages_in_rank_order(wa):
    phone = PHONES[0]
    await wa.post(sim.text_message(phone, "oi"))
    await wa.settle()
    [reply] = wa.messages(Author.BOT)
    assert reply.wa_id.startswith("wamid.") and reply.status == "delivered"
    uid = sim.bsuid_for(phone)
    # read arrives, then a late duplicate "delivered": the status stays "read"
    await wa.deliver([sim.status_update(reply.wa_id, "read", phone, user_id=uid),
                      sim.status_update(reply.wa_id, "delivered", phone, user_id=uid)], copies=2)
    await wa.settle()
    [reply] = wa.messages(Author.BOT)
    assert reply.status == "read"
    with Session(wa.engine) as s:
        events = s.exec(select(WaStatusEvent.status).where(WaStatusEvent.wa_id == reply.wa_id))
        assert sorted(events.all()) == ["delivered", "read", "sent"]
    # a failure is recorded with Meta's error
    err = {"code": 131047, "title": "Re-engagement message"}
    await wa.post(sim.status_update(reply.wa_id, "failed", phone, error=err))
    await wa.settle()  # receipts are applied just after the acknowledgement
    [reply] = wa.messages(Author.BOT)
    assert reply.status == "failed" and "131047" in reply.error


async def test_chat_page_read_marks_business_messages_read(wa):
    phone = PHONES[1]
    await wa.post(sim.text_message(phone, "oi"))
    await wa.settle()
    async with wa.session.get(wa.url + "/simulador/api/conversa",
                              params={"telefone": phone}) as resp:
        data = await resp.json()
    assert [m["text"] for m in data["mensagens"]] == ["eco: oi"]
    await wa.settle()
    [reply] = wa.messages(Author.BOT)
    assert reply.status == "read"


async def test_inbound_is_marked_read_through_the_graph_api(wa):
    body = sim.text_message(PHONES[0], "oi", wa_id="wamid.LIDO1")
    await wa.post(body)
    await wa.settle()
    reads = [r for r in wa.sim.requests if r.get("status") == "read"]
    assert reads == [{"messaging_product": "whatsapp", "status": "read",
                      "message_id": "wamid.LIDO1"}]


async def test_429_and_5xx_are_retried_with_backoff(wa):
    async with wa.session.post(wa.url + "/simulador/api/falhas",
                               json={"status": 429, "vezes": 2},
                               headers=wa.staff_headers()) as resp:
        assert resp.status == 200
    async with wa.session.post(wa.url + "/simulador/api/falhas",
                               json={"status": 503, "vezes": 1},
                               headers=wa.staff_headers()) as resp:
        assert resp.status == 200
    await wa.post(sim.text_message(PHONES[2], "oi"))
    await wa.settle()
    assert [m.text for m in wa.phone_view(PHONES[2])] == ["eco: oi"]
    [reply] = wa.messages(Author.BOT)
    assert reply.status in ("sent", "delivered")


async def test_persistent_failure_is_kept_as_failed_with_a_reason(wa):
    wa.gateway.config.send_retries = 2
    async with wa.session.post(wa.url + "/simulador/api/falhas",
                               json={"status": 500, "vezes": 10},
                               headers=wa.staff_headers()) as resp:
        assert resp.status == 200
    await wa.post(sim.text_message(PHONES[3], "oi"))
    await wa.settle()
    [reply] = wa.messages(Author.BOT)
    assert reply.status == "failed"
    assert reply.error.startswith("O WhatsApp recusou a mensagem")


async def test_rate_cap_spaces_sends():
    limiter = RateLimiter(rate=20)
    started = time.monotonic()
    await asyncio.gather(*(limiter.acquire() for _ in range(11)))
    assert time.monotonic() - started >= 0.45  # 10 intervals of 50 ms


async def test_restart_picks_up_accepted_but_unprocessed_messages(sqlite_engine, sqlite_url,
                                                                  clock):
    slow = FakeRasa(delay=30)
    runner = await _start_fake_rasa(slow)
    first = await start_wa(sqlite_engine, sqlite_url, slow, clock)
    shop_id = first.shop_id
    for phone in PHONES[:3]:
        assert (await first.post(sim.text_message(phone, f"antes do reinício {phone}")))[0] == 200
    for _ in range(100):
        if len(slow.turns) == 3:
            break
        await asyncio.sleep(0.02)
    assert first.pending() == 3  # acknowledged and stored, not processed
    await stop_wa(first)  # the process goes away mid-turn
    await runner.cleanup()

    fast = FakeRasa()
    runner = await _start_fake_rasa(fast)
    second = await start_wa(sqlite_engine, sqlite_url, fast, clock, shop_id=shop_id)
    try:
        for _ in range(300):
            if second.pending() == 0 and not second.gateway.pipeline.workers:
                break
            await asyncio.sleep(0.02)
        await second.settle()
        assert second.pending() == 0
        for phone in PHONES[:3]:
            assert [m.text for m in second.phone_view(phone)] == [
                f"eco: antes do reinício {phone}"
            ]
        with Session(sqlite_engine) as s:
            tutor_turns = s.exec(select(WaMessage).where(WaMessage.author == Author.TUTOR)).all()
            assert len(tutor_turns) == 3
    finally:
        await stop_wa(second)
        await runner.cleanup()


async def test_pair_rate_limit_131056_is_retried_not_degraded(wa):
    async with wa.session.post(wa.url + "/simulador/api/falhas",
                               json={"status": 400, "code": 131056, "vezes": 1},
                               headers=wa.staff_headers()) as resp:
        assert resp.status == 200
    wa.rasa.reply = lambda s, m, md: [{"text": "Escolha:", "buttons": [
        {"title": "Banho", "payload": "/banho"}, {"title": "Tosa", "payload": "/tosa"}]}]
    await wa.post(sim.text_message(PHONES[0], "oi"))
    await wa.settle()
    [menu] = wa.phone_view(PHONES[0])
    assert menu.type == "interactive"  # the same buttons, after waiting; no numbered fallback
