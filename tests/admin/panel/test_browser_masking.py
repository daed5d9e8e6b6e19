"""Sensitive tutor data in a real browser (Chromium): a groomer reads the tutor's page with the
phone and CPF masked, an attendant whose role the owner took it from sees the booking wizard's
tutor search masked, and the owner sees everything in full."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from scheduler_core.kernel.cpf import format_cpf
from scheduler_core.kernel.phones import format_phone_br
from scheduler_core.people.masking import mask_cpf, mask_phone
from scheduler_core.people.models import Tutor
from scheduler_core.shop.models import Shop

from .conftest import browser_login, shot

pytestmark = pytest.mark.browser


def _tutor(engine) -> Tutor:
    with Session(engine) as session:
        return session.exec(select(Tutor).where(Tutor.cpf != "", Tutor.whatsapp != "")
                            .order_by(Tutor.id)).first()


def _logout(pg) -> None:
    pg.context.clear_cookies()


def test_a_groomer_sees_masks_and_the_owner_the_full_data(desk, panel_db):
    engine, _, accs = panel_db
    tutor = _tutor(engine)
    full_phone, full_cpf = format_phone_br(tutor.whatsapp), format_cpf(tutor.cpf)
    last4 = tutor.whatsapp[-4:]
    with Session(engine) as session:  # attendants lose it: the wizard is theirs, not groomers'
        shop = session.exec(select(Shop)).first()
        shop.sensitive_roles = ["veterinario"]
        session.add(shop)
        session.commit()

    browser_login(desk, *accs.groomer)
    desk.goto(desk.base + f"/admin/tutores/{tutor.id}")
    data = desk.locator(".card", has_text="Dados").first
    expect(data).to_contain_text(mask_phone(tutor.whatsapp))
    expect(data).to_contain_text(mask_cpf(tutor.cpf))
    text = desk.locator("main").inner_text()
    assert full_phone not in text and full_cpf not in text and tutor.cpf not in text
    assert tutor.whatsapp[3:] not in text  # not even the bare digits
    shot(desk, "desk-tutor-mascarado-tosador")
    desk.goto(desk.base + "/admin/tutores?q=" + tutor.name.split()[0])
    assert full_phone not in desk.locator("main").inner_text()

    _logout(desk)
    browser_login(desk, *accs.attendant)
    desk.goto(desk.base + "/admin/agenda/novo")
    desk.fill("input[name=q]", last4)
    desk.click("button:has-text('Buscar')")
    row = desk.locator("ul.list li", has_text=tutor.name).first
    expect(row).to_contain_text(mask_phone(tutor.whatsapp))
    assert full_phone not in desk.locator("main").inner_text()
    shot(desk, "desk-assistente-busca-mascarada")

    _logout(desk)
    browser_login(desk, accs.owner_login, accs.owner_password)
    desk.goto(desk.base + f"/admin/tutores/{tutor.id}")
    data = desk.locator(".card", has_text="Dados").first
    expect(data).to_contain_text(full_phone)
    expect(data).to_contain_text(full_cpf)
    desk.goto(desk.base + "/admin/agenda/novo")
    desk.fill("input[name=q]", last4)
    desk.click("button:has-text('Buscar')")
    expect(desk.locator("ul.list li", has_text=tutor.name).first).to_contain_text(full_phone)
