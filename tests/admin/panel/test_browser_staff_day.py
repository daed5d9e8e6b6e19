"""The staff's day in Chromium against the live app (issue 12's remainder): day care over a
date range refused on a full day (named, nothing stored) then booked; a 3-night hotel stay
shown on each day of the agenda's day grid and in the week grid. Screenshots go to
tests/artifacts/."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.catalog.models import Service, ServiceCategory
from scheduler_core.kernel.clock import utc_now
from scheduler_core.people.models import Pet
from scheduler_core.scheduling import day_care, stays
from scheduler_core.shop.models import Segment

from .conftest import browser_login, shot

pytestmark = pytest.mark.browser


def _as_kind(engine, kind: str, capacity: int):
    with Session(engine, expire_on_commit=False) as s:
        dogs = s.exec(select(Pet).where(Pet.species == "cao", col(Pet.porte).is_not(None),
                                        col(Pet.pelagem).is_not(None)).order_by(Pet.id)).all()
        bath = s.exec(select(Service).where(Service.name == "Banho")).one()
        segment = s.get(Segment, s.get(ServiceCategory, bath.category_id).segment_id)
        segment.kind, segment.daily_capacity = kind, capacity
        s.add(segment)
        s.commit()
        return dogs[:2], bath, segment


def _monday_ahead() -> date:
    day = date.today() + timedelta(weeks=6)  # past the demo's agenda, inside the horizon
    return day - timedelta(days=day.weekday())


def test_a_day_care_range_over_a_full_day_is_refused_then_a_free_range_books(desk, panel_db):
    engine, _, accs = panel_db
    (rex, other), bath, segment = _as_kind(engine, "creche", 1)
    monday = _monday_ahead()
    thursday = monday + timedelta(days=3)
    day_care.book_days(engine, pet_id=other.id, service_id=bath.id, first=thursday,
                       last=thursday, now=utc_now(), actor="test")
    browser_login(desk, accs.owner_login, accs.owner_password)

    desk.goto(desk.base + f"/admin/agenda/novo?pet={rex.id}&servico={bath.id}"
              f"&data={monday.isoformat()}")
    form = desk.locator("#creche-periodo")
    expect(form.locator("input[name=primeiro]")).to_have_value(f"{monday:%d/%m/%Y}")
    form.locator("input[name=ultimo]").fill(f"{monday + timedelta(days=4):%d/%m/%Y}")
    form.locator("button").click()
    expect(desk.locator(".flash-erro")).to_have_text(
        f"Sem vagas em {segment.name} no dia {thursday:%d/%m}. "
        "Nada foi agendado: escolha outras datas.")
    expect(desk.locator("#creche-periodo input[name=ultimo]")).to_have_value(
        f"{monday + timedelta(days=4):%d/%m/%Y}")
    shot(desk, "desk-creche-periodo-lotado")
    with Session(engine) as s:
        assert not s.exec(select(Appointment).where(
            Appointment.pet_id == rex.id, Appointment.segment_id == segment.id,
            Appointment.start >= datetime.combine(monday, time(), tzinfo=UTC))).all()

    desk.locator("#creche-periodo input[name=ultimo]").fill(
        f"{monday + timedelta(days=2):%d/%m/%Y}")
    desk.locator("#creche-periodo button").click()
    expect(desk.locator(".flash-ok")).to_contain_text("Creche agendada: 3 dias de")
    expect(desk.locator("#stays")).to_contain_text(rex.name)
    shot(desk, "desk-creche-periodo-agendado")


def test_a_three_night_stay_shows_on_each_day_of_the_day_and_week_grids(desk, panel_db):
    engine, _, accs = panel_db
    (rex, _), bath, _segment = _as_kind(engine, "hotel", 5)
    monday = _monday_ahead()
    stay = stays.book_stay(engine, pet_id=rex.id, service_id=bath.id, check_in=monday,
                           check_out=monday + timedelta(days=3), now=utc_now(), actor="test")
    browser_login(desk, accs.owner_login, accs.owner_password)
    labels = ["entrada 14:00", "2ª de 3 diárias", "3ª de 3 diárias", "saída 12:00"]
    for offset, label in enumerate(labels):
        desk.goto(desk.base + f"/admin/agenda?data={(monday + timedelta(days=offset)).isoformat()}")
        card = desk.locator(f"#stays a[data-id='{stay.id}']")
        expect(card).to_contain_text(rex.name)
        expect(card).to_contain_text(label)
        expect(desk.locator(f".day-grid a[data-id='{stay.id}']")).to_have_count(0)
        if offset == 1:
            shot(desk, "desk-hospedagem-segundo-dia")
    desk.goto(desk.base + f"/admin/agenda?data={(monday + timedelta(days=4)).isoformat()}")
    expect(desk.locator(f"a[data-id='{stay.id}']")).to_have_count(0)
    desk.goto(desk.base + f"/admin/agenda?visao=semana&data={monday.isoformat()}")
    expect(desk.locator(f".wk-cell.stays a[data-id='{stay.id}']")).to_have_count(4)
    for offset in range(4):
        day = (monday + timedelta(days=offset)).isoformat()
        expect(desk.locator(f".wk-cell.stays[data-day='{day}'] a[data-id='{stay.id}']")
               ).to_be_visible()
    shot(desk, "desk-hospedagem-semana")


def test_the_open_conversation_moves_a_tick_without_a_reload(desk, panel_db):
    from .test_staff_day import _attendant_message, _set_status

    engine, _, accs = panel_db
    conv_id, msg_id = _attendant_message(engine, "Pode trazer às 10h")
    browser_login(desk, *accs.attendant)
    desk.goto(desk.base + f"/admin/atendimento/{conv_id}")
    tick = desk.locator(f".msg[data-id='{msg_id}'] .tick")
    expect(tick).to_have_text("✓ enviada")
    desk.evaluate("window.__sameDocument = true")
    _set_status(engine, msg_id, "delivered")
    expect(tick).to_have_text("✓✓ entregue", timeout=10000)
    _set_status(engine, msg_id, "read")
    expect(tick).to_have_text("✓✓ lida", timeout=10000)
    expect(tick).to_have_attribute("data-status", "read")
    assert desk.evaluate("window.__sameDocument") is True
    shot(desk, "desk-atendimento-lida")
