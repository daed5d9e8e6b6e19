"""Adding a service to a booked visit from its page, in a real browser (Chromium): the visit
ends later and costs more, and the page says so."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.catalog import offers as catalog
from scheduler_core.kernel.clock import from_utc_naive
from scheduler_core.kernel.money import format_brl
from scheduler_core.shop.models import Shop

from .conftest import browser_login, shot
from .visit_helpers import quiet_visit

pytestmark = pytest.mark.browser


def test_adding_an_addon_shows_the_new_end_time_and_price(desk, panel_db):
    engine, _, accs = panel_db
    visit = quiet_visit(engine)
    with Session(engine) as session:
        tz = ZoneInfo(session.exec(select(Shop)).first().timezone)
        appt = session.get(Appointment, visit.appointment_id)
        addon = next(a for a in catalog.services_for_pet(
            session, visit.shop_id, visit.pet_id, channel="staff").addons
            if a.name == "Hidratação")
    new_end = from_utc_naive(appt.end, tz) + timedelta(minutes=addon.duration_min)
    new_total = format_brl(appt.total_cents + addon.price_cents)

    browser_login(desk, accs.owner_login, accs.owner_password)
    desk.goto(desk.base + f"/admin/agendamentos/{visit.appointment_id}")
    edit = desk.locator("#editar")
    expect(edit).to_contain_text("Editar")
    edit.locator("select[name=servico]").select_option(label=next(
        o for o in edit.locator("select[name=servico] option").all_inner_texts()
        if o.startswith("Hidratação")))
    edit.locator("button:has-text('Incluir')").first.click()
    expect(desk.locator(".flash-ok")).to_contain_text("Incluído Hidratação")
    expect(desk.locator(".flash-ok")).to_contain_text(f"total {new_total}")
    card = desk.locator(".card").first
    expect(card).to_contain_text(f"–{new_end:%H:%M}")
    expect(card.locator("tfoot")).to_contain_text(new_total)
    expect(card.locator("tbody")).to_contain_text("Hidratação")
    shot(desk, "desk-visita-servico-incluido")


def test_the_edit_section_fits_a_phone(phone, panel_db):
    engine, _, accs = panel_db
    visit = quiet_visit(engine)
    browser_login(phone, accs.owner_login, accs.owner_password)
    phone.goto(phone.base + f"/admin/agendamentos/{visit.appointment_id}")
    edit = phone.locator("#editar")
    edit.scroll_into_view_if_needed()
    expect(edit.locator("select[name=servico]")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "phone-visita-editar")
