"""Redis dedupe variant (REDIS_URL): Meta's retries are answered from Redis (SET NX)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis

from bot import simulator as sim

from .conftest import start_wa, stop_wa

REDIS_URL = "redis://127.0.0.1:6379/0"
pytestmark = pytest.mark.redis


async def test_duplicates_are_dropped_by_redis_and_processed_exactly_once(
    sqlite_engine, sqlite_url, fake_rasa, clock
):
    wa = await start_wa(sqlite_engine, sqlite_url, fake_rasa, clock, redis_url=REDIS_URL)
    client = aioredis.from_url(REDIS_URL)
    run = uuid.uuid4().hex[:8]
    ids = [f"wamid.REDIS{run}{i}" for i in range(4)]
    try:
        payloads = [sim.text_message(f"+551190000{i:04d}", f"r{i}", wa_id=w)
                    for i, w in enumerate(ids)]
        statuses = await wa.deliver(payloads, copies=3, shuffle=True, concurrent=True)
        assert set(statuses) == {200}
        await wa.settle()
        assert sorted(t["message"] for t in fake_rasa.turns) == ["r0", "r1", "r2", "r3"]
        for w in ids:
            assert await client.exists(f"petbot:wa:seen:{w}") == 1
            assert 0 < await client.ttl(f"petbot:wa:seen:{w}") <= 8 * 86400
        # a retry days later is still a duplicate
        status, text = await wa.post(payloads[0])
        assert status == 200 and '"duplicadas": 1' in text
    finally:
        await client.delete(*[f"petbot:wa:seen:{w}" for w in ids])
        await client.aclose()
        await stop_wa(wa)


async def test_two_app_workers_share_redis_one_conversation_in_order_exactly_once(
    sqlite_engine, sqlite_url, clock
):
    """Behind a load balancer Meta's webhooks land on either worker (retries too): each
    message is processed once, one tutor's messages in order, never two at a time."""
    from .conftest import FakeRasa, _start_fake_rasa

    in_flight: dict[str, int] = {}
    peak: dict[str, int] = {}

    async def reply(sender, message, md):
        in_flight[sender] = in_flight.get(sender, 0) + 1
        peak[sender] = max(peak.get(sender, 0), in_flight[sender])
        await asyncio.sleep(0.05)
        in_flight[sender] -= 1
        return [{"recipient_id": sender, "text": f"eco: {message}"}]

    fake = FakeRasa(reply=reply)
    runner = await _start_fake_rasa(fake)
    a = await start_wa(sqlite_engine, sqlite_url, fake, clock, redis_url=REDIS_URL)
    b = await start_wa(sqlite_engine, sqlite_url, fake, clock, redis_url=REDIS_URL,
                       shop_id=a.shop_id)
    client = aioredis.from_url(REDIS_URL)
    run = uuid.uuid4().hex[:8]
    phones = ["+5511933330001", "+5511933330002"]
    payloads = [sim.text_message(p, f"{p[-1]}:{j}", wa_id=f"wamid.W{run}{p[-1]}{j}",
                                 timestamp=1_790_000_000 + j)
                for j in range(5) for p in phones]
    try:
        for i, body in enumerate(payloads):
            first, second = (a, b) if (i // 2) % 2 == 0 else (b, a)
            assert (await first.post(body))[0] == 200
            assert (await second.post(body))[0] == 200  # the retry lands on the other one
        for _ in range(400):
            busy = a.gateway.pipeline.workers or b.gateway.pipeline.workers
            if a.pending() == 0 and not busy:
                break
            await asyncio.sleep(0.02)
        await a.settle()
        await b.settle()
        for p in phones:
            sender = sim.bsuid_for(p)
            mine = [t["message"] for t in fake.turns if t["sender"] == sender]
            assert mine == [f"{p[-1]}:{j}" for j in range(5)]
            assert peak[sender] == 1
            replies = [m.text for m in a.phone_view(p) + b.phone_view(p)]
            assert sorted(replies) == [f"eco: {p[-1]}:{j}" for j in range(5)]
    finally:
        keys = [f"petbot:wa:seen:wamid.W{run}{p[-1]}{j}" for p in phones for j in range(5)]
        await client.delete(*keys)
        await client.aclose()
        await stop_wa(a)
        await stop_wa(b)
        await runner.cleanup()
