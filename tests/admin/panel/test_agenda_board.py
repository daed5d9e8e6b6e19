"""The agenda's filters (segment, professional, status) on the day, board and week views; the
service board's moves through the JSON endpoint (skips, backward only when confirmed, refused
for non-owners); the day grid's unavailable time and click-to-book cells; the wizard opened from
a cell."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from scheduler_core.agenda.models import (
    Appointment,
    AppointmentItem,
    AppointmentStatus,
    StatusChange,
)
from scheduler_core.audit.models import AuditLog
from scheduler_core.catalog.models import Service
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.shop.models import Employee, Shop

from .conftest import logged_in, page_csrf

S = AppointmentStatus
LINK = re.compile(r'href="/admin/agendamentos/(\d+)"')
JSON = {"Accept": "application/json"}


def _busiest_day(engine):
    """The future weekday with the most visits of both segments, its visits (id → status,
    segment, employees), and the shop's zone."""
    with Session(engine) as session:
        tz = ZoneInfo(session.exec(select(Shop)).first().timezone)
        appts = session.exec(select(Appointment).where(
            Appointment.start > datetime.now(UTC) + timedelta(days=1))).all()
        by_day: dict = {}
        for a in appts:
            local = a.start.replace(tzinfo=UTC).astimezone(tz) if a.start.tzinfo is None \
                else a.start.astimezone(tz)
            if local.weekday() < 5:
                by_day.setdefault(local.date(), []).append(a)
        day = max(by_day, key=lambda d: (len({a.segment_id for a in by_day[d]}),
                                         len(by_day[d])))
        items = session.exec(select(AppointmentItem).where(
            col(AppointmentItem.appointment_id).in_([a.id for a in by_day[day]]))).all()
        employees: dict[int, set[int]] = {}
        for it in items:
            employees.setdefault(it.appointment_id, set()).add(it.employee_id)
        visits = {a.id: (a.status, a.segment_id, employees.get(a.id, set()))
                  for a in by_day[day]}
        return day, visits


def _shown(body: str) -> set[int]:
    return {int(i) for i in LINK.findall(body)}


@pytest.mark.parametrize("view", ["dia", "quadro", "semana"])
async def test_filters_show_only_the_matching_visits(client, panel_db, view):
    engine = panel_db[0]
    day, visits = _busiest_day(engine)
    active = {i for i, (st, _s, _e) in visits.items()
              if st not in (S.CANCELADO, S.NAO_COMPARECEU)}
    await logged_in(client, panel_db)
    base = f"/admin/agenda?visao={view}&data={day.isoformat()}"

    everything = _shown(await (await client.get(base)).text())
    assert active <= everything

    segment_id = next(seg for _st, seg, _e in visits.values())
    by_segment = _shown(await (await client.get(f"{base}&segmento={segment_id}")).text())
    expected = {i for i in active if visits[i][1] == segment_id}
    assert expected and expected <= by_segment
    assert not (by_segment & (active - expected))

    employee_id = next(iter(visits[next(iter(active))][2]))
    by_employee = _shown(await (await client.get(f"{base}&funcionario={employee_id}")).text())
    expected = {i for i in active if employee_id in visits[i][2]}
    assert expected and expected <= by_employee
    assert not (by_employee & (active - expected))

    status = visits[next(iter(active))][0]
    by_status = _shown(await (await client.get(f"{base}&status={status}")).text())
    expected = {i for i in visits if visits[i][0] == status}
    assert expected <= by_status
    assert not (by_status & (set(visits) - expected))


async def test_a_cancelled_visit_shows_only_under_its_status_filter(client, panel_db):
    engine = panel_db[0]
    day, visits = _busiest_day(engine)
    appt_id = next(iter(visits))
    with Session(engine) as session:
        appt = session.get(Appointment, appt_id)
        appt.status = S.CANCELADO
        session.add(appt)
        session.commit()
    await logged_in(client, panel_db)
    base = f"/admin/agenda?visao=quadro&data={day.isoformat()}"
    assert appt_id not in _shown(await (await client.get(base)).text())
    assert appt_id in _shown(await (await client.get(f"{base}&status=cancelado")).text())


def _visit(engine, status: str) -> Appointment:
    with Session(engine) as session:
        return session.exec(select(Appointment).where(
            Appointment.status == status, Appointment.start > datetime.now(UTC))
            .order_by(Appointment.start)).first()


async def _move(client, appt_id: int, status: str, **extra):
    csrf = await page_csrf(client)
    return await client.post(f"/admin/agendamentos/{appt_id}/mover", headers=JSON,
                             data={"csrf_token": csrf, "status": status, **extra})


async def test_board_move_skips_statuses_in_one_post_and_answers_json(client, panel_db):
    engine = panel_db[0]
    appt = _visit(engine, S.AGENDADO)
    await logged_in(client, panel_db)
    response = await _move(client, appt.id, S.EM_ATENDIMENTO)
    assert response.status == 200
    data = await response.json()
    assert data["ok"] and data["status"] == "em_atendimento"
    assert data["message"] == f"Agendamento #{appt.id}: Em atendimento."
    forward = [m["status"] for m in data["moves"] if not m["backward"]]
    assert forward == ["finalizado", "entregue"]
    with Session(engine) as session:
        assert session.get(Appointment, appt.id).status == S.EM_ATENDIMENTO


async def test_backward_move_needs_confirmation_and_is_recorded(client, panel_db):
    engine = panel_db[0]
    appt = _visit(engine, S.CONFIRMADO)
    await logged_in(client, panel_db)
    refused = await _move(client, appt.id, S.AGENDADO)
    assert refused.status == 409
    data = await refused.json()
    assert data["code"] == "revert_needs_confirmation"
    assert data["message"].startswith("Voltar o status de Confirmado para Agendado?")
    with Session(engine) as session:
        assert session.get(Appointment, appt.id).status == S.CONFIRMADO

    # Without the script: a confirmation page whose form re-posts it confirmed.
    csrf = await page_csrf(client)
    page = await client.post(f"/admin/agendamentos/{appt.id}/mover",
                             data={"csrf_token": csrf, "status": S.AGENDADO})
    body = await page.text()
    assert page.status == 200 and "Sim, voltar para Agendado" in body
    assert 'name="confirmed_revert" value="1"' in body

    done = await _move(client, appt.id, S.AGENDADO, confirmed_revert="1")
    assert (await done.json())["status"] == "agendado"
    with Session(engine) as session:
        last = session.exec(select(StatusChange).where(StatusChange.appointment_id == appt.id)
                            .order_by(col(StatusChange.id).desc())).first()
        assert (last.from_status, last.to_status) == ("confirmado", "agendado")
        audit = session.exec(select(AuditLog).where(AuditLog.action == "appointment.status")
                             .order_by(col(AuditLog.id).desc())).first()
        assert audit.details["revert"] is True
    visit_page = await (await client.get(f"/admin/agendamentos/{appt.id}")).text()
    assert "Confirmado → Agendado" in visit_page and ">volta<" in visit_page


async def test_an_attendant_cannot_move_back_and_is_not_offered_it(client, panel_db):
    engine = panel_db[0]
    appt = _visit(engine, S.CONFIRMADO)
    await logged_in(client, panel_db, "attendant")
    refused = await _move(client, appt.id, S.AGENDADO, confirmed_revert="1")
    assert refused.status == 409
    assert (await refused.json())["message"] == (
        f"Agendamento #{appt.id}: Não é possível voltar o status de Confirmado para Agendado.")
    visit_page = await (await client.get(f"/admin/agendamentos/{appt.id}")).text()
    assert 'name="status" value="agendado"' not in visit_page
    assert 'name="status" value="recebido"' in visit_page


def _juliana(engine) -> Employee:
    with Session(engine) as session:
        return session.exec(select(Employee).where(Employee.name == "Juliana Ferreira")).one()


def _next_weekday(day_offset: int = 2):
    day = datetime.now(UTC).date() + timedelta(days=day_offset)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


async def test_day_grid_shades_the_break_and_links_free_cells_to_the_wizard(client, panel_db):
    engine = panel_db[0]
    juliana = _juliana(engine)
    day = _next_weekday()
    await logged_in(client, panel_db, "attendant")
    body = await (await client.get(f"/admin/agenda?data={day.isoformat()}")).text()
    column = body.split(f'data-employee="{juliana.id}"', 1)[1].split('<div class="col"', 1)[0]
    assert 'class="off intervalo"' in column and ">Intervalo<" in column
    assert "Fora do expediente" in column  # before 08:00 / after 17:00
    cell = f"/admin/agenda/novo?data={day.isoformat()}&hora=%s&funcionario={juliana.id}\""
    assert cell % "12:00" not in column and cell % "12:30" not in column  # lunch
    assert cell % "17:00" not in column  # after her shift
    assert cell % "11:45" in column and cell % "13:00" in column  # the cells around lunch


async def test_a_day_off_is_shaded_all_day_and_offers_no_cell(client, panel_db):
    engine = panel_db[0]
    juliana = _juliana(engine)
    day = _next_weekday()
    while day.weekday() != 6:
        day += timedelta(days=1)  # Sunday: nobody works
    await logged_in(client, panel_db, "attendant")
    body = await (await client.get(f"/admin/agenda?data={day.isoformat()}")).text()
    column = body.split(f'data-employee="{juliana.id}"', 1)[1].split('<div class="col"', 1)[0]
    assert 'class="off folga"' in column
    assert "/admin/agenda/novo?" not in column
    week = await (await client.get(f"/admin/agenda?visao=semana&data={day.isoformat()}")).text()
    assert f'class="wk-cell off" data-employee="{juliana.id}" data-day="{day.isoformat()}"' in week


async def test_wizard_opened_from_a_cell_keeps_day_time_and_professional(client, panel_db):
    engine = panel_db[0]
    juliana = _juliana(engine)
    day = _next_weekday(5)
    with Session(engine) as session:
        pet = session.exec(select(Pet).where(Pet.species == "cao", col(Pet.porte).is_not(None),
                                             col(Pet.pelagem).is_not(None))
                           .order_by(Pet.id)).first()
        bath = session.exec(select(Service).where(Service.name == "Banho")).one()
    await logged_in(client, panel_db, "attendant")
    keep = f"data={day.isoformat()}&hora=14:00&funcionario={juliana.id}"
    first = await (await client.get(f"/admin/agenda/novo?{keep}")).text()
    assert "Horário escolhido na agenda" in first and "14:00" in first
    assert "Juliana Ferreira" in first
    step4 = await (await client.get(
        f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}&servico={bath.id}&{keep}")).text()
    assert f'name="data" value="{day.isoformat()}"' in step4
    assert re.search(rf'<option value="{juliana.id}" selected>Juliana Ferreira', step4)


async def test_a_short_visit_is_one_line_with_tutor_and_status_and_a_full_tooltip(
        client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        tz = ZoneInfo(session.exec(select(Shop)).first().timezone)
        items = session.exec(select(AppointmentItem).where(
            AppointmentItem.start > datetime.now(UTC) + timedelta(days=1))
            .order_by(AppointmentItem.start)).all()
        item = next(it for it in items if it.end - it.start <= timedelta(minutes=30)
                    and session.get(Appointment, it.appointment_id).status == S.AGENDADO)
        appt = session.get(Appointment, item.appointment_id)
        tutor = session.get(Tutor, appt.tutor_id).name
        pet = session.get(Pet, appt.pet_id).name
        start = item.start if item.start.tzinfo else item.start.replace(tzinfo=UTC)
        day = start.astimezone(tz).date()
    await logged_in(client, panel_db)
    body = await (await client.get(f"/admin/agenda?data={day.isoformat()}")).text()
    card = re.search(rf'<a class="appt st-agendado\s+short" data-id="{appt.id}"[^>]*>(.*?)</a>',
                     body, re.S)
    assert card, "the short visit is drawn as a compact card"
    assert "<br>" not in card.group(1)
    text = " ".join(re.sub(r"<[^>]+>", " ", card.group(1)).split())
    assert text == f"{start.astimezone(tz):%H:%M} {pet} · {tutor} · Agendado"
    title = re.search(r'title="([^"]+)"', card.group(0)).group(1)
    assert pet in title and tutor in title and "Agendado" in title and "–" in title


async def test_no_free_cell_is_offered_in_the_past(client, panel_db):
    engine = panel_db[0]
    juliana = _juliana(engine)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    await logged_in(client, panel_db)
    body = await (await client.get(f"/admin/agenda?data={yesterday.isoformat()}")).text()
    assert f"funcionario={juliana.id}" not in body


async def test_the_cell_prefill_survives_registering_a_new_tutor_and_pet(client, panel_db):
    engine = panel_db[0]
    juliana = _juliana(engine)
    day = _next_weekday(5)
    keep = {"data": day.isoformat(), "hora": "14:00", "funcionario": str(juliana.id)}
    tail = f"data={day.isoformat()}&hora=14%3A00&funcionario={juliana.id}"
    await logged_in(client, panel_db, "attendant")
    first = await (await client.get(f"/admin/agenda/novo?{tail}")).text()
    tutor_form = first.split('action="/admin/agenda/novo/tutor"', 1)[1].split("</form>", 1)[0]
    assert 'name="hora" value="14:00"' in tutor_form
    csrf = await page_csrf(client)
    made = await client.post("/admin/agenda/novo/tutor", allow_redirects=False, data={
        "csrf_token": csrf, "name": "Tutora da Célula", "whatsapp": "(11) 98888-1234", **keep})
    wanted = tail.replace("%3A", ":")  # the Location header as aiohttp normalises it
    assert made.status == 303 and made.headers["Location"].endswith(wanted)
    step2 = await (await client.get(made.headers["Location"])).text()
    assert 'name="hora" value="14:00"' in step2.split('action="/admin/agenda/novo/pet"', 1)[1]
    tutor_id = int(re.search(r"tutor=(\d+)", made.headers["Location"]).group(1))
    pet = await client.post("/admin/agenda/novo/pet", allow_redirects=False, data={
        "csrf_token": csrf, "tutor_id": str(tutor_id), "name": "Bolinha", "species": "cao",
        "porte": "pequeno", "pelagem": "curta", **keep})
    assert pet.status == 303, await pet.text()
    assert pet.headers["Location"].endswith(wanted)
