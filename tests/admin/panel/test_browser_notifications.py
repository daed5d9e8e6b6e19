"""Notificações and Pet Care in a real browser (Chromium): the text editor's live preview on
the shop's next visit, a variable inserted by a click, an unknown variable refused in pt-BR
with the typed text kept; a dose recorded on a pet's page schedules the next one."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from scheduler_core.agenda.models import FREEING_STATUSES, Appointment
from scheduler_core.notifications.models import NotificationSetting
from scheduler_core.people.models import Pet
from scheduler_core.petcare import service as petcare
from scheduler_core.petcare.models import PetCareDose
from scheduler_core.shop.models import Shop

from .conftest import browser_login, shot

pytestmark = pytest.mark.browser


def _next_pet_name(engine) -> str:
    with Session(engine) as session:
        appt = session.exec(select(Appointment).where(
            Appointment.start >= datetime.now(UTC),
            Appointment.status.not_in([s.value for s in FREEING_STATUSES]))
            .order_by(Appointment.start, Appointment.id)).first()
        return session.get(Pet, appt.pet_id).name


def test_editing_a_text_updates_the_preview_and_an_unknown_variable_is_refused(desk, panel_db):
    engine, _, accs = panel_db
    pet_name = _next_pet_name(engine)
    browser_login(desk, accs.owner_login, accs.owner_password)
    desk.click("nav >> text=Notificações")
    desk.locator("tr[data-kind=lembrete]").get_by_text("Editar texto").click()
    text = desk.locator("#notif-text")
    preview = desk.locator("#notif-preview")
    text.fill("Oi! Hoje tem banho do ")
    desk.click("button[data-insert='(NOME_PET)']")
    expect(text).to_have_value("Oi! Hoje tem banho do (NOME_PET)")
    expect(preview).to_have_text(f"Oi! Hoje tem banho do {pet_name}")
    text.fill("Oi (NOME_TUTOR), o (NOME_CACHORRO) chega às (HORARIO_AGENDAMENTO)")
    errors = desk.locator("#notif-errors")
    expect(errors).to_have_text(
        "Variável desconhecida: (NOME_CACHORRO). Use uma das variáveis da lista.")
    expect(preview).not_to_contain_text("(HORARIO_AGENDAMENTO)")
    shot(desk, "desk-notificacoes-previa")
    desk.click("button:has-text('Salvar notificação')")
    expect(desk.locator(".notif-editor .field-error").first).to_contain_text(
        "Variável desconhecida: (NOME_CACHORRO)")
    expect(desk.locator("#notif-text")).to_have_value(
        "Oi (NOME_TUTOR), o (NOME_CACHORRO) chega às (HORARIO_AGENDAMENTO)")
    with Session(engine) as session:
        assert session.exec(select(NotificationSetting)).first() is None
    desk.locator("#notif-text").fill("Até já, (NOME_PET)!")
    desk.click("button:has-text('Salvar notificação')")
    expect(desk.locator(".flash-ok")).to_contain_text("Notificação “Lembrete do agendamento” salva")
    with Session(engine) as session:
        assert session.exec(select(NotificationSetting)).one().text == "Até já, (NOME_PET)!"


def test_a_dose_recorded_on_the_pet_page_schedules_the_next(desk, panel_db):
    engine, _, accs = panel_db
    with Session(engine, expire_on_commit=False) as session:
        shop = session.exec(select(Shop)).first()
        dog = session.exec(select(Pet).where(Pet.species == "cao").order_by(Pet.id)).first()
    v10 = petcare.save_protocol(engine, shop_id=shop.id, actor="test", now=datetime.now(UTC),
                                values={"kind": "vacina", "name": "V10", "species": "cao",
                                        "doses": "3", "interval_days": "21",
                                        "repeat_days": "365"})
    browser_login(desk, accs.owner_login, accs.owner_password)
    desk.goto(f"{desk.base}/admin/pets/{dog.id}")
    care = desk.locator("#pet-care")
    expect(care).to_contain_text("Nenhuma dose registrada ou agendada.")
    apply_form = care.locator("form.dose-apply")
    apply_form.locator("select[name=protocol_id]").select_option(label="V10 (vacina)")
    apply_form.locator("input[name=applied_on]").fill("05/01/2026")
    apply_form.locator("input[name=batch]").fill("L-2026")
    apply_form.locator("button:has-text('Registrar dose')").click()
    # 05/01/2026 + 21 days = 26/01/2026.
    expect(desk.locator(".flash-ok")).to_contain_text(
        "V10 (1ª dose de 3) registrada. Próxima dose (2ª dose de 3) agendada para 26/01/2026.")
    rows = desk.locator("#pet-care table.doses tbody tr")
    expect(rows.nth(0)).to_contain_text(re.compile(r"2ª dose de 3.*26/01/2026.*Atrasada", re.S))
    expect(rows.nth(1)).to_contain_text(re.compile(r"1ª dose de 3.*Aplicada.*05/01/2026", re.S))
    # "Aplicar" on the scheduled dose: the form comes with its protocol chosen.
    rows.nth(0).get_by_role("link", name="Aplicar").click()
    apply_form = desk.locator("#pet-care form.dose-apply")
    expect(apply_form.locator("select[name=protocol_id]")).to_have_value(str(v10.id))
    apply_form.locator("input[name=applied_on]").fill("30/01/2026")
    apply_form.locator("button:has-text('Registrar dose')").click()
    # 30/01/2026 + 21 days = 20/02/2026.
    expect(desk.locator(".flash-ok")).to_contain_text(
        "V10 (2ª dose de 3) registrada. Próxima dose (3ª dose de 3) agendada para 20/02/2026.")
    shot(desk, "desk-pet-care-dose")
    with Session(engine) as session:
        assert len(session.exec(select(PetCareDose)).all()) == 3
