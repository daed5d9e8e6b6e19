"""Configuration screens as the owner uses them: a refused form keeps what was typed, the menu
arrows save nothing, dates typed dd/mm/aaaa and ranges, duplicate names, zones edited."""

from __future__ import annotations

from sqlmodel import Session, select

from scheduler_core.agenda.models import Block
from scheduler_core.chatbot.models import BotSettings

from .conftest import PIN, logged_in
from .test_config_forms import _bot_form, _post


def _bot(engine) -> BotSettings:
    with Session(engine) as session:
        return session.exec(select(BotSettings)).first()


async def test_a_refused_bot_form_shows_every_typed_value_again(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    before = _bot(engine)
    keys = [m["key"] for m in before.menu]
    typed = _bot_form(keys[::-1], greeting_known="Oi de novo, {tutor}!", min_notice_hours="7",
                      horizon_days="abc", mode="auto_reply")
    typed = [(k, v) for k, v in typed if not (k == "menu_enabled" and v == keys[0])]
    response = await _post(client, "/admin/config/robo",
                           typed + [("greeting_new", "Bem-vindo ao banho!"), ("ask_sex", "1"),
                                    ("trigger_text", "vacina"), ("trigger_match", "contem"),
                                    ("trigger_action", "agendar_clinica")])
    html = await response.text()
    assert response.status == 422
    assert "use um número inteiro" in html
    assert 'value="abc"' in html and 'value="7"' in html
    assert "Oi de novo, {tutor}!" in html and "Bem-vindo ao banho!" in html
    assert 'value="auto_reply" selected' in html
    assert 'name="ask_sex" value="1" checked' in html
    assert 'value="vacina"' in html
    # the menu in the typed order, the unticked option still unticked
    assert html.index(f'value="{keys[-1]}"') < html.index(f'value="{keys[0]}"')
    assert f'name="menu_enabled" value="{keys[0]}" >' in html
    after = _bot(engine)
    assert after.min_notice_hours == before.min_notice_hours
    assert after.greeting_new == before.greeting_new


async def test_menu_arrows_reorder_the_page_and_save_nothing(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    before = _bot(engine)
    keys = [m["key"] for m in before.menu]
    response = await _post(client, "/admin/config/robo",
                           _bot_form(keys, greeting_known="Mudei isto")
                           + [("greeting_new", "Oi!"), ("move", f"{keys[1]}:up")])
    html = await response.text()
    assert response.status == 200
    assert "Clique em Salvar para gravar" in html
    assert html.index(f'name="menu_order" value="{keys[1]}"') < html.index(
        f'name="menu_order" value="{keys[0]}"')
    assert "Mudei isto" in html  # the other edits are still on the page
    after = _bot(engine)
    assert after.menu == before.menu and after.greeting_known == before.greeting_known


async def test_a_block_takes_dates_typed_dd_mm_aaaa_and_a_range(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/bloqueios", {
        "action": "create", "date_from": "29/12/2030", "date_to": "02/01/2031",
        "more_dates": "15/11/2030, 2030-11-20", "all_day": "1", "reason": "Recesso",
        "operator_pin": PIN})
    assert response.status == 200, await response.text()
    with Session(engine) as session:
        block = session.exec(select(Block).where(Block.reason == "Recesso")).one()
    assert block.dates == ["2030-11-15", "2030-11-20", "2030-12-29", "2030-12-30",
                           "2030-12-31", "2031-01-01", "2031-01-02"]
    html = await response.text()
    assert "15/11/2030, 20/11/2030, 29/12/2030 a 02/01/2031" in html


async def test_a_block_refuses_an_impossible_date_and_a_reversed_range(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    with Session(engine) as session:
        count = len(session.exec(select(Block)).all())
    bad_day = await _post(client, "/admin/config/bloqueios", {
        "action": "create", "date_from": "31/02/2030", "all_day": "1", "operator_pin": PIN})
    assert bad_day.status == 422 and "essa data não existe" in await bad_day.text()
    reversed_range = await _post(client, "/admin/config/bloqueios", {
        "action": "create", "date_from": "10/01/2031", "date_to": "05/01/2031",
        "all_day": "1", "operator_pin": PIN})
    html = await reversed_range.text()
    assert reversed_range.status == 422 and "deve ser igual ou depois da inicial" in html
    assert 'value="10/01/2031"' in html  # what was typed stays in the form
    with Session(engine) as session:
        assert len(session.exec(select(Block)).all()) == count
