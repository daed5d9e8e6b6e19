"""A burst gets one answer: "oi" / "td bem?" / "quero banho pro thor sexta 15h" asks the engine
once, with the request; every line is still in the conversation for staff. A greeting with
nothing after it is answered once; a request is answered at once, without the wait."""

from __future__ import annotations

import asyncio
import time

from sqlmodel import Session, select

from bot import simulator as sim
from bot.keys import BOT_CONFIG
from bot.models import Direction, WaConversation, WaMessage
from scheduler_core.chatbot.bursts import opens_a_burst

PHONE = "+5511987650001"


def _inbound_texts(wa, phone: str) -> list[str]:
    with Session(wa.engine) as s:
        conv = s.exec(select(WaConversation).where(WaConversation.phone == phone)).one()
        rows = s.exec(select(WaMessage).where(WaMessage.conversation_id == conv.id,
                                              WaMessage.direction == Direction.IN)
                      .order_by(WaMessage.id)).all()
    return [m.text for m in rows]


def test_only_greetings_and_small_talk_open_a_burst():
    for text in ("oi", "Oiii", "td bem?", "Bom dia!", "oi, tudo bem?", "e aí, blz?"):
        assert opens_a_burst(text), text
    for text in ("quero banho", "oi quero marcar banho", "Thor", "sim", "16h", "👍", ""):
        assert not opens_a_burst(text), text


async def test_a_greeting_then_the_request_asks_the_engine_once_with_the_request(wa):
    wa.app[BOT_CONFIG].burst_wait_s = 0.6
    lines = ["oi", "td bem?", "quero banho pro thor sexta as 15h"]
    for i, line in enumerate(lines):
        await wa.post(sim.text_message(PHONE, line, wa_id=f"wamid.BURST{i}"))
        await asyncio.sleep(0.1)  # a tutor typing three lines
    await wa.settle(20)
    assert [t["message"] for t in wa.rasa.turns] == [lines[-1]]
    assert [m.text for m in wa.phone_view(PHONE)] == [f"eco: {lines[-1]}"]
    assert _inbound_texts(wa, PHONE) == lines  # the inbox keeps every line
    assert wa.pending() == 0


async def test_a_greeting_alone_is_answered_once_and_a_request_without_waiting(wa):
    wa.app[BOT_CONFIG].burst_wait_s = 0.6
    await wa.post(sim.text_message(PHONE, "Bom dia!", wa_id="wamid.ALONE"))
    await wa.settle(20)
    assert [m.text for m in wa.phone_view(PHONE)] == ["eco: Bom dia!"]
    other = "+5511987650002"
    started = time.perf_counter()
    await wa.post(sim.text_message(other, "quero marcar uma tosa", wa_id="wamid.AT.ONCE"))
    await wa.settle(20)
    assert [m.text for m in wa.phone_view(other)] == ["eco: quero marcar uma tosa"]
    assert time.perf_counter() - started < 0.6  # no burst wait for a request
