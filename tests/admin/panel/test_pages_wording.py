"""Panel pages and wording: the pt-BR 404 page inside the layout, the favicon, pt-BR numbers
("6,5 kg") and plurals ("2 conflitos")."""

from __future__ import annotations

from sqlmodel import Session, select

from admin.panel.fmt import kg, number_br, plural
from scheduler_core.people.models import Pet

from .conftest import logged_in


async def test_unknown_admin_url_shows_the_pt_br_page_with_the_menu(client, panel_db):
    await logged_in(client, panel_db)
    response = await client.get("/admin/nao-existe/de-jeito-nenhum")
    body = await response.text()
    assert response.status == 404
    assert "Página não encontrada" in body and "404: Not Found" not in body
    assert 'id="nav"' in body and "Configurações" in body  # the menu of the signed-in staff


async def test_unknown_url_signed_out_is_pt_br_without_the_menu(client):
    response = await client.get("/admin/qualquer", allow_redirects=False)
    assert response.status == 404
    body = await response.text()
    assert "Página não encontrada" in body and 'id="nav"' not in body
    html = await client.get("/perdido", headers={"Accept": "text/html"})
    assert html.status == 404 and "Página não encontrada" in await html.text()


async def test_the_api_keeps_its_json_404(client):
    response = await client.get("/api/v1/nada", headers={"Authorization": "Bearer t"})
    assert response.status == 404
    assert response.content_type == "application/json"


async def test_favicon_is_served(client):
    response = await client.get("/favicon.ico")
    assert response.status == 200 and response.content_type == "image/x-icon"
    assert (await response.read())[:4] == b"\0\0\1\0"


def test_numbers_and_plurals_read_as_pt_br():
    assert number_br(6.5) == "6,5" and number_br(6.0) == "6" and number_br(1234.5) == "1.234,5"
    assert kg(6500) == "6,5 kg" and kg(12000) == "12 kg"
    assert plural(1, "conflito") == "1 conflito" and plural(2, "conflito") == "2 conflitos"
    assert plural(0, "horário livre", "horários livres") == "0 horários livres"


async def test_pet_page_shows_the_weight_with_a_comma(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        pet = session.exec(select(Pet)).first()
        pet.weight_grams = 6500
        session.add(pet)
        session.commit()
        pet_id = pet.id
    await logged_in(client, panel_db)
    body = await (await client.get(f"/admin/pets/{pet_id}")).text()
    assert "6,5 kg" in body and "6.5 kg" not in body
