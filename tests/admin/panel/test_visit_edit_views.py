"""Editing a booked visit and rescheduling it to another professional through the panel's HTTP
endpoints (aiohttp test client); what staff read and what is stored."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentItem, Block
from scheduler_core.catalog.models import Service
from scheduler_core.kernel.clock import from_utc_naive
from scheduler_core.shop.models import Shop

from .conftest import PIN, logged_in, page_csrf
from .visit_helpers import quiet_visit

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')


def _items(engine, appt_id):
    with Session(engine) as session:
        return session.exec(select(AppointmentItem).where(
            AppointmentItem.appointment_id == appt_id).order_by(AppointmentItem.position)).all()


async def test_reschedule_offers_the_professional_and_moves_the_visit_to_them(client, panel_db):
    engine = panel_db[0]
    visit = quiet_visit(engine)
    await logged_in(client, panel_db, "attendant")
    path = f"/admin/agendamentos/{visit.appointment_id}/remarcar"
    page = await (await client.get(f"{path}?data={visit.day.isoformat()}")).text()
    assert f'name="prof_{visit.category_id}"' in page
    assert "Rafael Souza" in page and "Qualquer um" in page
    page = await (await client.get(
        f"{path}?data={visit.day.isoformat()}&prof_{visit.category_id}={visit.other_employee_id}"
    )).text()
    assert "Rafael Souza" in page
    token = TOKEN_RE.search(page).group(1)
    csrf = await page_csrf(client)
    response = await client.post(path, data={"csrf_token": csrf, "token": token})
    assert response.status == 200 and "remarcado" in await response.text()
    assert [it.employee_id for it in _items(engine, visit.appointment_id)] == [
        visit.other_employee_id]


async def test_adding_an_addon_from_the_visit_page_reprices_it(client, panel_db):
    engine = panel_db[0]
    visit = quiet_visit(engine, days_ahead=61)
    with Session(engine) as session:
        addon = session.exec(select(Service).where(Service.name == "Hidratação")).one()
        before = session.get(Appointment, visit.appointment_id)
    await logged_in(client, panel_db, "attendant")
    page = await (await client.get(f"/admin/agendamentos/{visit.appointment_id}")).text()
    assert "Incluir serviço ou adicional" in page and "Hidratação (adicional) — R$" in page
    csrf = await page_csrf(client)
    response = await client.post(f"/admin/agendamentos/{visit.appointment_id}/editar", data={
        "csrf_token": csrf, "acao": "incluir", "servico": str(addon.id)})
    body = await response.text()
    assert response.status == 200 and "Incluído Hidratação" in body
    with Session(engine) as session:
        after = session.get(Appointment, visit.appointment_id)
    assert after.total_cents > before.total_cents and after.end > before.end

    response = await client.post(f"/admin/agendamentos/{visit.appointment_id}/editar", data={
        "csrf_token": csrf, "acao": "incluir", "servico": str(addon.id)})
    assert "Hidratação já está no agendamento." in await response.text()
    response = await client.post(f"/admin/agendamentos/{visit.appointment_id}/editar", data={
        "csrf_token": csrf, "acao": "xyz"})
    assert response.status == 200 and "Alteração inválida." in await response.text()


async def test_a_service_that_no_longer_fits_offers_the_encaixe(client, panel_db):
    engine = panel_db[0]
    visit = quiet_visit(engine, days_ahead=62)
    with Session(engine) as session:  # the shop is closed for an hour right after the visit
        addon_id = session.exec(select(Service.id).where(Service.name == "Hidratação")).one()
        end = from_utc_naive(session.get(Appointment, visit.appointment_id).end,
                             session.exec(select(Shop)).first().timezone)
        session.add(Block(shop_id=visit.shop_id, dates=[visit.day.isoformat()], all_day=False,
                          start=f"{end:%H:%M}", end=f"{end + timedelta(hours=1):%H:%M}",
                          reason="Dedetização"))
        session.commit()
    await logged_in(client, panel_db, "owner")
    csrf = await page_csrf(client)
    path = f"/admin/agendamentos/{visit.appointment_id}/editar"
    response = await client.post(path, data={"csrf_token": csrf, "acao": "incluir",
                                             "servico": str(addon_id)})
    body = await response.text()
    assert response.status == 409, re.findall(r'class="flash[^>]*>([^<]*)', body)
    assert "Não cabe mais no horário — encaixar?" in body
    assert "A agenda da loja está bloqueada nesse horário." in body
    assert f"/admin/encaixe?pet={visit.pet_id}&amp;servico={addon_id}" in body
    assert len(_items(engine, visit.appointment_id)) == 1  # nothing changed yet

    wrong = await client.post(path, data={"csrf_token": csrf, "acao": "incluir",
                                          "servico": str(addon_id), "force": "1",
                                          "operator_pin": "000000"})
    assert "PIN" in await wrong.text()
    assert len(_items(engine, visit.appointment_id)) == 1
    kept = await client.post(path, data={"csrf_token": csrf, "acao": "incluir",
                                         "servico": str(addon_id), "force": "1",
                                         "operator_pin": PIN})
    assert "Mantido como encaixe." in await kept.text()
    with Session(engine) as session:
        assert session.get(Appointment, visit.appointment_id).is_encaixe
    assert len(_items(engine, visit.appointment_id)) == 2
    audit_page = await (await client.get("/admin/auditoria")).text()
    assert "Incluído Hidratação" in audit_page and "Mantido como encaixe." in audit_page
