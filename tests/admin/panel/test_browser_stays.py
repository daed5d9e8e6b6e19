"""Hotel stays in Chromium against the live app: a 3-night stay on the last free place is
booked; the next one for an overlapping night is refused in Portuguese and nothing is stored.
Screenshots go to tests/artifacts/."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.catalog.models import Service, ServiceCategory
from scheduler_core.people.models import Pet
from scheduler_core.shop.models import Segment

from .conftest import browser_login, shot

pytestmark = pytest.mark.browser


def test_a_three_night_stay_takes_the_last_place_and_the_next_is_refused(desk, panel_db):
    engine, _, accs = panel_db
    with Session(engine) as s:  # the demo's grooming segment run as a one-place hotel
        dogs = s.exec(select(Pet).where(Pet.species == "cao").order_by(Pet.id)).all()[:2]
        bath = s.exec(select(Service).where(Service.name == "Banho")).one()
        segment = s.get(Segment, s.get(ServiceCategory, bath.category_id).segment_id)
        segment.kind, segment.daily_capacity = "hotel", 1
        s.add(segment)
        s.commit()
        first_pet, second_pet, name = dogs[0].id, dogs[1].id, segment.name
        bath_id, segment_id = bath.id, segment.id
    check_in = date.today() + timedelta(days=300)  # past the demo's agenda: one place free
    browser_login(desk, accs.owner_login, accs.owner_password)

    desk.goto(desk.base + f"/admin/hospedagem/nova?pet={first_pet}")
    desk.select_option("#stay-form select[name=servico]", str(bath_id))
    desk.fill("#stay-form input[name=entrada]", check_in.isoformat())
    desk.fill("#stay-form input[name=saida]", (check_in + timedelta(days=3)).isoformat())
    desk.click("#stay-form button")
    expect(desk.locator(".flash-ok")).to_contain_text("3 diárias")
    expect(desk.locator("#occupancy")).to_contain_text(f"{name}: 1/1")
    shot(desk, "desk-hospedagem-reservada")

    desk.goto(desk.base + f"/admin/hospedagem/nova?pet={second_pet}")
    desk.select_option("#stay-form select[name=servico]", str(bath_id))
    overlap = check_in + timedelta(days=2)  # the first stay's last night
    desk.fill("#stay-form input[name=entrada]", overlap.isoformat())
    desk.fill("#stay-form input[name=saida]", (overlap + timedelta(days=2)).isoformat())
    desk.click("#stay-form button")
    expect(desk.locator("#stay-error")).to_have_text(
        f"Sem vagas em {name} no dia {overlap:%d/%m}: 1 de 1 ocupadas. Escolha outra data.")
    shot(desk, "desk-hospedagem-lotada")
    with Session(engine) as s:
        visits = s.exec(select(Appointment).where(Appointment.segment_id == segment_id,
                                                  Appointment.pet_id.in_([first_pet,
                                                                          second_pet]))).all()
    stays = [a for a in visits if a.start.date() >= check_in - timedelta(days=1)]
    assert [(a.pet_id, (a.end.date() - a.start.date()).days) for a in stays] == [(first_pet, 3)]
