"""Every inbound kind, reply rendering (buttons, lists, pages, numbered text) and limits."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot import render as rnd
from bot import simulator as sim
from bot.models import Author, WaMessage

PHONE = "+5511987654321"


def _menu(n: int, title_len: int = 10) -> list[dict]:
    return [
        {"title": f"Opção {i:02d} " + "x" * max(0, title_len - 9), "payload": f'/op{{"i":{i}}}'}
        for i in range(1, n + 1)
    ]


# ------------------------------------------------------------------ pure rendering rules


def test_three_short_buttons_become_reply_buttons():
    r = rnd.render([{"text": "Qual serviço?", "buttons": _menu(3)}])
    [out] = r.messages
    assert isinstance(out, rnd.ButtonsOut) and len(out.buttons) == 3
    assert [b.id for b in out.buttons] == [b["payload"] for b in _menu(3)]


@pytest.mark.parametrize("buttons", [_menu(4), _menu(2, title_len=21)])
def test_four_buttons_or_a_long_title_become_a_list(buttons):
    [out] = rnd.render([{"text": "Escolha", "buttons": buttons}]).messages
    assert isinstance(out, rnd.ListOut)
    assert all(len(r.title) <= rnd.ROW_TITLE for r in out.rows)


def test_long_row_title_is_cut_at_a_word_and_the_rest_moves_to_the_description():
    title = "Banho e tosa higiênica completa com hidratação"
    [out] = rnd.render([{"text": "x", "buttons": [
        {"title": title, "payload": "/a", "description": "R$ 80,00"},
        {"title": "b", "payload": "/b"}, {"title": "c", "payload": "/c"},
        {"title": "d", "payload": "/d"}]}]).messages
    row = out.rows[0]
    assert len(row.title) <= 24 and row.title.endswith("…")
    assert title.startswith(row.title[:-1])
    assert row.description.startswith("…") and "R$ 80,00" in row.description
    assert len(row.description) <= 72
    words = (row.title[:-1] + " " + row.description[1:]).split()
    assert words[: len(title.split())] == title.split()


def test_more_than_ten_choices_are_paged_nine_plus_mais_opcoes():
    r = rnd.render([{"text": "Horários", "buttons": _menu(23)}])
    [first] = r.messages
    assert len(first.rows) == 10 and first.rows[-1].title == "Mais opções"
    assert [len(p) for p in r.pending_pages] == [9, 5]
    page2, rest = rnd.next_page(r.pending_pages)
    assert len(page2.rows) == 10 and page2.rows[-1].id == rnd.MORE_ID
    page3, rest = rnd.next_page(rest)
    assert len(page3.rows) == 5 and rest == []


def test_exactly_ten_choices_fit_one_list():
    r = rnd.render([{"text": "x", "buttons": _menu(10)}])
    assert len(r.messages[0].rows) == 10 and r.pending_pages == []


def test_long_payloads_get_short_ids_that_map_back():
    payload = "/informar" + '{"slot":"' + "z" * 300 + '"}'
    seen = {}

    def id_for(p):
        rid = rnd.default_id_for(p)
        seen[rid] = p
        return rid

    [out] = rnd.render([{"text": "x", "buttons": [{"title": "A", "payload": payload}]}],
                       id_for).messages
    rid = out.buttons[0].id
    assert rid.startswith("p:") and len(rid) <= 200 and seen[rid] == payload


def test_custom_list_and_handoff():
    r = rnd.render([
        {"text": "Vou chamar um atendente."},
        {"custom": {"handoff": {"reason": "raça não aceita"}}},
    ])
    assert [m.body for m in r.messages] == ["Vou chamar um atendente."]
    assert r.handoff_reason == "raça não aceita"
    r = rnd.render([{"text": "Pets", "custom": {"list": {"button": "Ver pets", "rows": [
        {"title": "Rex", "description": "Cão", "payload": "/pet1"}]}}}])
    [out] = r.messages
    assert isinstance(out, rnd.ListOut) and out.button == "Ver pets" and out.rows[0].id == "/pet1"


# ------------------------------------------------------------------ through the app


async def _turn(wa, body):
    assert (await wa.post(body))[0] == 200
    await wa.settle()


async def test_text_button_and_list_replies_reach_rasa_as_payloads(wa):
    long_payload = "/escolher" + '{"horario":"' + "9" * 250 + '"}'

    def reply(sender, message, md):
        if message == "oi":
            buttons = [{"title": "Banho", "payload": "/banho"},
                       {"title": "Longo", "payload": long_payload}]
            return [{"recipient_id": sender, "text": "Olá! Escolha:", "buttons": buttons}]
        return [{"recipient_id": sender, "text": f"ok {message[:20]}"}]

    wa.rasa.reply = reply
    await _turn(wa, sim.text_message(PHONE, "oi"))
    [menu] = wa.phone_view(PHONE)
    ids = [b["reply"]["id"] for b in menu.interactive["action"]["buttons"]]
    assert ids[0] == "/banho" and ids[1].startswith("p:")
    await _turn(wa, sim.reply_message(PHONE, ids[0], "Banho", "button_reply"))
    await _turn(wa, sim.reply_message(PHONE, ids[1], "Longo", "list_reply"))
    assert [t["message"] for t in wa.rasa.turns] == ["oi", "/banho", long_payload]
    with Session(wa.engine) as s:
        tutor = s.exec(select(WaMessage).where(WaMessage.author == Author.TUTOR)
                       .order_by(WaMessage.id)).all()
        assert [m.payload for m in tutor] == [None, "/banho", long_payload]
        assert tutor[1].text == "Banho"


async def test_template_quick_reply_button_reaches_rasa_as_its_payload(wa):
    body = sim.envelope({
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": "5511987654321"}],
        "messages": [{"context": {"from": "5511900000000", "id": "wamid.T"},
                      "from": "5511987654321", "id": "wamid.BTN1", "timestamp": "1790000000",
                      "type": "button", "button": {"payload": "/confirmar", "text": "Confirmar"}}],
    })
    await _turn(wa, body)
    assert wa.rasa.turns[0]["message"] == "/confirmar"


@pytest.mark.parametrize("kind", sorted(set(sim.MEDIA_SAMPLES) - {"reaction"}))
async def test_media_gets_a_polite_answer_and_never_reaches_rasa(wa, kind):
    # (reactions get no answer at all: tests/bot/test_turns.py)
    await _turn(wa, sim.media_message(PHONE, kind))
    assert wa.rasa.turns == []
    [answer] = wa.phone_view(PHONE)
    assert "só mensagens de texto e os botões" in answer.text
    [tutor] = wa.messages(Author.TUTOR)
    assert tutor.kind == kind and tutor.text.startswith("[")


async def test_long_menu_is_paged_and_mais_opcoes_shows_the_next_page(wa):
    wa.rasa.reply = lambda s, m, md: [{"text": "Horários:", "buttons": _menu(14)}]
    await _turn(wa, sim.text_message(PHONE, "horarios"))
    [first] = wa.phone_view(PHONE)
    rows = first.interactive["action"]["sections"][0]["rows"]
    assert len(rows) == 10 and rows[-1]["title"] == "Mais opções"
    await _turn(wa, sim.reply_message(PHONE, rows[-1]["id"], "Mais opções", "list_reply"))
    assert len(wa.rasa.turns) == 1  # paging is the gateway's job
    second = wa.phone_view(PHONE)[1]
    rows2 = second.interactive["action"]["sections"][0]["rows"]
    assert [r["title"] for r in rows2] == [f"Opção {i:02d} x" for i in range(10, 15)]
    await _turn(wa, sim.reply_message(PHONE, rows2[0]["id"], rows2[0]["title"], "list_reply"))
    assert wa.rasa.turns[-1]["message"] == '/op{"i":10}'


async def test_refused_interactive_falls_back_to_numbered_text_and_numbers_work(wa):
    wa.rasa.reply = lambda s, m, md: (
        [{"text": "Qual pet?", "buttons": [{"title": "Rex", "payload": "/rex"},
                                           {"title": "Mel", "payload": "/mel"}]}]
        if m == "oi" else [{"text": f"escolheu {m}"}]
    )
    # Meta refuses the interactive message (e.g. interactive not allowed): 131009.
    async with wa.session.post(wa.url + "/simulador/api/falhas",
                               json={"status": 400, "code": 131009, "vezes": 1},
                               headers=wa.staff_headers()) as resp:
        assert resp.status == 200
    await _turn(wa, sim.text_message(PHONE, "oi"))
    [numbered] = wa.phone_view(PHONE)
    assert numbered.type == "text"
    assert "1. Rex" in numbered.text and "2. Mel" in numbered.text
    await _turn(wa, sim.text_message(PHONE, "2"))
    assert wa.rasa.turns[-1]["message"] == "/mel"


async def test_simulator_refuses_what_meta_refuses(wa):
    url = wa.url + "/v23.0/" + sim.SIM_PHONE_ID + "/messages"
    auth = {"Authorization": "Bearer " + wa.gateway.config.token}

    def buttons(n, title="Ok"):
        return {"messaging_product": "whatsapp", "to": "5511987654321", "type": "interactive",
                "interactive": {"type": "button", "body": {"text": "x"}, "action": {"buttons": [
                    {"type": "reply", "reply": {"id": f"b{i}", "title": f"{title}{i}"}}
                    for i in range(n)]}}}

    def listing(n, title="Linha"):
        return {"messaging_product": "whatsapp", "to": "5511987654321", "type": "interactive",
                "interactive": {"type": "list", "body": {"text": "x"}, "action": {
                    "button": "Ver", "sections": [{"title": "S", "rows": [
                        {"id": f"r{i}", "title": f"{title}{i}"} for i in range(n)]}]}}}

    cases = [
        (buttons(4), "Buttons count invalid"),
        (buttons(1, "x" * 20), "Button title length invalid"),
        (listing(11), "Total row count exceed"),
        (listing(1, "y" * 24), "Row title length invalid"),
    ]
    for body, detail in cases:
        async with wa.session.post(url, json=body, headers=auth) as resp:
            assert resp.status == 400
            err = (await resp.json())["error"]
            assert err["code"] == 131009 and detail in err["error_data"]["details"]
            assert err["type"] == "OAuthException" and err["fbtrace_id"]
    async with wa.session.post(url, json=buttons(3), headers=auth) as resp:
        data = await resp.json()
        assert data["messaging_product"] == "whatsapp"
        assert data["messages"][0]["id"].startswith("wamid.")
        assert data["contacts"][0]["wa_id"] == "5511987654321"
    async with wa.session.post(url, json=buttons(3), headers={"Authorization": "Bearer x"}) as r:
        assert r.status == 401 and (await r.json())["error"]["code"] == 190


async def test_unsupported_message_type_gets_the_polite_answer(wa):
    body = sim.envelope({
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": "5511987654321"}],
        "messages": [{"from": "5511987654321", "id": "wamid.UNSUP", "timestamp": "1790000000",
                      "type": "unsupported",
                      "errors": [{"code": 131051, "title": "Message type unknown"}]}],
    })
    await _turn(wa, body)
    assert wa.rasa.turns == []
    assert "só mensagens de texto" in wa.phone_view("+5511987654321")[0].text


def test_a_bot_option_s_long_description_reaches_the_phone_cut_at_a_word():
    """The dialogue hands whole titles and descriptions over (actions.flow.button); only the
    renderer cuts, at a word: once "10% mais bara" reached the tutor."""
    from actions.flow import button

    description = "R$ 90,00 · Pacote com banho e hidratação, 10% mais barato que os dois avulsos"
    options = [button("Banho + Hidratação", "combo:1", description),
               button("Banho", "svc:1"), button("Tosa", "svc:2"), button("Unhas", "svc:3")]
    assert options[0]["description"] == description
    [out] = rnd.render([{"text": "Qual serviço?", "buttons": options}]).messages
    row = out.rows[0]
    assert len(row.description) <= rnd.ROW_DESCRIPTION and row.description.endswith("…")
    assert description.startswith(row.description[:-1])
    assert description[len(row.description) - 1] == " "  # the cut falls between two words
