"""Configuração → Raças (aiohttp test client): search, defaults, nicknames, não atendemos,
a new breed; hostile input gets a pt-BR message."""

from __future__ import annotations

from sqlmodel import Session, select

from scheduler_core.people.acceptance import pet_refusal
from scheduler_core.people.models import Breed, NotAcceptedBreed
from scheduler_core.shop.models import Shop

from .conftest import logged_in, page_csrf


def _breed(engine, name: str) -> Breed:
    with Session(engine) as session:
        return session.exec(select(Breed).where(Breed.name == name)).one()


async def test_search_and_edit_a_breed(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    body = await (await client.get("/admin/config/racas?q=salsicha")).text()
    assert "Dachshund" in body and "Shih Tzu" not in body
    none = await (await client.get("/admin/config/racas?q=xyzxyz")).text()
    assert "Nenhuma raça encontrada para “xyzxyz”" in none
    pug = _breed(engine, "Pug")
    csrf = await page_csrf(client, "/admin/config/racas")
    saved = await client.post("/admin/config/racas", data={
        "csrf_token": csrf, "action": "defaults", "breed_id": str(pug.id),
        "default_porte": "mini", "default_pelagem": "curta"})
    assert "porte e pelagem salvos" in await saved.text()
    assert _breed(engine, "Pug").default_porte == "mini"
    bad = await client.post("/admin/config/racas", data={
        "csrf_token": csrf, "action": "defaults", "breed_id": str(pug.id),
        "default_porte": "<b>x</b>"})
    assert bad.status == 422 and "Porte inválido" in await bad.text()
    refused = await client.post("/admin/config/racas", data={
        "csrf_token": csrf, "action": "acceptance", "breed_id": str(pug.id),
        "not_accepted": "1", "message": ""})
    assert "não atendemos" in await refused.text()
    with Session(engine) as session:
        shop = session.exec(select(Shop)).first()
        assert session.get(NotAcceptedBreed, (shop.id, pug.id)) is not None
        assert pet_refusal(session, shop, breed_id=pug.id) == (
            "Infelizmente não atendemos a raça Pug.")


async def test_add_a_breed_and_refuse_a_duplicate(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    csrf = await page_csrf(client, "/admin/config/racas")
    added = await client.post("/admin/config/racas", data={
        "csrf_token": csrf, "action": "create", "species": "gato", "name": "Gato do Mato Mineiro",
        "default_porte": "medio", "default_pelagem": "longa"})
    assert "Raça Gato do Mato Mineiro adicionada" in await added.text()
    assert _breed(engine, "Gato do Mato Mineiro").species == "gato"
    again = await client.post("/admin/config/racas", data={
        "csrf_token": csrf, "action": "create", "species": "gato", "name": "gato do mato  MINEIRO"})
    assert again.status == 422 and "já é a raça Gato do Mato Mineiro" in await again.text()


async def test_a_groomer_cannot_open_the_breeds_table(client, panel_db):
    await logged_in(client, panel_db, "groomer")
    assert (await client.get("/admin/config/racas")).status == 403
