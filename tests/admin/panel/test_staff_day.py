"""The staff's day, remainder of issue 12 (aiohttp test client on the demo shop): day care over
a date range from the wizard, a hotel stay on each day of the agenda's day and week grids."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.catalog.models import Service, ServiceCategory
from scheduler_core.kernel.clock import utc_now
from scheduler_core.people.models import Pet
from scheduler_core.scheduling import day_care, stays
from scheduler_core.shop.models import Segment

from .conftest import logged_in, page_csrf


def _as_kind(engine, kind: str, capacity: int | None) -> tuple[list[Pet], Service, Segment]:
    """The demo's grooming segment run as a creche or hotel with ``capacity`` places."""
    with Session(engine, expire_on_commit=False) as s:
        dogs = s.exec(select(Pet).where(Pet.species == "cao", col(Pet.porte).is_not(None),
                                        col(Pet.pelagem).is_not(None)).order_by(Pet.id)).all()
        bath = s.exec(select(Service).where(Service.name == "Banho")).one()
        segment = s.get(Segment, s.get(ServiceCategory, bath.category_id).segment_id)
        segment.kind, segment.daily_capacity = kind, capacity
        s.add(segment)
        s.commit()
        return dogs[:2], bath, segment


def _monday_ahead(weeks: int = 6) -> date:
    """A Monday past the demo's agenda (14 days) and inside the staff horizon (90 days)."""
    day = date.today() + timedelta(weeks=weeks)
    return day - timedelta(days=day.weekday())


async def test_the_wizard_books_day_care_over_a_range_and_names_the_full_days(client, panel_db):
    engine = panel_db[0]
    (rex, other), bath, segment = _as_kind(engine, "creche", 1)
    monday = _monday_ahead()
    wednesday, friday = monday + timedelta(days=2), monday + timedelta(days=4)
    for day in (wednesday, friday):  # the only place of those days
        day_care.book_days(engine, pet_id=other.id, service_id=bath.id, first=day, last=day,
                           now=utc_now(), actor="test")
    await logged_in(client, panel_db)
    wizard = await (await client.get(
        f"/admin/agenda/novo?pet={rex.id}&servico={bath.id}&data={monday.isoformat()}")).text()
    assert 'id="creche-periodo"' in wizard and "Creche por período" in wizard
    assert f'value="{monday:%d/%m/%Y}"' in wizard  # the first day starts at the wizard's day
    csrf = await page_csrf(client)
    refused = await client.post("/admin/agenda/novo/creche", allow_redirects=True, data={
        "csrf_token": csrf, "pet": str(rex.id), "servico": str(bath.id),
        "primeiro": f"{monday:%d/%m/%Y}", "ultimo": f"{friday:%d/%m/%Y}"})
    body = await refused.text()
    assert (f"Sem vagas em {segment.name} nos dias {wednesday:%d/%m} e {friday:%d/%m}. "
            "Nada foi agendado: escolha outras datas.") in body
    assert f'value="{friday:%d/%m/%Y}"' in body  # back on the form with the dates typed
    with Session(engine) as s:
        assert not s.exec(select(Appointment).where(Appointment.pet_id == rex.id,
                                                    Appointment.segment_id == segment.id,
                                                    Appointment.start >= datetime.combine(
                                                        monday, time(), tzinfo=UTC))).all()
    booked = await client.post("/admin/agenda/novo/creche", allow_redirects=False, data={
        "csrf_token": csrf, "pet": str(rex.id), "servico": str(bath.id),
        "primeiro": f"{monday:%d/%m/%Y}", "ultimo": f"{monday + timedelta(days=1):%d/%m/%Y}"})
    assert booked.status == 303
    agenda = await (await client.get(booked.headers["Location"])).text()
    assert "Creche agendada: 2 dias de" in agenda
    assert f"{segment.name}: 1/1" in agenda and rex.name in agenda
    for bad in ({"primeiro": "31/02/2027", "ultimo": "01/03/2027"}, {"primeiro": "", "ultimo": ""},
                {"primeiro": "01/01/9999", "ultimo": "02/01/9999"}):
        answer = await client.post("/admin/agenda/novo/creche", allow_redirects=True, data={
            "csrf_token": csrf, "pet": str(rex.id), "servico": str(bath.id), **bad})
        assert answer.status in (200, 422) and "flash-erro" in await answer.text(), bad


async def test_a_hotel_stay_shows_on_each_day_it_spans_in_the_day_and_week_grids(client,
                                                                                panel_db):
    engine = panel_db[0]
    (rex, _), bath, segment = _as_kind(engine, "hotel", 5)
    monday = _monday_ahead()
    stay = stays.book_stay(engine, pet_id=rex.id, service_id=bath.id, check_in=monday,
                           check_out=monday + timedelta(days=3), now=utc_now(), actor="test")
    await logged_in(client, panel_db)
    labels = ["entrada 14:00 · 1ª de 3 diárias", "2ª de 3 diárias", "3ª de 3 diárias",
              "saída 12:00 · fim de 3 diárias"]
    for offset, label in enumerate(labels):
        page = await (await client.get(
            f"/admin/agenda?data={(monday + timedelta(days=offset)).isoformat()}")).text()
        strip = page.split('id="stays"', 1)[1].split("</div>", 1)[0]
        assert f'data-id="{stay.id}"' in strip and label in strip, offset
        # not drawn as a block of its professional's column
        assert f'data-id="{stay.id}"' not in page.split('class="day-grid"', 1)[1]
    after = await (await client.get(
        f"/admin/agenda?data={(monday + timedelta(days=4)).isoformat()}")).text()
    assert f'data-id="{stay.id}"' not in after
    week = await (await client.get(f"/admin/agenda?visao=semana&data={monday.isoformat()}")).text()
    row = week.split("Hospedagem e creche</div>", 1)[1]
    cells = row.split('class="wk-cell stays"')[1:8]
    assert [f'data-id="{stay.id}"' in c for c in cells] == [True] * 4 + [False] * 3


# --------------------------------------------------------------------------- moving backwards


def test_moving_back_is_a_permission_of_the_owner_of_a_granted_role_or_employee():
    from admin.models import Role
    from admin.panel.permissions import Perm, permissions_for
    from scheduler_core.shop.models import Employee

    back = Perm.AGENDA_STATUS_BACK
    assert back in permissions_for(Role.DONO)
    assert back not in permissions_for(Role.ATENDENTE)
    assert back in permissions_for(Role.ATENDENTE, status_back_roles=["atendente"])
    assert back in permissions_for(Role.TOSADOR, Employee(name="x", can_revert_status=True))
    assert back not in permissions_for(Role.TOSADOR, Employee(name="x", can_revert_status=True,
                                                              active=False))


async def test_the_owner_grants_moving_back_to_a_role_and_to_one_employee(client, panel_db):
    from admin.models import StaffUser
    from scheduler_core.agenda.models import AppointmentStatus as S
    from scheduler_core.audit.models import AuditLog
    from scheduler_core.shop.models import Employee, Shop

    from .conftest import PIN
    from .test_agenda_board import _move, _visit

    engine = panel_db[0]
    appt = _visit(engine, S.CONFIRMADO)
    await logged_in(client, panel_db)
    csrf = await page_csrf(client, "/admin/config/equipe")
    wrong = await client.post("/admin/config/equipe", data={
        "csrf_token": csrf, "action": "status_back", "status_back_roles": "atendente",
        "operator_pin": "000000"})
    assert wrong.status == 422
    saved = await client.post("/admin/config/equipe", allow_redirects=False, data={
        "csrf_token": csrf, "action": "status_back", "status_back_roles": "atendente",
        "operator_pin": PIN})
    assert saved.status == 303
    with Session(engine) as s:
        assert s.exec(select(Shop)).first().status_back_roles == ["atendente"]
        audit = s.exec(select(AuditLog).where(AuditLog.action == "staff.status_back")).one()
        assert audit.details == {"status_back_roles": ["Atendente"]}
    team = await (await client.get("/admin/config/equipe")).text()
    assert 'name="status_back_roles" value="atendente" checked' in team

    client.session.cookie_jar.clear()
    await logged_in(client, panel_db, "attendant")
    visit_page = await (await client.get(f"/admin/agendamentos/{appt.id}")).text()
    assert 'name="status" value="agendado"' in visit_page  # offered now
    done = await _move(client, appt.id, S.AGENDADO, confirmed_revert="1")
    assert done.status == 200 and (await done.json())["status"] == "agendado"

    # A groomer's role is not granted; his employee record is.
    client.session.cookie_jar.clear()
    await logged_in(client, panel_db, "groomer")
    refused = await _move(client, appt.id, S.CONFIRMADO)
    assert refused.status == 200  # forward is fine
    refused = await _move(client, appt.id, S.AGENDADO, confirmed_revert="1")
    assert refused.status == 409
    with Session(engine) as s:
        employee = s.exec(select(Employee).order_by(Employee.id)).first()
        employee.can_revert_status = True
        user = s.exec(select(StaffUser).where(StaffUser.login == panel_db[2].groomer[0])).one()
        user.employee_id = employee.id
        s.add_all([employee, user])
        s.commit()
    done = await _move(client, appt.id, S.AGENDADO, confirmed_revert="1")
    assert done.status == 200 and (await done.json())["status"] == "agendado"


# --------------------------------------------------------------------------- click-to-book step


async def test_empty_cells_follow_the_segments_slot_step(client, panel_db):
    from scheduler_core.shop.models import Employee, EmployeeCategory

    from .test_agenda_board import _next_weekday

    engine = panel_db[0]
    with Session(engine) as s:
        juliana = s.exec(select(Employee).where(Employee.name == "Juliana Ferreira")).one()
        category = s.exec(select(EmployeeCategory).where(
            EmployeeCategory.employee_id == juliana.id)).first()
        segment = s.get(Segment, s.get(ServiceCategory, category.category_id).segment_id)
        juliana_id, segment_id, step = juliana.id, segment.id, segment.slot_step_min
    day = _next_weekday(20)  # past the demo's agenda: her whole shift is free
    await logged_in(client, panel_db, "attendant")

    def column(body: str) -> str:
        return body.split(f'data-employee="{juliana_id}"', 1)[1].split('<div class="col"', 1)[0]

    def cells(body: str) -> list[int]:
        found = re.findall(rf"data={day.isoformat()}&hora=(\d\d):(\d\d)&funcionario="
                           rf"{juliana_id}\"", body)
        return [int(h) * 60 + int(m) for h, m in found]

    body = column(await (await client.get(f"/admin/agenda?data={day.isoformat()}")).text())
    starts = cells(body)
    assert step == 15 and len(starts) > 8 and 15 in _gaps(starts)
    assert all(m % 15 == 0 for m in starts) and any(m % 30 == 15 for m in starts)
    assert 'data-step="15" style="top: ' in body and "height: 18.0px" in body  # 72 px an hour
    with Session(engine) as s:
        seg = s.get(Segment, segment_id)
        seg.slot_step_min = 20
        s.add(seg)
        s.commit()
    body = column(await (await client.get(f"/admin/agenda?data={day.isoformat()}")).text())
    starts = cells(body)
    assert 20 in _gaps(starts) and 15 not in _gaps(starts) and any(m % 60 == 20 for m in starts)
    assert 'data-step="20"' in body and "height: 24.0px" in body


def _gaps(starts: list[int]) -> set[int]:
    from itertools import pairwise

    return {b - a for a, b in pairwise(starts)}


# --------------------------------------------------------------------------- PIN before a tutor


async def test_the_pet_page_and_the_inbox_panel_ask_for_the_pin_like_the_tutor_page(client,
                                                                                   panel_db):
    from bot.config import SIM_PHONE_ID
    from bot.models import Owner, WaConversation
    from scheduler_core.audit.models import AuditLog
    from scheduler_core.people.models import Tutor
    from scheduler_core.shop.models import Shop

    from .conftest import PIN

    engine = panel_db[0]
    with Session(engine) as s:
        shop = s.exec(select(Shop)).first()
        shop.pin_to_open_tutor = True
        pet = s.exec(select(Pet).order_by(Pet.id)).first()
        tutor = s.get(Tutor, pet.tutor_id)
        other_pet = s.exec(select(Pet).where(Pet.tutor_id != tutor.id)).first()
        conv = WaConversation(shop_id=shop.id, key=tutor.whatsapp, phone=tutor.whatsapp,
                              profile_name="Contato", business_phone_id=SIM_PHONE_ID,
                              owner=Owner.HUMAN, tutor_id=tutor.id, handoff_reason="Pediu",
                              handoff_at=utc_now(), last_inbound_at=utc_now())
        s.add_all([shop, conv])
        s.commit()
        pet_id, tutor_id, conv_id, other_id = pet.id, tutor.id, conv.id, other_pet.id
        pet_name = pet.name
    await logged_in(client, panel_db, "attendant")
    prompt = await (await client.get(f"/admin/pets/{pet_id}")).text()
    assert 'id="abrir-tutor"' in prompt and f'action="/admin/tutores/{tutor_id}/abrir"' in prompt
    assert f'name="back" value="/admin/pets/{pet_id}"' in prompt
    assert 'name="weight_kg"' not in prompt
    inbox = await (await client.get(f"/admin/atendimento/{conv_id}")).text()
    panel = inbox.split('id="tutor-panel"', 1)[1]
    assert 'id="tutor-locked"' in panel and f'value="/admin/atendimento/{conv_id}"' in panel
    assert f"/admin/pets/{pet_id}" not in panel  # the pets list waits for the PIN
    csrf = await page_csrf(client, "/admin/agenda")
    wrong = await client.post(f"/admin/tutores/{tutor_id}/abrir", data={
        "csrf_token": csrf, "operator_pin": "000000", "back": f"/admin/atendimento/{conv_id}"})
    assert wrong.status == 422 and "PIN de operador incorreto" in await wrong.text()
    opened = await client.post(f"/admin/tutores/{tutor_id}/abrir", allow_redirects=False, data={
        "csrf_token": csrf, "operator_pin": PIN, "back": f"/admin/atendimento/{conv_id}"})
    assert opened.headers["Location"] == f"/admin/atendimento/{conv_id}"
    inbox = await (await client.get(f"/admin/atendimento/{conv_id}")).text()
    assert 'id="tutor-locked"' not in inbox and f"/admin/pets/{pet_id}" in inbox
    page = await (await client.get(f"/admin/pets/{pet_id}")).text()  # same tutor: open now
    assert 'name="weight_kg"' in page and pet_name in page
    assert 'id="abrir-tutor"' in await (await client.get(f"/admin/pets/{other_id}")).text()
    # back to another site or an unrelated page falls back to the tutor's page
    for back in ("https://example.com/", "/admin/config/equipe", "//evil"):
        gone = await client.post(f"/admin/tutores/{tutor_id}/abrir", allow_redirects=False,
                                 data={"csrf_token": csrf, "operator_pin": PIN, "back": back})
        assert gone.headers["Location"] == f"/admin/tutores/{tutor_id}", back
    with Session(engine) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "tutor.open",
                                             AuditLog.entity_id == tutor_id)).all()
    assert len(rows) == 4


# --------------------------------------------------------------------------- inbox ticks


def _attendant_message(engine, text: str, status: str = "sent") -> tuple[int, int]:
    from bot.config import SIM_PHONE_ID
    from bot.models import Owner, WaConversation, WaMessage
    from scheduler_core.shop.models import Shop

    with Session(engine) as s:
        shop = s.exec(select(Shop)).first()
        conv = WaConversation(shop_id=shop.id, key="+5511900001111", phone="+5511900001111",
                              profile_name="Contato", business_phone_id=SIM_PHONE_ID,
                              owner=Owner.HUMAN, handoff_reason="Pediu",
                              handoff_at=utc_now(), last_inbound_at=utc_now())
        s.add(conv)
        s.flush()
        msg = WaMessage(conversation_id=conv.id, direction="out", author="attendant",
                        actor="staff:1", text=text, status=status, created_at=utc_now())
        s.add(msg)
        s.commit()
        return conv.id, msg.id


def _set_status(engine, msg_id: int, status: str) -> None:
    from bot.models import WaMessage

    with Session(engine) as s:
        msg = s.get(WaMessage, msg_id)
        msg.status = status
        s.add(msg)
        s.commit()


async def test_the_inbox_poll_brings_the_ticks_of_the_attendants_messages(client, panel_db):
    engine = panel_db[0]
    conv_id, msg_id = _attendant_message(engine, "Pode trazer às 10h")
    await logged_in(client, panel_db, "attendant")
    page = await (await client.get(f"/admin/atendimento/{conv_id}")).text()
    assert 'class="tick st-sent" data-status="sent">✓ enviada<' in page
    url = f"/admin/atendimento/{conv_id}/novas.json"
    first = await client.get(url, params={"depois": msg_id})
    data = await first.json()
    assert data["messages"] == []  # nothing new after the cursor...
    assert data["statuses"] == {str(msg_id): {"status": "sent", "tick": "✓ enviada"}}
    etag = first.headers["ETag"]
    assert (await client.get(url, params={"depois": msg_id},
                             headers={"If-None-Match": etag})).status == 304
    _set_status(engine, msg_id, "read")  # ...but the tick moved: a new answer
    moved = await client.get(url, params={"depois": msg_id}, headers={"If-None-Match": etag})
    assert moved.status == 200
    assert (await moved.json())["statuses"][str(msg_id)] == {"status": "read",
                                                             "tick": "✓✓ lida"}


# --------------------------------------------------------------------------- configuration


async def test_an_employees_hours_are_copied_to_the_days_ticked_without_saving(client,
                                                                              panel_db):
    from scheduler_core.shop.models import Employee

    from .test_config_forms import _post

    engine = panel_db[0]
    with Session(engine) as s:
        category = s.exec(select(ServiceCategory)).first()
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/funcionarios/novo", [
        ("name", "Joana Copiada"), ("has_calendar", "1"), ("active", "1"), ("species", "cao"),
        ("categories", str(category.id)), ("works", "1"), ("works", "3"), ("works", "5"),
        ("d1_start_0", "08:00"), ("d1_end_0", "12:00"), ("d1_start_1", "13:00"),
        ("d1_end_1", "17:00"), ("copy_from", "1")])
    html = await response.text()
    assert response.status == 200
    assert "Horário de terça copiado para os outros dias marcados" in html
    for d in (1, 3, 5):
        assert f'name="d{d}_start_1" value="13:00"' in html
        assert f'name="works" value="{d}" checked' in html
    assert 'name="d2_start_0" value=""' in html  # a day not worked stays empty
    assert 'name="name" value="Joana Copiada"' in html
    with Session(engine) as s:
        assert not s.exec(select(Employee).where(Employee.name == "Joana Copiada")).all()


def test_every_remover_button_asks_for_a_confirmation():
    """Each "Remover" of the panel's templates sits in a form (or is a button) with
    data-confirm: nothing is removed on a single slip of the finger."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "admin" / "templates"
    missing = []
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r">\s*Remover\s*</button>", text):
            form_start = text.rfind("<form", 0, match.start())
            button_start = text.rfind("<button", 0, match.start())
            if "data-confirm" not in text[min(form_start, button_start):match.start()]:
                missing.append(f"{path.relative_to(root)}:{text.count(chr(10), 0, match.start())}")
    assert missing == []
