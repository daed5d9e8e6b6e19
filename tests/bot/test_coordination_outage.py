"""Finding 14, Redis side: with REDIS_URL set, Redis stopping and starting again while
messages flow loses and doubles nothing, and Redis is used again once it is back.

The test runs a redis-server of its own on a spare port (the shared one is never stopped).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time

import pytest
import redis

from bot import simulator as sim

from .conftest import start_wa, stop_wa

# redis-server is part of the suite's set-up (scripts/services.sh starts the shared one with
# it), so a machine without it fails here loudly rather than skipping the outage test.
pytestmark = [pytest.mark.redis]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    def __init__(self, tmp_path) -> None:
        self.port = _free_port()
        self.dir = tmp_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert shutil.which("redis-server"), "redis-server is needed (scripts/services.sh)"
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_timeout=0.5).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # gone at once, as after a crash
            self.proc.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_redis_stopped_and_started_while_messages_flow(
    sqlite_engine, sqlite_url, fake_rasa, clock, own_redis
):
    wa = await start_wa(sqlite_engine, sqlite_url, fake_rasa, clock, redis_url=own_redis.url)
    wa.gateway.config.redis_retry_s = 0.2
    phones = [f"+55119444400{i:02d}" for i in range(4)]
    sent: list[tuple[str, str, str]] = []  # (phone, text, wamid)
    statuses: list[int] = []

    async def flow(label: str, n: int) -> None:
        for j in range(n):
            phone = phones[j % len(phones)]
            text, wamid = f"{label}{j}", f"wamid.RO{label}{j}"
            body = sim.text_message(phone, text, wa_id=wamid)
            statuses.append((await wa.post(body))[0])
            statuses.append((await wa.post(body))[0])  # Meta's retry
            sent.append((phone, text, wamid))
            await asyncio.sleep(0.02)

    try:
        flowing = asyncio.create_task(flow("a", 30))
        await asyncio.sleep(0.2)
        await asyncio.to_thread(own_redis.stop)  # Redis dies while messages flow
        await asyncio.sleep(0.4)
        await asyncio.to_thread(own_redis.start)  # and comes back (empty)
        await flowing
        await asyncio.sleep(0.3)  # past redis_retry_s: Redis is tried again
        await flow("b", 8)
        for _ in range(300):
            if wa.pending() == 0:
                break
            await asyncio.sleep(0.05)
        await wa.settle()
        assert set(statuses) == {200}
        for phone in phones:
            mine = [text for p, text, _ in sent if p == phone]
            turns = [t["message"] for t in fake_rasa.turns if t["sender"] == sim.bsuid_for(phone)]
            assert turns == mine  # each answered once, in order
            assert sorted(m.text for m in wa.phone_view(phone)) == sorted(
                f"eco: {text}" for text in mine)
        client = redis.Redis(port=own_redis.port)
        assert all(client.exists(f"petbot:wa:seen:{w}") for _, text, w in sent
                   if text.startswith("b"))  # Redis is in use again
    finally:
        await stop_wa(wa)
