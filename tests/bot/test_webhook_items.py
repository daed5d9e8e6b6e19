"""Each webhook item on its own: a bad one is recorded and skipped, never poisons its neighbours
(in the same body or in the same group commit); text is capped at WhatsApp's 4,096 characters."""

from __future__ import annotations

import asyncio
import json

from sqlmodel import Session, select

from bot import simulator as sim
from bot.models import Author, WaInbound, WaMessage

PHONE = "+5511987654321"


def _rejected(wa) -> list[WaInbound]:
    """The items the gateway refused, as devs find them: ``wainbound`` rows "rejected:…"."""
    with Session(wa.engine) as s:
        return list(s.exec(select(WaInbound).where(WaInbound.wa_id.like("rejected:%"))
                           .order_by(WaInbound.id)).all())


def _two_messages(first: dict, second: dict) -> dict:
    """One body carrying two tutors' messages in the same ``value``."""
    body = sim.text_message("+5511911110001", "oi")
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": "Ana"}, "wa_id": first["from"]},
                         {"profile": {"name": "Bia"}, "wa_id": second["from"]}]
    value["messages"] = [first, second]
    return body


async def test_overflowing_timestamp_is_recorded_and_the_30_webhooks_beside_it_are_kept(wa_db):
    wa = wa_db
    good = [sim.text_message(f"+55119000100{i:02d}", f"oi {i}", wa_id=f"wamid.GOOD{i}")
            for i in range(30)]
    poison = sim.text_message(PHONE, "veneno", wa_id="wamid.POISON")
    poison["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = 99999999999999999999
    # All 31 arrive together: the group commit stores them in one transaction.
    statuses = await asyncio.gather(*(wa.post(b) for b in [*good[:15], poison, *good[15:]]))
    assert [s for s, _ in statuses] == [200] * 31
    await wa.settle(20)
    assert sorted(t["message"] for t in wa.rasa.turns) == sorted(f"oi {i}" for i in range(30))
    for i in range(30):
        assert [m.text for m in wa.phone_view(f"+55119000100{i:02d}")] == [f"eco: oi {i}"]
    [rej] = _rejected(wa)
    assert rej.data["wa_id"] == "wamid.POISON" and "timestamp" in rej.error
    assert wa.phone_view(PHONE) == []
    # Meta retries the poison for days: each retry is acknowledged, recorded once, never answered.
    for _ in range(3):
        status, text = await wa.post(poison)
        assert status == 200 and json.loads(text)["rejeitadas"] == 1
    await wa.settle()
    assert len(_rejected(wa)) == 1 and wa.pending() == 0 and len(wa.rasa.turns) == 30


async def test_timestamp_beyond_2038_is_stored_and_answered(wa_db):
    """PostgreSQL's 32-bit INTEGER ends in January 2038; the column is a BIGINT, so a message
    stamped in 2065 is answered like any other (more than 10 digits is still refused)."""
    wa = wa_db
    later = sim.text_message(PHONE, "futuro", wa_id="wamid.FUTURE")
    later["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = "3000000000"
    absurd = sim.text_message("+5511911110002", "absurdo", wa_id="wamid.ABSURD")
    absurd["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = "30000000000"
    assert (await wa.post(later))[0] == 200
    assert (await wa.post(absurd))[0] == 200
    await wa.settle()
    assert [t["message"] for t in wa.rasa.turns] == ["futuro"]
    assert [m.text for m in wa.phone_view(PHONE)] == ["eco: futuro"]
    [rej] = _rejected(wa)
    assert rej.data["wa_id"] == "wamid.ABSURD"


async def test_body_nested_10000_deep_is_a_400_not_a_503(wa):
    for raw in (b"[" * 10_000 + b"]" * 10_000,
                b'{"object": "whatsapp_business_account", "entry": ' + b"[" * 10_000
                + b"]" * 10_000 + b"}"):
        status, text = await wa.post(raw, signature=sim.sign(raw, wa.secret))
        assert status == 400
        assert json.loads(text)["erro"] == "Conteúdo do webhook não reconhecido."
    assert (await wa.post(sim.text_message(PHONE, "ainda aqui")))[0] == 200
    await wa.settle()
    assert [m.text for m in wa.phone_view(PHONE)] == ["eco: ainda aqui"]


async def test_interactive_without_its_object_and_meta_error_is_kept_beside_a_good_message(wa_db):
    """Meta's own shape (in pywa's test data): ``type: interactive`` with no ``interactive``
    object and ``errors: [131000]`` on the value. It is a real tutor's message: stored for the
    staff, with Meta's error, and the other message of the body is answered normally."""
    wa = wa_db
    text = {"from": "5511911110001", "id": "wamid.BESIDE", "timestamp": "1790000000",
            "type": "text", "text": {"body": "quero banho"}}
    broken = {"context": {"from": sim.SIM_DISPLAY_PHONE, "id": "wamid.CTX"},
              "from": "5511911110002", "id": "wamid.NOINTERACTIVE", "timestamp": "1790000001",
              "type": "interactive"}
    body = _two_messages(text, broken)
    body["entry"][0]["changes"][0]["value"]["errors"] = [{
        "code": 131000, "title": "Something went wrong", "message": "Something went wrong",
        "error_data": {"details": "Unsupported webhook payload"}}]
    status, answer = await wa.post(body)
    assert status == 200 and json.loads(answer)["novas"] == 2
    await wa.settle()
    assert [t["message"] for t in wa.rasa.turns] == ["quero banho"]
    assert [m.text for m in wa.phone_view("+5511911110001")] == ["eco: quero banho"]
    with Session(wa.engine) as s:
        row = s.exec(select(WaMessage).where(WaMessage.wa_id == "wamid.NOINTERACTIVE")).one()
    assert row.author == Author.TUTOR and row.kind == "unsupported"
    assert "131000" in row.error
    [notice] = wa.phone_view("+5511911110002")  # one polite notice, nothing reaches the engine
    assert "só mensagens de texto" in notice.text


async def test_a_malformed_message_is_recorded_and_its_neighbour_in_the_body_is_answered(wa_db):
    wa = wa_db
    good = {"from": "5511911110001", "id": "wamid.OK1", "timestamp": "1790000000",
            "type": "text", "text": {"body": "oi"}}
    bad = {"from": "5511911110002", "id": "wamid.BAD1", "timestamp": "1790000000",
           "type": "text", "text": {"body": {"not": "a string"}}}
    status, answer = await wa.post(_two_messages(bad, good))
    assert status == 200
    assert json.loads(answer)["novas"] == 1 and json.loads(answer)["rejeitadas"] == 1
    await wa.settle()
    assert [t["message"] for t in wa.rasa.turns] == ["oi"]
    [rej] = _rejected(wa)
    assert rej.data["wa_id"] == "wamid.BAD1" and "text.body" in rej.error
    assert "not" in rej.data["raw"]  # the item as Meta sent it, for whoever investigates


async def test_lone_surrogates_and_nul_in_text_are_answered_on_both_databases(wa_db):
    wa = wa_db
    raw = json.dumps(sim.text_message(PHONE, "PLACEHOLDER")).replace(
        "PLACEHOLDER", "oi \\ud800 a\\u0000b").encode()
    neighbour = sim.text_message("+5511911110003", "vizinho")
    statuses = await asyncio.gather(wa.post(raw, signature=sim.sign(raw, wa.secret)),
                                    wa.post(neighbour))
    assert [s for s, _ in statuses] == [200, 200]
    await wa.settle()
    assert sorted(t["message"] for t in wa.rasa.turns) == ["oi \ufffd ab", "vizinho"]
    assert [m.text for m in wa.phone_view(PHONE)] == ["eco: oi \ufffd ab"]


async def test_100000_character_text_reaches_the_engine_cut_at_4096(wa):
    """WhatsApp itself caps a text at 4,096 characters; anything longer is cut there before
    the engine (whose memory grew to 13.5 GB on 100,000) and processed as usual."""
    long_text = ("Meu cachorro precisa de banho. " * 4000)[:100_000]
    assert (await wa.post(sim.text_message(PHONE, long_text)))[0] == 200
    await wa.settle()
    [turn] = wa.rasa.turns
    assert turn["message"] == long_text[:4096]
    [stored] = wa.messages(Author.TUTOR)
    assert stored.text == long_text[:4096]
    [reply] = wa.phone_view(PHONE)
    assert reply.text.startswith("eco: Meu cachorro")
