"""The panel in a real browser (Debian's Chromium through Playwright) against the live app.

Screenshots of the main screens go to tests/artifacts/ (git-ignored) for reviewers.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from bot.config import SIM_PHONE_ID
from bot.models import Author, Direction, Owner, WaConversation, WaMessage
from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.catalog.models import PriceEntry, Service, ServiceCategory
from scheduler_core.checklists.answers import answer_lines
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.shop.models import Employee, Shop

from .conftest import PIN, browser_login, shot

pytestmark = pytest.mark.browser


def _owner(panel_db):
    return panel_db[2].owner_login, panel_db[2].owner_password


def _next_weekday(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7 or 7)


def test_owner_logs_in_and_sees_one_column_per_employee(desk, phone, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        names = [e.name for e in session.exec(select(Employee).where(
            Employee.has_calendar.is_(True), Employee.active.is_(True))).all()]
    browser_login(desk, *_owner(panel_db))
    day = _next_weekday(date.today(), 2).isoformat()
    desk.goto(desk.base + f"/admin/agenda?data={day}")
    heads = desk.locator(".day-grid .col-head").all_inner_texts()
    assert sorted(h for h in heads if h) == sorted(names)
    expect(desk.locator(".appt").first).to_be_visible()
    shot(desk, "desk-agenda-dia")
    desk.click("text=Quadro de status")
    for lane in ("Agendado", "Confirmado", "Recebido", "Em atendimento", "Finalizado",
                 "Entregue"):
        expect(desk.locator(".lane h3", has_text=lane)).to_be_visible()
    shot(desk, "desk-agenda-quadro")
    desk.click(".tabs >> text=Semana")
    expect(desk.locator(".week-grid .wk-head a")).to_have_count(7)  # a column per day
    shot(desk, "desk-agenda-semana")

    browser_login(phone, *_owner(panel_db))
    phone.goto(phone.base + f"/admin/agenda?data={day}")
    expect(phone.locator(".day-grid")).to_be_visible()
    shot(phone, "phone-agenda-dia")
    expect(phone.locator("#nav")).to_be_hidden()
    phone.click("button.menu-toggle")
    expect(phone.locator("#nav >> text=Tutores e pets")).to_be_visible()
    shot(phone, "phone-menu")


def test_owner_creates_an_employee_with_shifts(desk, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        category = session.exec(select(ServiceCategory).order_by(ServiceCategory.id)).first()
    browser_login(desk, *_owner(panel_db))
    desk.goto(desk.base + "/admin/config/funcionarios/novo")
    desk.fill("input[name=name]", "Paula Tosadora")
    desk.fill("input[name=phone]", "(11) 98888-7777")
    desk.check("input[name=species][value=cao]")
    desk.uncheck("input[name=species][value=gato]")
    desk.check(f"input[name=categories][value='{category.id}']")
    for weekday in (1, 3):
        desk.check(f"input[name=works][value='{weekday}']")
        desk.fill(f"input[name=d{weekday}_start_0]", "08:00")
        desk.fill(f"input[name=d{weekday}_end_0]", "12:00")
        desk.fill(f"input[name=d{weekday}_start_1]", "13:00")
        desk.fill(f"input[name=d{weekday}_end_1]", "17:00")
    desk.fill("input[name=operator_pin]", PIN)
    shot(desk, "desk-funcionario-form")
    desk.click("text=Salvar funcionário")
    expect(desk.locator(".flash-ok")).to_contain_text("Paula Tosadora")
    row = desk.locator("tr", has_text="Paula Tosadora")
    expect(row).to_contain_text("Ter Qui")
    expect(row).to_contain_text(category.name)
    tuesday = _next_weekday(date.today(), 1).isoformat()
    desk.goto(desk.base + f"/admin/agenda?data={tuesday}")
    expect(desk.locator(".day-grid .col-head", has_text="Paula Tosadora")).to_be_visible()


def test_owner_creates_a_service_with_a_price_table(desk, phone, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        category = session.exec(select(ServiceCategory).order_by(ServiceCategory.id)).first()
    browser_login(desk, *_owner(panel_db))
    desk.goto(desk.base + "/admin/config/servicos/novo")
    desk.fill("input[name=name]", "Banho de ofurô")
    desk.select_option("select[name=category_id]", str(category.id))
    desk.fill("input[name=price_pequeno_curta]", "55,00")
    desk.fill("input[name=dur_pequeno_curta]", "50")
    desk.fill("input[name=price_medio_media]", "80")
    desk.fill("input[name=dur_medio_media]", "70")
    desk.fill("input[name=price_grande_longa]", "120,00")
    desk.fill("input[name=dur_grande_longa]", "110")
    shot(desk, "desk-servico-tabela")
    desk.click("text=Salvar serviço")
    expect(desk.locator(".flash-ok")).to_contain_text("Banho de ofurô")
    item = desk.locator("li", has_text="Banho de ofurô")
    expect(item).to_contain_text("R$ 55,00 a R$ 120,00")
    with Session(engine) as session:
        service = session.exec(select(Service).where(Service.name == "Banho de ofurô")).one()
        cells = session.exec(select(PriceEntry).where(PriceEntry.service_id == service.id)).all()
        assert {(c.porte, c.pelagem, c.price_cents, c.duration_min) for c in cells} == {
            ("pequeno", "curta", 5500, 50), ("medio", "media", 8000, 70),
            ("grande", "longa", 12000, 110)}
    item.locator("a").click()
    expect(desk.locator("input[name=price_medio_media]")).to_have_value("80,00")
    browser_login(phone, *_owner(panel_db))
    phone.goto(phone.base + f"/admin/config/servicos/{service.id}")
    shot(phone, "phone-servico-tabela")


def _bookable_pet(engine):
    """A dog of the demo with porte and pelagem, and its tutor."""
    with Session(engine) as session:
        pet = session.exec(select(Pet).where(Pet.species == "cao", col(Pet.porte).is_not(None),
                                             col(Pet.pelagem).is_not(None))
                           .order_by(Pet.id)).first()
        return pet, session.get(Tutor, pet.tutor_id)


def test_staff_books_from_the_agenda_and_sees_it_in_the_day_view(desk, phone, panel_db):
    engine = panel_db[0]
    pet, tutor = _bookable_pet(engine)
    browser_login(desk, *_owner(panel_db))
    desk.click("text=+ Novo agendamento")
    desk.fill("input[name=q]", tutor.name.split()[0])
    desk.press("input[name=q]", "Enter")
    desk.click(f"a:has-text('{tutor.name}')")
    desk.click(f"a:has-text('{pet.name}')")
    shot(desk, "desk-wizard-servicos")
    desk.locator("label:has(input[name=servico])", has_text=re.compile(r"^\s*Banho\s")
                 ).first.locator("input").check()
    desk.click("text=Ver horários")
    day = date.today() + timedelta(days=6)
    for _ in range(10):
        desk.fill("input[name=data]", day.isoformat())
        desk.click("text=Atualizar horários")
        if desk.locator("input[name=token]").count():
            break
        day += timedelta(days=1)
    radio = desk.locator("input[name=token]").first
    chosen_time = radio.locator("xpath=..").locator("strong").inner_text()
    radio.check()
    desk.locator("label.check", has_text="Nós na pelagem").locator("input").check()
    desk.fill("textarea[name=notes]", "Cliente pediu perfume suave")
    shot(desk, "desk-wizard-horarios")
    desk.click("button:has-text('Agendar')")
    expect(desk.locator(".flash-ok")).to_contain_text("criado")
    assert f"data={day.isoformat()}" in desk.url
    card = desk.locator(".appt", has_text=pet.name).filter(has_text=chosen_time)
    expect(card.first).to_be_visible()
    shot(desk, "desk-agenda-apos-agendar")
    with Session(engine) as session:
        appt = session.exec(select(Appointment).where(Appointment.pet_id == pet.id)
                            .order_by(Appointment.id.desc())).first()
        assert appt.origin == "staff" and appt.status == AppointmentStatus.AGENDADO
        assert "perfume" in appt.notes
    assert answer_lines(engine, appt.id) == ["Nós na pelagem: Sim"]
    card.first.click()
    expect(desk.locator("h1")).to_contain_text(pet.name)
    expect(desk.locator(".checklist-answers")).to_contain_text("Nós na pelagem: Sim")
    shot(desk, "desk-agendamento")
    desk.click("form:has(input[value=confirmado]) button")
    expect(desk.locator(".flash-ok")).to_contain_text("Confirmado")
    browser_login(phone, *_owner(panel_db))
    phone.goto(phone.base + f"/admin/agenda/novo?tutor={tutor.id}&pet={pet.id}")
    shot(phone, "phone-wizard-servicos")


def test_blocking_a_day_lists_the_appointments_it_conflicts_with(desk, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        tz = session.exec(select(Shop)).first().timezone
        appt = session.exec(select(Appointment).where(
            Appointment.status == AppointmentStatus.AGENDADO,
            Appointment.start > datetime.now(UTC) + timedelta(days=2))
            .order_by(Appointment.start)).first()
        from zoneinfo import ZoneInfo

        start = appt.start if appt.start.tzinfo else appt.start.replace(tzinfo=UTC)
        day = start.astimezone(ZoneInfo(tz)).date()
        pet = session.get(Pet, appt.pet_id)
    browser_login(desk, *_owner(panel_db))
    desk.goto(desk.base + "/admin/config/bloqueios")
    desk.fill("input[name=date_from]", f"{day:%d/%m/%Y}")  # typed as staff write it
    desk.fill("input[name=reason]", "Dedetização")
    desk.fill("#block-form input[name=operator_pin]", PIN)
    desk.click("text=Aplicar bloqueio")
    expect(desk.locator(".flash-aviso").first).to_contain_text("continuam marcados")
    conflicts = desk.locator(".conflicts").first
    expect(conflicts).to_contain_text("em conflito com este bloqueio")
    expect(conflicts).to_contain_text(pet.name)
    expect(conflicts.locator(f"a[href='/admin/agendamentos/{appt.id}']")).to_be_visible()
    shot(desk, "desk-bloqueio-conflitos")
    with Session(engine) as session:
        assert session.get(Appointment, appt.id).status == AppointmentStatus.AGENDADO
    desk.goto(desk.base + f"/admin/agenda?data={day.isoformat()}")
    expect(desk.locator(".off.bloqueio").first).to_contain_text("Bloqueado: Dedetização")


def _handed_off_conversation(engine, name: str, phone: str, with_tutor: bool = True) -> int:
    now = datetime.now(UTC)
    with Session(engine) as session:
        shop = session.exec(select(Shop)).first()
        tutor = session.exec(select(Tutor).order_by(Tutor.id)).first() if with_tutor else None
        conv = WaConversation(
            shop_id=shop.id, key=phone, phone=phone, profile_name=name,
            tutor_id=tutor.id if tutor else None, business_phone_id=SIM_PHONE_ID,
            owner=Owner.HUMAN, handoff_reason="Tutor pediu um atendente",
            handoff_at=now - timedelta(minutes=7), last_inbound_at=now - timedelta(minutes=6))
        session.add(conv)
        session.flush()
        for minutes, author, direction, text in (
            (9, Author.TUTOR, Direction.IN, "Oi, quero falar com alguém"),
            (8, Author.BOT, Direction.OUT, "Um atendente vai falar com você em instantes. 😊"),
            (6, Author.TUTOR, Direction.IN, "Meu cachorro pode tomar banho depois da vacina?"),
        ):
            session.add(WaMessage(conversation_id=conv.id, direction=direction, author=author,
                                  text=text, status="received" if direction == "in" else "sent",
                                  created_at=now - timedelta(minutes=minutes)))
        session.commit()
        return conv.id


def test_attendant_answers_a_handed_off_conversation_and_returns_it_to_the_bot(
    desk, phone, panel_db
):
    engine = panel_db[0]
    conv_id = _handed_off_conversation(engine, "Marina WhatsApp", "+5511977776666")
    user, password = panel_db[2].attendant
    browser_login(desk, user, password)
    desk.click("#nav >> text=Atendimento")
    item = desk.locator(f"#conv-list a[data-id='{conv_id}']")
    expect(item).to_contain_text("aguardando há")
    item.click()
    chat = desk.locator("#chat")
    expect(chat).to_contain_text("depois da vacina")
    expect(desk.locator("aside")).to_contain_text("Próximos agendamentos")
    desk.fill("textarea[name=text]", "Pode sim, 48 horas depois da vacina. Quer agendar?")
    desk.click("#reply-form button")
    expect(desk.locator(".flash")).to_be_visible()
    expect(chat).to_contain_text("48 horas depois da vacina")
    expect(chat.locator(".msg.human")).to_have_count(1)
    shot(desk, "desk-atendimento")

    # A new hand-off shows up in the list without reloading the page.
    other = _handed_off_conversation(engine, "Rafael Novo", "+5511955554444", with_tutor=False)
    expect(desk.locator(f"#conv-list a[data-id='{other}']")).to_be_visible(timeout=15000)
    expect(desk.locator("#inbox-badge")).to_have_text("2")

    desk.click("text=Devolver ao robô")
    expect(desk.locator(".flash-ok")).to_contain_text("devolvida ao robô")
    expect(desk.locator(f"#conv-list a[data-id='{conv_id}']")).to_have_count(0)
    with Session(engine) as session:
        assert session.get(WaConversation, conv_id).owner == Owner.BOT
        sent = session.exec(select(WaMessage).where(WaMessage.conversation_id == conv_id,
                                                    WaMessage.author == Author.ATTENDANT)).one()
        assert sent.actor.startswith("staff:")
    browser_login(phone, user, password)
    phone.goto(phone.base + f"/admin/atendimento/{other}")
    shot(phone, "phone-atendimento")


# --------------------------------------------------------------------------- security


def test_a_form_posted_without_its_csrf_token_is_refused(desk, panel_db):
    engine = panel_db[0]
    browser_login(desk, *_owner(panel_db))
    desk.goto(desk.base + "/admin/config/loja")
    desk.fill("input[name=name]", "Loja Trocada Sem Token")
    desk.evaluate("document.querySelectorAll('input[name=csrf_token]')"
                  ".forEach(function (e) { e.remove(); })")
    with desk.expect_response(lambda r: r.request.method == "POST") as info:
        desk.click("main button.primary")
    assert info.value.status == 403
    expect(desk.locator("h1")).to_have_text("Formulário recusado")
    with Session(engine) as session:
        assert session.exec(select(Shop)).first().name != "Loja Trocada Sem Token"


def test_a_groomer_cannot_open_the_employee_settings(desk, panel_db):
    user, password = panel_db[2].groomer
    browser_login(desk, user, password)
    expect(desk.locator("#nav >> text=Configurações")).to_have_count(0)
    response = desk.goto(desk.base + "/admin/config/funcionarios")
    assert response.status == 403
    expect(desk.locator("h1")).to_have_text("Sem permissão")
    shot(desk, "desk-tosador-sem-permissao")


def test_a_tutor_named_like_a_script_is_shown_escaped(desk, panel_db):
    evil = "<script>alert(1)</script>"
    dialogs = []
    desk.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    browser_login(desk, *_owner(panel_db))
    desk.goto(desk.base + "/admin/tutores/novo")
    desk.fill("input[name=name]", evil)
    desk.fill("input[name=whatsapp]", "(11) 91234-5678")
    desk.click("main button.primary")
    expect(desk.locator("#tutor-name")).to_have_text(evil)
    desk.goto(desk.base + "/admin/tutores?q=script")
    expect(desk.locator("#tutor-results")).to_contain_text(evil)
    shot(desk, "desk-tutor-escapado")
    assert dialogs == []
    assert desk.locator("script:text('alert(1)')").count() == 0


def test_tutor_and_pet_pages_on_a_phone(phone, panel_db):
    engine = panel_db[0]
    pet, tutor = _bookable_pet(engine)
    browser_login(phone, *_owner(panel_db))
    phone.goto(phone.base + "/admin/tutores?q=" + pet.name)
    expect(phone.locator("#tutor-results")).to_contain_text(tutor.name)
    phone.click(f"#tutor-results a:has-text('{tutor.name}')")
    expect(phone.locator("#tutor-name")).to_have_text(tutor.name)
    expect(phone.locator("main")).to_contain_text(pet.name)
    shot(phone, "phone-tutor")
    phone.click(f"main a:has-text('{pet.name}')")
    expect(phone.locator("h1")).to_contain_text(pet.name)
    shot(phone, "phone-pet")
