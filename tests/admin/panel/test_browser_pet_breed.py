"""Choosing a breed in the booking wizard's new-pet step, in a real browser (Chromium)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from scheduler_core.people.models import Breed, Pet, Tutor

from .conftest import browser_login, shot

pytestmark = pytest.mark.browser


def test_staff_registers_a_new_pet_with_a_breed_in_the_wizard(desk, panel_db):
    engine, _, accs = panel_db
    with Session(engine) as session:
        tutor = session.exec(select(Tutor).order_by(Tutor.id)).first()
        breed = session.exec(select(Breed).where(Breed.species == "cao",
                                                 Breed.name == "Shih Tzu")).one()
    browser_login(desk, accs.owner_login, accs.owner_password)
    desk.goto(desk.base + f"/admin/agenda/novo?tutor={tutor.id}")
    desk.fill("input[name=name]", "Quindim")
    desk.select_option("select[name=breed_id]", label="Shih Tzu (Cão)")
    shot(desk, "desk-wizard-novo-pet")
    desk.click("button:has-text('Salvar pet')")
    expect(desk.locator(".flash-ok")).to_contain_text("Pet cadastrado")
    expect(desk.locator("main")).to_contain_text("Quindim (Cão")
    with Session(engine) as session:
        pet = session.exec(select(Pet).where(Pet.name == "Quindim")).one()
    assert pet.tutor_id == tutor.id and pet.breed_id == breed.id
    assert pet.porte == breed.default_porte
