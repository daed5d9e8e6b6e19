"""No reply spam: reactions, removed reactions, deletions and edits get no answer; other kinds
the bot cannot read get at most one polite notice per conversation every five minutes."""

from __future__ import annotations

from bot import simulator as sim
from bot.models import Author

PHONE = "+5511987654321"


def _kind(kind: str, content: dict | None, **kw) -> dict:
    body = {"type": kind}
    if content is not None:
        body[kind] = content
    return sim._message(PHONE, "Ana", body, **kw)


SILENT = {
    "reaction": _kind("reaction", {"message_id": "wamid.BOT1", "emoji": "👍"}),
    "unreaction_empty": _kind("reaction", {"message_id": "wamid.BOT1", "emoji": ""}),
    "unreaction_no_emoji": _kind("reaction", {"message_id": "wamid.BOT1"}),
    "revoke": _kind("revoke", {"original_message_id": "wamid.TUTOR1"}),
    "edit": _kind("edit", {"original_message_id": "wamid.TUTOR1",
                           "message": {"type": "text", "text": {"body": "quero tosa"}}}),
    "unsupported_edit": {**_kind("unsupported", {"type": "edit"})},
}

OTHERS = {
    "location": _kind("location", {"latitude": -23.55, "longitude": -46.63}),
    "contacts": _kind("contacts", [{"name": {"formatted_name": "Carla"},
                                    "phones": [{"phone": "+55 11 95555-0000"}]}]),
    "order": _kind("order", {"catalog_id": "1", "text": "", "product_items": [
        {"product_retailer_id": "RACAO", "quantity": 1, "item_price": 90, "currency": "BRL"}]}),
    "image": sim.media_message(PHONE, "image"),
    "unsupported": _kind("unsupported", None),
}


async def _send_all(wa, bodies) -> None:
    for body in bodies:
        assert (await wa.post(body))[0] == 200
        await wa.settle()


async def test_reactions_removed_reactions_deletions_and_edits_get_no_reply(wa):
    await _send_all(wa, SILENT.values())
    assert wa.phone_view(PHONE) == []
    assert wa.rasa.turns == []
    stored = wa.messages(Author.TUTOR)  # staff still see each event in the conversation
    assert [m.text for m in stored] == ["👍", "[reação removida]", "[reação removida]",
                                        "[mensagem apagada]", "[mensagem editada] quero tosa",
                                        "[mensagem editada]"]


async def test_five_unreadable_kinds_in_a_row_get_one_notice_then_one_more_after_5_minutes(wa):
    await _send_all(wa, OTHERS.values())
    [notice] = wa.phone_view(PHONE)
    assert "só mensagens de texto e os botões" in notice.text
    assert wa.rasa.turns == []
    assert len(wa.messages(Author.TUTOR)) == 5
    wa.clock.advance(minutes=4, seconds=59)
    await _send_all(wa, [_kind("location", {"latitude": -23.5, "longitude": -46.6})])
    assert len(wa.phone_view(PHONE)) == 1
    wa.clock.advance(seconds=2)
    await _send_all(wa, [sim.media_message(PHONE, "audio")])
    assert len(wa.phone_view(PHONE)) == 2


async def test_the_notice_window_is_per_conversation(wa):
    other = "+5521988887777"
    await _send_all(wa, [OTHERS["location"], sim.media_message(other, "image"),
                         sim.media_message(PHONE, "sticker")])
    assert len(wa.phone_view(PHONE)) == 1
    assert len(wa.phone_view(other)) == 1
