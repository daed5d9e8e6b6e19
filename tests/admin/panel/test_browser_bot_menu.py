"""The bot settings page in a real browser (Chromium): the menu arrows move a row on the page
without leaving it or saving; "Salvar" then saves the new order with the other edits."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from scheduler_core.chatbot.models import BotSettings

from .conftest import browser_login

pytestmark = pytest.mark.browser


def _settings(engine) -> BotSettings:
    with Session(engine) as session:
        return session.exec(select(BotSettings)).first()


def test_menu_arrows_move_rows_in_the_page_and_save_with_the_form(desk, panel_db):
    engine, _, accs = panel_db
    before = _settings(engine)
    keys = [m["key"] for m in before.menu]
    browser_login(desk, accs.owner_login, accs.owner_password)
    desk.goto(desk.base + "/admin/config/robo")
    desk.fill("textarea[name=greeting_known]", "Oi de novo, {tutor}!")
    desk.locator(f"#menu-list li:has(input[value='{keys[1]}']) [data-move=up]").click()
    order = desk.locator("#menu-list input[name=menu_order]")
    expect(order.first).to_have_value(keys[1])
    assert desk.url.endswith("/admin/config/robo")
    expect(desk.locator("textarea[name=greeting_known]")).to_have_value("Oi de novo, {tutor}!")
    assert [m["key"] for m in _settings(engine).menu] == keys  # nothing saved yet
    desk.click("button.primary:has-text('Salvar')")
    expect(desk.locator(".flash-ok")).to_contain_text("Configurações do robô salvas")
    after = _settings(engine)
    assert [m["key"] for m in after.menu][:2] == [keys[1], keys[0]]
    assert after.greeting_known == "Oi de novo, {tutor}!"
