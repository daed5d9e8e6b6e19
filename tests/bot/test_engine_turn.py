"""Finding 14, gateway side: the engine down or restarting loses nothing.

The engine here is the fake REST engine of conftest on a real loopback port; "down" is its
server closed (connection refused, as after ``kill -9``), "back" is a new server on that port.
"""

from __future__ import annotations

import asyncio

from sqlmodel import Session, select

from bot import simulator as sim
from bot.models import WaInbound
from bot.texts import t

from .conftest import FakeRasa, _start_fake_rasa, start_wa, stop_wa

ANA, BIA = "+5511987650001", "+5511987650002"
WAIT = t("engine_wait")


async def _wait_drained(wa, timeout: float = 15.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if wa.pending() == 0:
            break
        await asyncio.sleep(0.05)
    await wa.settle()


async def test_engine_down_parks_tells_once_and_answers_in_order_when_back(
    sqlite_engine, sqlite_url, clock
):
    fake = FakeRasa()
    runner = await _start_fake_rasa(fake)
    port = int(fake.url.rsplit(":", 1)[1])
    wa = await start_wa(sqlite_engine, sqlite_url, fake, clock)
    wa.gateway.config.engine_probe_s = 0.05
    wa.gateway.config.engine_probe_max_s = 0.2
    try:
        assert (await wa.post(sim.text_message(ANA, "oi")))[0] == 200
        await wa.settle()
        await runner.cleanup()  # the engine is gone
        texts = ["quero um banho", "para o Rex", "amanhã de manhã"]
        for i, text in enumerate(texts):
            body = sim.text_message(ANA, text, wa_id=f"wamid.DOWN{i}", timestamp=1_790_000_100 + i)
            assert (await wa.post(body))[0] == 200  # still acknowledged and stored
            assert (await wa.post(body))[0] == 200  # Meta's retry
            await wa.settle()
        assert (await wa.post(sim.text_message(BIA, "olá")))[0] == 200
        await wa.settle()
        await asyncio.sleep(0.3)
        assert [m.text for m in wa.phone_view(ANA)] == ["eco: oi", WAIT]  # told once
        assert [m.text for m in wa.phone_view(BIA)] == [WAIT]
        with Session(wa.engine) as s:
            waiting = s.exec(select(WaInbound).where(WaInbound.processed_at.is_(None))).all()
        assert len(waiting) == 4  # parked, not failed
        assert all(r.attempts == 0 and not r.error for r in waiting)

        runner = await _start_fake_rasa(fake, port)  # the engine is back
        await _wait_drained(wa)
        assert [m.text for m in wa.phone_view(ANA)] == (
            ["eco: oi", WAIT] + [f"eco: {text}" for text in texts])
        assert [m.text for m in wa.phone_view(BIA)] == [WAIT, "eco: olá"]
        mine = [turn["message"] for turn in fake.turns if turn["sender"] == sim.bsuid_for(ANA)]
        assert mine == ["oi", *texts]  # in order, each once
        # A later outage tells the tutor again, once.
        await runner.cleanup()
        await wa.post(sim.text_message(ANA, "e o preço?"))
        await wa.post(sim.text_message(ANA, "?"))
        await wa.settle()
        assert [m.text for m in wa.phone_view(ANA)].count(WAIT) == 2
        runner = await _start_fake_rasa(fake, port)
        await _wait_drained(wa)
        assert [m.text for m in wa.phone_view(ANA)][-2:] == ["eco: e o preço?", "eco: ?"]
    finally:
        await stop_wa(wa)
        await runner.cleanup()


async def test_one_failing_turn_with_the_engine_up_is_not_parked(wa):
    """An engine that is up but fails one turn (HTTP 500) is not "down": that tutor gets the
    apology, and the others are not held back."""

    def reply(sender, message, md):
        if message == "quebra":
            raise RuntimeError("bug in an action")
        return [{"recipient_id": sender, "text": f"eco: {message}"}]

    wa.rasa.reply = reply
    await wa.post(sim.text_message(ANA, "quebra"))
    await wa.settle()
    await wa.post(sim.text_message(BIA, "oi"))
    await wa.settle()
    assert [m.text for m in wa.phone_view(ANA)] == [t("engine_down")]
    assert [m.text for m in wa.phone_view(BIA)] == ["eco: oi"]
    assert wa.pending() == 0
