"""The webhook's edge: verification, signatures, size limit, malformed bodies, both shapes."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pywa_async import WhatsApp
from pywa_async.types import Message

from bot import simulator as sim
from bot.wa_types import PayloadError, parse_webhook

PHONE = "+5511987654321"


async def test_get_verification_echoes_the_challenge_only_with_the_right_token(wa):
    from bot.keys import BOT_CONFIG

    token = wa.app[BOT_CONFIG].verify_token
    q = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"}
    async with wa.session.get(wa.webhook, params=q) as resp:
        assert resp.status == 200
        assert await resp.text() == "1158201444"
    q["hub.verify_token"] = "errado"
    async with wa.session.get(wa.webhook, params=q) as resp:
        assert resp.status == 403
        assert "inválido" in (await resp.json())["erro"]


async def test_bad_or_missing_signature_is_refused_and_nothing_is_stored(wa):
    body = sim.text_message(PHONE, "oi")
    status, text = await wa.post(body, signature="sha256=" + "0" * 64)
    assert status == 401
    assert json.loads(text)["erro"] == "Assinatura inválida."
    assert (await wa.post(body, signature=None))[0] == 401
    assert (await wa.post(body, signature="md5=abc"))[0] == 401
    # Signed with another secret (another app)
    raw = json.dumps(body).encode()
    assert (await wa.post(raw, signature=sim.sign(raw, "outro-segredo")))[0] == 401
    await wa.settle()
    assert wa.messages() == []
    assert wa.rasa.turns == []
    # The same body with the right signature is accepted.
    assert (await wa.post(body))[0] == 200
    await wa.settle()
    assert len(wa.rasa.turns) == 1


async def test_signature_covers_the_exact_bytes(wa):
    raw = json.dumps(sim.text_message(PHONE, "oi")).encode()
    good = sim.sign(raw, wa.secret)
    tampered = raw.replace(b'"oi"', b'"oi!"')
    assert (await wa.post(tampered, signature=good))[0] == 401


async def test_body_over_the_limit_is_413_and_a_2_mb_body_is_fine(wa):
    big = sim.text_message(PHONE, "x" * 100)
    big["padding"] = "y" * (3 * 1024 * 1024 + 10)
    assert (await wa.post(big))[0] == 413
    ok = sim.text_message(PHONE, "oi")
    ok["padding"] = "y" * (2 * 1024 * 1024)  # Meta payloads can be large; unknown keys ignored
    assert (await wa.post(ok))[0] == 200


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b'{"object": "page", "entry": []}',
        b'{"object": "whatsapp_business_account", "entry": "x"}',
        b"\xff\xfe",
    ],
)
async def test_malformed_bodies_get_a_clear_4xx(wa, raw):
    status, text = await wa.post(raw, signature=sim.sign(raw, wa.secret))
    assert 400 <= status < 500
    assert "erro" in json.loads(text)


async def test_a_webhook_whose_only_message_is_unreadable_is_recorded_not_refused(wa):
    """A signed body is Meta's: refusing it makes Meta retry it for days. Its unreadable item
    is recorded (wainbound, conv_key "rejected") and the body acknowledged."""
    raw = (b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": '
           b'"messages", "value": {"metadata": {"phone_number_id": "1"}, "messages": '
           b'[{"id": "w"}]}}]}]}')
    status, text = await wa.post(raw, signature=sim.sign(raw, wa.secret))
    assert status == 200 and json.loads(text)["rejeitadas"] == 1
    await wa.settle()
    assert wa.messages() == [] and wa.rasa.turns == []


async def test_unknown_fields_are_acknowledged_and_ignored(wa):
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "account_update", "value": {"x": 1}}]}],
    }
    assert (await wa.post(body))[0] == 200


async def test_older_shape_without_user_id_is_accepted_although_pywa_raises_keyerror(wa):
    body = sim.text_message(PHONE, "oi", with_user_id=False)
    # pywa 4 itself cannot parse this shape (contacts[0]["user_id"]):
    client = WhatsApp(phone_id=sim.SIM_PHONE_ID, token="x")
    with pytest.raises(KeyError):
        Message.from_update(client, body)
    assert (await wa.post(body))[0] == 200
    await wa.settle()
    conv = wa.conversation(PHONE)
    assert conv is not None and conv.phone == PHONE and conv.wa_user_id is None
    assert wa.rasa.turns[0]["sender"] == PHONE
    assert wa.rasa.turns[0]["metadata"]["wa_user_id"] is None
    assert [m.text for m in wa.phone_view(PHONE)] == ["eco: oi"]


async def test_new_shape_keys_on_bsuid_and_keeps_the_phone(wa):
    body = sim.text_message(PHONE, "oi", name="Maria")
    uid = sim.bsuid_for(PHONE)
    assert (await wa.post(body))[0] == 200
    await wa.settle()
    conv = wa.conversation(uid)
    assert conv.phone == PHONE and conv.wa_user_id == uid and conv.profile_name == "Maria"
    turn = wa.rasa.turns[0]
    assert turn == {
        "sender": uid,
        "message": "oi",
        "metadata": {"phone": PHONE, "wa_user_id": uid, "profile_name": "Maria",
                     "shop_id": wa.shop_id},
    }


async def test_tutor_known_by_phone_gets_the_bsuid_and_conversation_is_rekeyed(wa):
    tutor_id = wa.add_tutor(PHONE)
    await wa.post(sim.text_message(PHONE, "oi", with_user_id=False))
    await wa.settle()
    await wa.post(sim.text_message(PHONE, "de novo"))
    await wa.settle()
    uid = sim.bsuid_for(PHONE)
    conv = wa.conversation(uid)
    assert conv is not None and conv.tutor_id == tutor_id
    assert wa.conversation(PHONE) is None  # same conversation, now keyed on the BSUID
    from sqlmodel import Session

    from scheduler_core.people.models import Tutor

    with Session(wa.engine) as s:
        tutor = s.get(Tutor, tutor_id)
        assert tutor.wa_user_id == uid and tutor.whatsapp == PHONE


# ---------------------------------------------------------------- property-based fuzzing

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)

_KEYS = ["object", "entry", "changes", "field", "value", "metadata", "phone_number_id",
         "contacts", "messages", "statuses", "from", "id", "type", "text", "body",
         "interactive", "button_reply", "list_reply", "user_id", "wa_id", "profile", "timestamp",
         "status", "from_user_id", "recipient_id", "errors", "button", "payload"]


def _mutations():
    """Valid bodies with one subtree replaced by arbitrary JSON."""
    base = st.sampled_from(
        [
            sim.text_message(PHONE, "oi", wa_id="wamid.F1"),
            sim.text_message(PHONE, "oi", with_user_id=False, wa_id="wamid.F2"),
            sim.reply_message(PHONE, "/x", "X", "list_reply", wa_id="wamid.F3"),
            sim.media_message(PHONE, "image", wa_id="wamid.F4"),
            sim.status_update("wamid.F5", "read", PHONE),
        ]
    )

    def mutate(args):
        body, path, value = args
        body = json.loads(json.dumps(body))
        node = body
        for step in path[:-1]:
            if isinstance(node, dict) and node:
                key = step if step in node else sorted(node)[hash(step) % len(node)]
                node = node[key]
            elif isinstance(node, list) and node:
                node = node[0]
        if isinstance(node, dict):
            node[path[-1]] = value
        elif isinstance(node, list) and node:
            node[0] = value
        return body

    return st.tuples(base, st.lists(st.sampled_from(_KEYS), min_size=1, max_size=8),
                     json_values).map(mutate)


def test_parser_never_raises_anything_but_payload_error():
    @settings(max_examples=400, deadline=None)
    @given(st.one_of(json_values, _mutations()))
    def check(body):
        with contextlib.suppress(PayloadError):
            parse_webhook(body)

    check()


async def test_fuzzed_bodies_never_get_a_5xx(wa):
    bodies = []

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(json_values, _mutations(), _mutations()))
    def collect(body):
        bodies.append(body)

    collect()
    for body in bodies:
        status, _ = await wa.post(body)
        assert status < 500, body
    await wa.settle(20)
    status, _ = await wa.post(sim.text_message(PHONE, "ainda vivo"))
    assert status == 200
    await wa.settle()
    assert "eco: ainda vivo" in [m.text for m in wa.phone_view(PHONE)]
