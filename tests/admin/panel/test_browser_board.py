"""The service board and the agenda's day grid in a real browser (Chromium): a move skipping a
status without a reload, a backward move only after the confirmation, the board fitting a
1366×768 window and a phone, the lunch break shaded, an empty cell opening the wizard."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentItem, AppointmentStatus
from scheduler_core.shop.models import Employee, Shop

from .conftest import browser_login, shot

pytestmark = pytest.mark.browser
S = AppointmentStatus


@pytest.fixture
def laptop(chromium_browser, live_server):
    """A 1366×768 window, the owner's laptop."""
    context = chromium_browser.new_context(viewport={"width": 1366, "height": 768},
                                           locale="pt-BR")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    pg.base = live_server.url
    yield pg
    context.close()


def _visit(engine, status: str) -> tuple[Appointment, str]:
    """The first future visit with ``status`` and its day (shop's wall clock)."""
    with Session(engine) as session:
        tz = ZoneInfo(session.exec(select(Shop)).first().timezone)
        appt = session.exec(select(Appointment).where(
            Appointment.status == status, Appointment.start > datetime.now(UTC))
            .order_by(Appointment.start)).first()
        start = appt.start if appt.start.tzinfo else appt.start.replace(tzinfo=UTC)
        return appt, start.astimezone(tz).date().isoformat()


def _status(engine, appt_id: int) -> str:
    with Session(engine) as session:
        return session.get(Appointment, appt_id).status


def _ticket(pg, appt_id: int, lane: str | None = None):
    scope = f".lane[data-status={lane}] " if lane else ""
    return pg.locator(f"{scope}.ticket[data-id='{appt_id}']")


def _no_horizontal_overflow(pg) -> tuple[int, int]:
    return pg.evaluate("[document.documentElement.scrollWidth,"
                       " document.documentElement.clientWidth]")


def test_a_board_move_skips_a_status_without_a_reload(laptop, panel_db):
    engine, _, accs = panel_db
    appt, day = _visit(engine, S.AGENDADO)
    browser_login(laptop, accs.owner_login, accs.owner_password)
    laptop.goto(laptop.base + f"/admin/agenda?visao=quadro&data={day}")
    laptop.evaluate("window.__sameDocument = true")
    ticket = _ticket(laptop, appt.id, "agendado")
    with Session(engine) as session:
        item = session.exec(select(AppointmentItem).where(
            AppointmentItem.appointment_id == appt.id)).first()
        professional = session.get(Employee, item.employee_id).name
    expect(ticket.locator(".pro")).to_have_text(f"Prof.: {professional}")
    ticket.locator("select[name=status]").select_option("em_atendimento")
    ticket.locator("button:has-text('Mover')").click()
    expect(_ticket(laptop, appt.id, "em_atendimento")).to_be_visible()
    expect(laptop.locator("#board-msg")).to_have_text(f"Agendamento #{appt.id}: Em atendimento.")
    assert laptop.evaluate("window.__sameDocument") is True  # no page load happened
    assert _status(engine, appt.id) == S.EM_ATENDIMENTO
    # The card now offers the moves from its new status.
    options = _ticket(laptop, appt.id).locator("select[name=status] option")
    expect(options.first).to_have_text("↩ Agendado")
    shot(laptop, "laptop-quadro-movido")
    # Straight to Entregue: from there the card only offers going back, nothing preselected.
    ticket = _ticket(laptop, appt.id, "em_atendimento")
    ticket.locator("select[name=status]").select_option("entregue")
    ticket.locator("button:has-text('Mover')").click()
    expect(_ticket(laptop, appt.id, "entregue")).to_be_visible()
    assert _status(engine, appt.id) == S.ENTREGUE
    chosen = _ticket(laptop, appt.id).locator("select[name=status]")
    expect(chosen.locator("option:checked")).to_have_text("Voltar para…")
    assert laptop.evaluate("window.__sameDocument") is True


def test_a_backward_move_needs_the_confirmation(laptop, panel_db):
    engine, _, accs = panel_db
    appt, day = _visit(engine, S.CONFIRMADO)
    browser_login(laptop, accs.owner_login, accs.owner_password)
    laptop.goto(laptop.base + f"/admin/agenda?visao=quadro&data={day}")
    ticket = _ticket(laptop, appt.id, "confirmado")
    ticket.locator("select[name=status]").select_option("agendado")
    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    laptop.once("dialog", dismiss)
    ticket.locator("button:has-text('Mover')").click()
    expect(_ticket(laptop, appt.id, "confirmado")).to_be_visible()
    assert asked == ["Voltar o status de Confirmado para Agendado? "
                     "A volta fica registrada no histórico."]
    assert _status(engine, appt.id) == S.CONFIRMADO

    laptop.once("dialog", lambda dialog: dialog.accept())
    ticket.locator("button:has-text('Mover')").click()
    expect(_ticket(laptop, appt.id, "agendado")).to_be_visible()
    assert _status(engine, appt.id) == S.AGENDADO
    laptop.goto(laptop.base + f"/admin/agendamentos/{appt.id}")
    expect(laptop.locator("li", has_text="Confirmado → Agendado")).to_contain_text("volta")


def test_the_visit_page_asks_before_moving_back(laptop, panel_db):
    engine, _, accs = panel_db
    appt, _day = _visit(engine, S.CONFIRMADO)
    browser_login(laptop, accs.owner_login, accs.owner_password)
    laptop.goto(laptop.base + f"/admin/agendamentos/{appt.id}")
    laptop.once("dialog", lambda dialog: dialog.dismiss())
    laptop.click("form.status-move button:has-text('Agendado')")
    laptop.wait_for_timeout(300)
    assert _status(engine, appt.id) == S.CONFIRMADO
    laptop.once("dialog", lambda dialog: dialog.accept())
    laptop.click("form.status-move button:has-text('Agendado')")
    expect(laptop.locator(".flash-ok")).to_contain_text(f"#{appt.id}: Agendado")
    assert _status(engine, appt.id) == S.AGENDADO


def test_the_board_fits_a_1366_window_and_a_phone(laptop, phone, panel_db):
    engine, _, accs = panel_db
    _appt, day = _visit(engine, S.CONFIRMADO)
    for pg, name in ((laptop, "laptop"), (phone, "phone")):
        browser_login(pg, accs.owner_login, accs.owner_password)
        pg.goto(pg.base + f"/admin/agenda?visao=quadro&data={day}")
        scroll, client = _no_horizontal_overflow(pg)
        assert scroll <= client, f"{name}: page {scroll}px wide in a {client}px window"
        right = pg.evaluate("Math.max(...[...document.querySelectorAll('.lane')]"
                            ".map(l => l.getBoundingClientRect().right))")
        assert right <= client, f"{name}: the last lane ends at {right}px"
        shot(pg, f"{name}-quadro")
        for view in ("dia", "semana"):  # the grids scroll inside their own box
            pg.goto(pg.base + f"/admin/agenda?visao={view}&data={day}")
            scroll, client = _no_horizontal_overflow(pg)
            assert scroll <= client, f"{name} {view}: page {scroll}px wide in {client}px"


def _juliana(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(Employee).where(Employee.name == "Juliana Ferreira")).one().id


def _weekday(offset: int) -> str:
    day = datetime.now(UTC).date() + timedelta(days=offset)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.isoformat()


def test_the_lunch_break_is_shaded_in_the_day_grid(laptop, panel_db):
    engine, _, accs = panel_db
    juliana = _juliana(engine)
    browser_login(laptop, accs.attendant[0], accs.attendant[1])
    laptop.goto(laptop.base + f"/admin/agenda?data={_weekday(2)}")
    column = laptop.locator(f".day-grid .col[data-employee='{juliana}']")
    lunch = column.locator(".off.intervalo")
    expect(lunch).to_have_text("Intervalo")
    box, col = lunch.bounding_box(), column.bounding_box()
    assert box["width"] >= col["width"] - 2 and box["height"] >= 70  # the whole hour, 72 px
    background = lunch.evaluate("e => getComputedStyle(e).backgroundImage")
    assert "gradient" in background  # shaded, not the white of free time
    # Nothing books in it: the shaded hour has no free cell.
    assert column.locator("a.free[data-start='12:00'], a.free[data-start='12:30']").count() == 0
    shot(laptop, "laptop-agenda-dia-intervalo")


def test_clicking_an_empty_slot_opens_the_wizard_there(laptop, panel_db):
    engine, _, accs = panel_db
    juliana = _juliana(engine)
    day = _weekday(3)
    browser_login(laptop, accs.attendant[0], accs.attendant[1])
    laptop.goto(laptop.base + f"/admin/agenda?data={day}")
    column = laptop.locator(f".day-grid .col[data-employee='{juliana}']")
    # A free cell whose middle is not covered by a visit's card.
    start = column.evaluate("""col => {
      for (const a of col.querySelectorAll('a.free')) {
        a.scrollIntoView({block: 'center'});
        const r = a.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        if (hit === a) return a.dataset.start;
      }
      return null;
    }""")
    assert start, "Juliana has a free half hour"
    column.locator(f"a.free[data-start='{start}']").click()
    laptop.wait_for_url(re.compile(r".*/admin/agenda/novo\?.*"))
    assert f"hora={start}" in laptop.url and f"funcionario={juliana}" in laptop.url
    banner = laptop.locator(".prefill")
    d = day.split("-")
    expect(banner).to_contain_text(f"{d[2]}/{d[1]}/{d[0]} às {start} com Juliana Ferreira")
    shot(laptop, "laptop-agenda-novo-da-celula")
