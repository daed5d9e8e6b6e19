"""A breed chosen in the panel's pet forms (booking wizard's new-pet step, the pet page) is saved.

The breed select posts the breed's id as text; the panel turns it into the id the core takes.
"""

from __future__ import annotations

from sqlmodel import Session, select

from scheduler_core.people.models import Breed, Pet, Tutor

from .conftest import logged_in, page_csrf


def _dog_breed(engine, name: str) -> Breed:
    with Session(engine) as session:
        return session.exec(select(Breed).where(Breed.species == "cao",
                                                Breed.name == name)).one()


def _tutor(engine) -> Tutor:
    with Session(engine) as session:
        return session.exec(select(Tutor).order_by(Tutor.id)).first()


def _pet(engine, pet_id: int) -> Pet:
    with Session(engine) as session:
        return session.get(Pet, pet_id)


async def test_booking_wizard_registers_a_pet_with_the_breed_chosen(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    tutor = _tutor(engine)
    breed = _dog_breed(engine, "Shih Tzu")
    csrf = await page_csrf(client, f"/admin/agenda/novo?tutor={tutor.id}")
    response = await client.post("/admin/agenda/novo/pet", data={
        "csrf_token": csrf, "tutor_id": str(tutor.id), "name": "Quindim", "species": "cao",
        "breed_id": str(breed.id), "porte": "", "pelagem": "", "weight_kg": ""},
        allow_redirects=False)
    assert response.status == 303, await response.text()
    pet_id = int(response.headers["Location"].rsplit("pet=", 1)[1])
    pet = _pet(engine, pet_id)
    assert (pet.name, pet.breed_id) == ("Quindim", breed.id)
    # The breed fills in what staff left to it.
    assert (pet.porte, pet.pelagem) == (breed.default_porte, breed.default_pelagem)
    wizard = await client.get(response.headers["Location"])
    assert "Quindim" in await wizard.text()


async def test_pet_page_changes_and_clears_the_breed(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    tutor = _tutor(engine)
    csrf = await page_csrf(client, f"/admin/tutores/{tutor.id}/pets/novo")
    created = await client.post(f"/admin/tutores/{tutor.id}/pets", data={
        "csrf_token": csrf, "name": "Tufão", "species": "cao",
        "breed_id": str(_dog_breed(engine, "Poodle").id)}, allow_redirects=False)
    assert created.status == 303, await created.text()
    pet_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert _pet(engine, pet_id).breed_id == _dog_breed(engine, "Poodle").id

    labrador = _dog_breed(engine, "Labrador Retriever")
    page = await client.get(f"/admin/pets/{pet_id}")
    assert f'<option value="{_dog_breed(engine, "Poodle").id}" selected>' in await page.text()
    saved = await client.post(f"/admin/pets/{pet_id}", data={
        "csrf_token": csrf, "name": "Tufão", "species": "cao", "breed_id": str(labrador.id)},
        allow_redirects=False)
    assert saved.status == 303, await saved.text()
    assert _pet(engine, pet_id).breed_id == labrador.id
    page = await client.get(f"/admin/pets/{pet_id}")
    assert "Dados do pet salvos" in await page.text()
    assert f'<option value="{labrador.id}" selected>' in await page.text()

    cleared = await client.post(f"/admin/pets/{pet_id}", data={
        "csrf_token": csrf, "name": "Tufão", "species": "cao", "breed_id": ""},
        allow_redirects=False)
    assert cleared.status == 303
    assert _pet(engine, pet_id).breed_id is None


async def test_a_tampered_breed_is_refused_in_portuguese_and_the_form_kept(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    tutor = _tutor(engine)
    csrf = await page_csrf(client, f"/admin/agenda/novo?tutor={tutor.id}")
    cat_breed = None
    with Session(engine) as session:
        cat_breed = session.exec(select(Breed).where(Breed.species == "gato")).first()
    cases = [("abc", "Raça inválida."), ("١٢", "Raça inválida."),  # Arabic-Indic digits
             ("99999", "Raça não encontrada."), (str(cat_breed.id), "não é de cão")]
    for raw, message in cases:
        response = await client.post("/admin/agenda/novo/pet", data={
            "csrf_token": csrf, "tutor_id": str(tutor.id), "name": "Fumaça", "species": "cao",
            "breed_id": raw}, allow_redirects=False)
        html = await response.text()
        assert response.status == 422, (raw, html[:300])
        assert message in html and 'value="Fumaça"' in html
    with Session(engine) as session:
        assert session.exec(select(Pet).where(Pet.name == "Fumaça")).first() is None
