"""The simulator's chat page (pt-BR) and its JSON API; Chromium drives it through Playwright."""

from __future__ import annotations

import pytest

from bot import simulator as sim

PHONE = "+5511987654321"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def menu_bot(sender, message, md):
    if message == "/banho":
        rows = [{"title": f"Hoje às {h}:00", "payload": f"/slot_{h}", "description": "Com Ana"}
                for h in range(9, 14)]
        return [{"recipient_id": sender, "text": "Escolha o horário:", "buttons": rows}]
    if message.startswith("/slot_"):
        return [{"recipient_id": sender, "text": f"Agendado! ({message[6:]}h)"}]
    return [{"recipient_id": sender, "text": f"Olá, {md.get('profile_name')}! Como posso ajudar?",
             "buttons": [{"title": "Banho", "payload": "/banho"},
                         {"title": "Tosa", "payload": "/tosa"}]}]


async def test_page_is_served_in_portuguese(wa):
    async with wa.session.get(wa.url + "/simulador") as resp:
        assert resp.status == 200
        html = await resp.text()
    assert '<html lang="pt-BR">' in html and "Simulador de WhatsApp" in html
    assert "Abrir conversa" in html
    async with wa.session.get(wa.url + "/simulador/static/simulador.js") as resp:
        assert resp.status == 200


async def test_api_plays_the_tutor(wa):
    wa.rasa.reply = menu_bot
    async with wa.session.post(wa.url + "/simulador/api/enviar",
                               json={"telefone": "(11) 98765-4321", "nome": "Bia",
                                     "texto": "oi"}) as resp:
        assert resp.status == 200 and (await resp.json())["status_webhook"] == 200
    await wa.settle()
    async with wa.session.get(wa.url + "/simulador/api/conversa",
                              params={"telefone": PHONE}) as resp:
        msgs = (await resp.json())["mensagens"]
    assert [(m["direction"], m["text"]) for m in msgs] == [
        ("in", "oi"), ("out", "Olá, Bia! Como posso ajudar?")]
    buttons = msgs[1]["interactive"]["action"]["buttons"]
    async with wa.session.post(wa.url + "/simulador/api/enviar", json={
        "telefone": PHONE, "nome": "Bia",
        "resposta": {"id": buttons[0]["reply"]["id"], "titulo": "Banho", "tipo": "botao"},
    }) as resp:
        assert resp.status == 200
    await wa.settle()
    assert wa.rasa.turns[-1]["message"] == "/banho"
    assert wa.rasa.turns[-1]["sender"] == sim.bsuid_for(PHONE)


@pytest.mark.parametrize("body,erro", [
    ({"telefone": "123", "texto": "oi"}, "Informe um telefone"),
    ({"telefone": PHONE, "texto": "   "}, "Escreva uma mensagem"),
])
async def test_api_explains_bad_input_in_portuguese(wa, body, erro):
    async with wa.session.post(wa.url + "/simulador/api/enviar", json=body) as resp:
        assert resp.status == 400
        assert erro in (await resp.json())["erro"]


async def test_entregar_hook_delivers_duplicates_and_reorders(wa):
    bodies = [sim.text_message(PHONE, f"m{i}", timestamp=1_790_000_000 + i) for i in range(3)]
    async with wa.session.post(wa.url + "/simulador/api/entregar",
                               json={"corpos": bodies, "copias": 3, "embaralhar": True},
                               headers=wa.staff_headers()) as resp:
        assert (await resp.json())["status"] == [200] * 9
    await wa.settle()
    assert sorted(t["message"] for t in wa.rasa.turns) == ["m0", "m1", "m2"]


async def _launch():
    from playwright.async_api import async_playwright

    pw = await async_playwright().start()
    browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    return pw, browser


class ChatPage:
    """Drives the simulator page like a person: types, taps buttons and list rows."""

    def __init__(self, page):
        self.page = page

    async def open(self, url: str, name: str, phone: str) -> None:
        await self.page.goto(url + "/simulador")
        await self.page.fill("#nome", name)
        await self.page.fill("#telefone", phone)
        await self.page.click("#entrar")

    async def count_out(self) -> int:
        return await self.page.locator(".msg.out").count()

    async def wait_reply(self, before: int, contains: str | None = None,
                         timeout: float = 30_000) -> str:
        await self.page.wait_for_function(
            "n => document.querySelectorAll('.msg.out').length > n", arg=before, timeout=timeout)
        if contains:
            await self.page.locator(".msg.out", has_text=contains).last.wait_for(timeout=timeout)
        await self.page.wait_for_timeout(150)  # the rest of a multi-message reply
        return await self.page.locator(".msg.out").last.inner_text()

    async def say(self, text: str, expect: str | None = None) -> str:
        before = await self.count_out()
        await self.page.fill("#texto", text)
        await self.page.press("#texto", "Enter")
        return await self.wait_reply(before, expect)

    async def choices(self) -> list[str]:
        """Titles offered by the last bot menu (reply buttons, or the rows of its list)."""
        last = self.page.locator(".choices").last
        if await last.count() == 0:
            return []
        buttons = await last.locator(".choice").all_inner_texts()
        if len(buttons) == 1 and buttons[0].startswith("☰"):
            await last.locator(".choice").click()
            rows = await self.page.locator("#lista-linhas .t").all_inner_texts()
            await self.page.click("#fechar-lista")
            return rows
        return buttons

    async def tap(self, title: str, expect: str | None = None) -> str:
        before = await self.count_out()
        last = self.page.locator(".choices").last
        button = last.locator(".choice", has_text=title)
        if await button.count():
            await button.first.click()
        else:
            await last.locator(".choice").click()  # "☰ Ver opções" opens the list
            await self.page.locator("#lista-linhas button", has_text=title).first.click()
        return await self.wait_reply(before, expect)

    async def transcript(self) -> list[str]:
        return await self.page.locator(".msg").all_inner_texts()


@pytest.mark.browser
async def test_chromium_tutor_types_taps_a_button_and_a_list_row(wa):
    wa.rasa.reply = menu_bot
    pw, browser = await _launch()
    try:
        page = await browser.new_page()
        chat = ChatPage(page)
        await chat.open(wa.url, "Bia", "+55 11 98765-4321")
        reply = await chat.say("oi", "Como posso ajudar")
        assert "Olá, Bia!" in reply
        assert await chat.choices() == ["Banho", "Tosa"]
        reply = await chat.tap("Banho", "Escolha o horário")
        rows = await chat.choices()
        assert rows == [f"Hoje às {h}:00" for h in range(9, 14)]
        reply = await chat.tap("Hoje às 11:00", "Agendado")
        assert reply.startswith("Agendado! (11h)")
        assert [t["message"] for t in wa.rasa.turns] == ["oi", "/banho", "/slot_11"]
        await wa.settle()
        statuses = {m.status for m in wa.messages("bot")}
        assert statuses == {"read"}  # the page showed them: blue ticks
    finally:
        await browser.close()
        await pw.stop()
