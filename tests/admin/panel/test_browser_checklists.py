"""A checklist with a required item blocks a move on the service board until it is answered,
in a real browser (Chromium)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.checklists.answers import answer_lines
from scheduler_core.shop.models import Segment, Shop

from .conftest import browser_login, shot

pytestmark = pytest.mark.browser


def _confirmed_visit(engine) -> tuple[Appointment, str]:
    with Session(engine) as session:
        shop = session.exec(select(Shop)).first()
        petshop = session.exec(select(Segment).where(Segment.kind == "pet_shop")).first()
        appt = session.exec(select(Appointment).where(
            Appointment.segment_id == petshop.id,
            Appointment.status == AppointmentStatus.CONFIRMADO,
            Appointment.start > datetime.now(UTC),
        ).order_by(Appointment.start)).first()
        day = appt.start.astimezone(ZoneInfo(shop.timezone)).date().isoformat()
        return appt, day


def test_a_required_item_blocks_the_board_move_until_answered(desk, panel_db):
    engine, _, accs = panel_db
    appt, day = _confirmed_visit(engine)
    browser_login(desk, accs.owner_login, accs.owner_password)
    desk.goto(desk.base + "/admin/config")
    desk.click("text=Checklists")
    desk.click(".tabs >> text=Recebido")
    desk.fill("input[name=label]", "Temperatura")
    desk.select_option("select[name=kind]", label="Número")
    desk.check("input[name=required]")
    desk.click("button:has-text('Adicionar item')")
    expect(desk.locator(".flash-ok")).to_contain_text("Temperatura")
    expect(desk.locator(".checklist-items")).to_contain_text("Temperatura")
    shot(desk, "desk-config-checklists")

    desk.goto(desk.base + f"/admin/agenda?visao=quadro&data={day}")
    lane = desk.locator(".lane[data-status=confirmado]")
    ticket = lane.locator(".ticket", has=desk.locator(f"a[href='/admin/agendamentos/{appt.id}']"))
    ticket.locator("select[name=status]").select_option("recebido")
    ticket.locator("button:has-text('Mover')").click()
    expect(desk.locator(".flash-erro")).to_contain_text("Checklist de Recebido incompleta")
    expect(desk.locator(".flash-erro")).to_contain_text("Temperatura")
    ticket = desk.locator(".lane[data-status=confirmado] .ticket",
                          has=desk.locator(f"a[href='/admin/agendamentos/{appt.id}']"))
    expect(ticket).to_be_visible()
    shot(desk, "desk-quadro-checklist-bloqueado")

    field = ticket.locator("label:has-text('Temperatura') input")
    expect(field).to_be_visible()  # the refused card's checklist is open
    field.fill("38,5")
    ticket.locator("button:has-text('Mover')").click()
    expect(desk.locator(".flash-ok")).to_contain_text(f"#{appt.id}: Recebido")
    moved = desk.locator(".lane[data-status=recebido] .ticket",
                         has=desk.locator(f"a[href='/admin/agendamentos/{appt.id}']"))
    expect(moved).to_be_visible()
    shot(desk, "desk-quadro-checklist-respondido")
    assert answer_lines(engine, appt.id, "recebido") == ["Temperatura: 38,5"]
    desk.goto(desk.base + f"/admin/agendamentos/{appt.id}")
    expect(desk.locator(".checklist-answers")).to_contain_text("Recebido · Temperatura: 38,5")
