"""The breeds screen in a real browser (Chromium): a nickname added there is then understood by
the bot's breed match."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from scheduler_core.people.breeds import match_breeds

from .conftest import browser_login, shot

pytestmark = pytest.mark.browser


def test_an_alias_added_on_the_breeds_screen_is_matched_by_the_bot(desk, panel_db):
    engine, _, accs = panel_db
    with Session(engine) as session:
        assert not any(m.score == 100 for m in match_breeds(session, "cao", "bolinha de pelo"))
    browser_login(desk, accs.owner_login, accs.owner_password)
    desk.goto(desk.base + "/admin/config")
    desk.click("a.card:has(strong:text-is('Raças'))")
    desk.fill("input[name=q]", "spitz")
    desk.click("form.filters button")
    row = desk.locator("table.breeds tr", has_text="Spitz Alemão")
    expect(row.first).to_be_visible()
    row.first.locator("text=Editar").click()
    desk.fill("input[name=alias]", "Bolinha de pelo")
    desk.click("button:has-text('Adicionar apelido')")
    expect(desk.locator(".flash-ok")).to_contain_text("Apelido “Bolinha de pelo” adicionado")
    expect(desk.locator(".breed-edit .aliases")).to_contain_text("Bolinha de pelo")
    shot(desk, "desk-config-racas-apelido")
    with Session(engine) as session:
        [best, *_] = match_breeds(session, "cao", "bolinha de pelo")
    assert best.name.startswith("Spitz Alemão") and best.score == 100
