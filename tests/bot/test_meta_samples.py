"""Payload samples in the shapes Meta documents (messages webhook reference), end to end.

Text sample: developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/
reference/messages ("Incoming messages"); BSUID fields (contacts[].user_id, from_user_id,
recipient_user_id, profile.username; wa_id/from omitted when the phone is unavailable) from the
same reference's current syntax.
"""

from __future__ import annotations

import pytest

from bot.models import Author
from bot.wa_types import parse_webhook

META_TEXT = {
    "object": "whatsapp_business_account",
    "entry": [{
        "id": "102290129340398",
        "changes": [{
            "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881",
                             "phone_number_id": "106540352242922"},
                "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
                "messages": [{
                    "from": "16505551234",
                    "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                    "timestamp": "1749416383",
                    "type": "text",
                    "text": {"body": "Does it come in another color?"},
                }],
            },
            "field": "messages",
        }],
    }],
}


def _value(messages=None, contacts=None, statuses=None):
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550783881",
                          "phone_number_id": "106540352242922"}}
    if contacts is not None:
        value["contacts"] = contacts
    if messages is not None:
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"value": value,
                                                             "field": "messages"}]}]}


BSUID = "US.13491208655302741918"

META_BSUID_USERNAME_ONLY = _value(
    contacts=[{"profile": {"name": "Sheena Nelson", "username": "@sheena"}, "user_id": BSUID}],
    messages=[{"from_user_id": BSUID, "id": "wamid.BSUID1", "timestamp": "1749416383",
               "type": "text", "text": {"body": "Oi!"}}],
)

META_BSUID_WITH_PHONE = _value(
    contacts=[{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234", "user_id": BSUID}],
    messages=[{"from": "16505551234", "from_user_id": BSUID, "id": "wamid.BSUID2",
               "timestamp": "1749416384", "type": "text", "text": {"body": "Oi de novo"}}],
)

META_BUTTON_REPLY = _value(
    contacts=[{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
    messages=[{"context": {"from": "15550783881", "id": "wamid.CTX"},
               "from": "16505551234", "id": "wamid.BTNREPLY", "timestamp": "1749416385",
               "type": "interactive",
               "interactive": {"type": "button_reply",
                               "button_reply": {"id": "/confirmar", "title": "Confirmar"}}}],
)

META_LIST_REPLY = _value(
    contacts=[{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
    messages=[{"context": {"from": "15550783881", "id": "wamid.CTX"},
               "from": "16505551234", "id": "wamid.LISTREPLY", "timestamp": "1749416386",
               "type": "interactive",
               "interactive": {"type": "list_reply",
                               "list_reply": {"id": "/horario_1000", "title": "10:00",
                                              "description": "Sexta, 15/05"}}}],
)

META_STATUS_SENT = _value(statuses=[{
    "id": "wamid.OUT1", "status": "sent", "timestamp": "1749416390",
    "recipient_id": "16505551234", "recipient_user_id": BSUID,
    "conversation": {"id": "CONVERSATION_ID", "origin": {"type": "service"}},
    "pricing": {"billable": False, "pricing_model": "PMP", "category": "service",
                "type": "free_customer_service"},
}])

META_STATUS_FAILED = _value(statuses=[{
    "id": "wamid.OUT1", "status": "failed", "timestamp": "1749416391",
    "recipient_id": "16505551234",
    "errors": [{"code": 131026, "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": {"details": "Message Undeliverable."},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}],
}])

META_SYSTEM = _value(messages=[{
    "from": "16505551234", "id": "wamid.SYS", "timestamp": "1749416392", "type": "system",
    "system": {"body": "User Sheena changed from 16505551234 to 16505559999",
               "wa_id": "16505559999", "type": "user_changed_number"},
}])


def test_parser_reads_every_documented_shape():
    [m] = parse_webhook(META_TEXT).messages
    assert (m.phone, m.user_id, m.profile_name, m.text) == (
        "+16505551234", None, "Sheena Nelson", "Does it come in another color?")
    assert m.business_phone_id == "106540352242922" and m.timestamp == 1749416383
    [m] = parse_webhook(META_BSUID_USERNAME_ONLY).messages
    assert (m.phone, m.user_id, m.tutor_key) == (None, BSUID, BSUID)
    [m] = parse_webhook(META_BSUID_WITH_PHONE).messages
    assert (m.phone, m.user_id, m.tutor_key) == ("+16505551234", BSUID, BSUID)
    [m] = parse_webhook(META_BUTTON_REPLY).messages
    assert (m.kind, m.reply_id, m.reply_title) == ("interactive", "/confirmar", "Confirmar")
    [m] = parse_webhook(META_LIST_REPLY).messages
    assert (m.reply_id, m.text) == ("/horario_1000", "10:00")
    [s] = parse_webhook(META_STATUS_SENT).statuses
    assert (s.status, s.recipient_phone, s.recipient_user_id) == ("sent", "+16505551234", BSUID)
    [s] = parse_webhook(META_STATUS_FAILED).statuses
    assert s.error == "131026 Message undeliverable"
    [m] = parse_webhook(META_SYSTEM).messages
    assert m.kind == "system"


@pytest.fixture
def live_on_meta_number(wa):
    wa.set_mode("live")
    wa.gateway.config.api_base = wa.gateway.config.public_url  # the simulator plays Meta
    return wa


async def test_documented_samples_end_to_end(live_on_meta_number):
    wa = live_on_meta_number
    for sample in (META_TEXT, META_BUTTON_REPLY, META_LIST_REPLY, META_BSUID_USERNAME_ONLY,
                   META_BSUID_WITH_PHONE, META_SYSTEM, META_STATUS_SENT, META_STATUS_FAILED):
        assert (await wa.post(sample))[0] == 200
        await wa.settle()
    messages = [t["message"] for t in wa.rasa.turns]
    assert messages == ["Does it come in another color?", "/confirmar", "/horario_1000",
                        "Oi!", "Oi de novo"]
    senders = [t["sender"] for t in wa.rasa.turns]
    assert senders == ["+16505551234"] * 3 + [BSUID] * 2
    # the username-only tutor is answered on the BSUID ("recipient"), the others on "to"
    sends = [r for r in wa.sim.requests if r.get("type") == "text"]
    assert [r.get("to") or r.get("recipient") for r in sends] == [
        "+16505551234", "+16505551234", "+16505551234", BSUID, BSUID]
    assert len(wa.messages(Author.TUTOR)) == 6  # the system notice is stored, not answered
