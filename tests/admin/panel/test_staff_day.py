"""The staff's day, remainder of issue 12 (aiohttp test client on the demo shop): day care over
a date range from the wizard, a hotel stay on each day of the agenda's day and week grids."""

from __future__ import annotations

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
    labels = ["entrada 14:00 · 1ª de 3 diária(s)", "2ª de 3 diária(s)", "3ª de 3 diária(s)",
              "saída 12:00 · fim de 3 diária(s)"]
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
