"""Redis dedupe variant (REDIS_URL): Meta's retries are answered from Redis (SET NX)."""

from __future__ import annotations

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
