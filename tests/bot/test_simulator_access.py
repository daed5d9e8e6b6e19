"""Who may use the WhatsApp simulator.

It exists only on the embedded default (WHATSAPP_API_BASE=simulator). There, its chat page and
its two calls are open to a browser on this machine (demos) and to signed-in staff; its test
hooks need the panel's login wherever the caller is; its Graph API endpoint needs the app's own
access token, never a well-known one.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from bot import simulator as sim
from bot.models import WaInbound

from .conftest import start_wa, stop_wa

PHONE = "+5511987654321"


def _inbound(wa) -> int:
    with Session(wa.engine) as s:
        return len(s.exec(select(WaInbound)).all())


@pytest.mark.parametrize("base", ["meta", "https://graph.example.com"])
async def test_a_deployment_on_meta_has_no_simulator(sqlite_engine, sqlite_url, fake_rasa,
                                                     clock, monkeypatch, base):
    monkeypatch.setenv("WHATSAPP_API_BASE", base)
    wa = await start_wa(sqlite_engine, sqlite_url, fake_rasa, clock)
    try:
        wa.set_mode("off")
        body = {"corpos": [sim.text_message(PHONE, "sou outro tutor")]}
        calls = [
            ("GET", "/simulador", None, {}),
            ("GET", "/simulador/static/simulador.js", None, {}),
            ("POST", "/simulador/api/enviar", {"telefone": PHONE, "texto": "oi"}, {}),
            ("GET", "/simulador/api/conversa?telefone=" + PHONE, None, {}),
            ("POST", "/simulador/api/entregar", body, wa.staff_headers()),
            ("POST", "/simulador/api/falhas", {"status": 500}, wa.staff_headers()),
            ("POST", f"/v23.0/{sim.SIM_PHONE_ID}/messages",
             {"messaging_product": "whatsapp", "to": "5511987654321", "type": "text",
              "text": {"body": "mensagem falsa da loja"}},
             {"Authorization": "Bearer simulador"}),
        ]
        for method, path, payload, headers in calls:
            async with wa.session.request(method, wa.url + path, json=payload,
                                          headers=headers) as resp:
                assert resp.status == 404, (path, resp.status)
        assert _inbound(wa) == 0
        # The real webhook is still there.
        status, _ = await wa.post(sim.text_message(PHONE, "oi"))
        assert status == 200 and _inbound(wa) == 1
        # The bot settings say what the "Simulação" mode means here.
        async with wa.session.get(wa.url + "/admin/config/robo",
                                  headers=wa.staff_headers()) as resp:
            html = await resp.text()
        assert "não tem simulador" in html and 'href="/simulador"' not in html
    finally:
        await stop_wa(wa)


async def test_bot_settings_link_the_simulator_for_the_simulation_mode(wa):
    async with wa.session.get(wa.url + "/admin/config/robo", headers=wa.staff_headers()) as resp:
        html = await resp.text()
    assert 'responde só no <a href="/simulador">simulador de WhatsApp</a>' in html


async def test_test_hooks_need_the_panel_login_even_on_this_machine(wa):
    forged = sim.text_message(PHONE, "cancele todos os meus banhos", name="Outra Pessoa")
    async with wa.session.post(wa.url + "/simulador/api/entregar",
                               json={"corpos": [forged]}) as resp:
        assert resp.status == 401
        assert "Entre no painel" in (await resp.json())["erro"]
    async with wa.session.post(wa.url + "/simulador/api/falhas",
                               json={"status": 500, "vezes": 10}) as resp:
        assert resp.status == 401
    async with wa.session.post(wa.url + "/simulador/api/entregar", json={"corpos": [forged]},
                               headers={"Cookie": "petbot_session=inventado"}) as resp:
        assert resp.status == 401
    await wa.settle()
    assert _inbound(wa) == 0 and wa.rasa.turns == []
    # Sends still work: the refused "falhas" call made nothing fail.
    await wa.post(sim.text_message(PHONE, "oi"))
    await wa.settle()
    assert [m.text for m in wa.phone_view(PHONE)] == ["eco: oi"]
    # Signed in, the same hook delivers.
    async with wa.session.post(wa.url + "/simulador/api/entregar", json={"corpos": [forged]},
                               headers=wa.staff_headers()) as resp:
        assert resp.status == 200 and (await resp.json())["status"] == [200]
    await wa.settle()
    assert wa.rasa.turns[-1]["message"] == "cancele todos os meus banhos"


async def test_graph_endpoint_refuses_the_well_known_token(wa):
    send = {"messaging_product": "whatsapp", "to": "5511987654321", "type": "text",
            "text": {"body": "Seu pet está pronto, pague aqui: http://golpe.example"}}
    url = wa.url + f"/v23.0/{sim.SIM_PHONE_ID}/messages"
    for token in ("simulador", "", wa.gateway.config.token + "x"):
        async with wa.session.post(url, json=send,
                                   headers={"Authorization": f"Bearer {token}"}) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"]["code"] == 190
    assert wa.phone_view(PHONE) == []
    assert wa.gateway.config.token not in ("simulador", "")


# Requests that reach this machine's port but not from a browser on it: through a reverse proxy
# (not declared in TRUSTED_PROXIES), or under another host name (remote access, DNS rebinding).
NOT_LOCAL = [{"X-Forwarded-For": "203.0.113.9"}, {"Host": "petshop.example.com"},
             {"Forwarded": "for=203.0.113.9"}]


@pytest.mark.parametrize("headers", NOT_LOCAL)
async def test_chat_page_and_its_calls_need_the_login_off_this_machine(wa, headers):
    await wa.post(sim.text_message(PHONE, "meu endereço é Rua X, 10"))
    await wa.settle()
    async with wa.session.get(wa.url + "/simulador", headers=headers,
                              allow_redirects=False) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == "/admin/login?next=/simulador"
    async with wa.session.get(wa.url + "/simulador/api/conversa", params={"telefone": PHONE},
                              headers=headers) as resp:
        assert resp.status == 401
        assert "Rua X" not in await resp.text()
    async with wa.session.post(wa.url + "/simulador/api/enviar", headers=headers,
                               json={"telefone": PHONE, "texto": "sou o tutor"}) as resp:
        assert resp.status == 401
    await wa.settle()
    assert [t["message"] for t in wa.rasa.turns] == ["meu endereço é Rua X, 10"]
    # Signed-in staff use it from anywhere.
    staff = {**headers, **wa.staff_headers()}
    async with wa.session.get(wa.url + "/simulador", headers=staff) as resp:
        assert resp.status == 200 and "Simulador de WhatsApp" in await resp.text()
    async with wa.session.get(wa.url + "/simulador/api/conversa", params={"telefone": PHONE},
                              headers=staff) as resp:
        assert resp.status == 200
        assert [m["text"] for m in (await resp.json())["mensagens"]] == [
            "eco: meu endereço é Rua X, 10"]


async def test_login_from_the_simulator_comes_back_to_it(wa):
    from admin.panel.access.login import _safe_next

    assert _safe_next("/simulador") == "/simulador"
    assert _safe_next("//evil.example/simulador") == "/admin"
    assert _safe_next("/simuladorx") == "/admin"


async def test_simulator_calls_must_be_json_so_other_sites_cannot_post_them(wa):
    """A web page elsewhere can make a visitor's browser POST text/plain without a CORS
    preflight; application/json needs one, which this app never grants."""
    body = json.dumps({"telefone": PHONE, "texto": "enviado por outro site"})
    async with wa.session.post(wa.url + "/simulador/api/enviar", data=body,
                               headers={"Content-Type": "text/plain"}) as resp:
        assert resp.status == 415
        assert "application/json" in (await resp.json())["erro"]
    await wa.settle()
    assert wa.rasa.turns == []
