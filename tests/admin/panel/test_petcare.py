"""Pet Care in the panel (aiohttp test client): Configuração → Pet Care and the pet page's
doses; refusals re-render with the typed values and a pt-BR message."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from scheduler_core.people.models import Pet
from scheduler_core.petcare.models import PetCareDose, PetCareProtocol

from .conftest import logged_in, page_csrf

BASE = "/admin/config/pet-care"


def _dog(engine) -> Pet:
    with Session(engine) as session:
        return session.exec(select(Pet).where(Pet.species == "cao").order_by(Pet.id)).first()


async def _create_v10(client) -> None:
    csrf = await page_csrf(client, BASE)
    saved = await client.post(BASE, data={
        "csrf_token": csrf, "action": "save", "kind": "vacina", "name": "V10", "species": "cao",
        "doses": "3", "interval_days": "21", "repeat_days": "365"})
    assert "Protocolo V10 salvo" in await saved.text()


async def test_owner_configures_a_protocol_and_sees_it_listed(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    config = await (await client.get("/admin/config")).text()
    assert 'href="/admin/config/pet-care"' in config
    await _create_v10(client)
    page = await (await client.get(BASE)).text()
    assert "3 doses a cada 21 dias" in page and "a cada 365 dias" in page
    csrf = await page_csrf(client, BASE)
    bad = await client.post(BASE, data={"csrf_token": csrf, "action": "save", "kind": "vacina",
                                        "name": "Gripe", "doses": "2", "interval_days": "",
                                        "repeat_days": "1e9"})
    body = await bad.text()
    assert bad.status == 422
    assert "informe o intervalo em dias entre elas" in body and 'value="Gripe"' in body
    with Session(engine) as session:
        v10 = session.exec(select(PetCareProtocol)).one()
    off = await client.post(BASE, data={"csrf_token": csrf, "action": "off",
                                        "protocol_id": str(v10.id)})
    assert "Protocolo V10 desativado" in await off.text()


async def test_recording_a_dose_on_the_pet_page_schedules_the_next(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    await _create_v10(client)
    dog = _dog(engine)
    page = await (await client.get(f"/admin/pets/{dog.id}")).text()
    assert "Pet Care" in page and "Nenhuma dose registrada ou agendada." in page
    with Session(engine) as session:
        v10 = session.exec(select(PetCareProtocol)).one()
    csrf = await page_csrf(client, f"/admin/pets/{dog.id}")
    url = f"/admin/pets/{dog.id}/pet-care"
    future = await client.post(url, data={"csrf_token": csrf, "action": "apply",
                                          "protocol_id": str(v10.id), "applied_on": "01/01/9999",
                                          "batch": "LOTE-77"})
    body = await future.text()
    assert future.status == 422
    assert "a aplicação não pode ser numa data futura" in body and 'value="LOTE-77"' in body
    done = await client.post(url, data={"csrf_token": csrf, "action": "apply",
                                        "protocol_id": str(v10.id), "applied_on": "02/01/2026",
                                        "applied_by": "Dra. Carla", "batch": "LOTE-77"})
    text = await done.text()
    # 02/01/2026 + 21 days = 23/01/2026.
    assert "V10 (1ª dose de 3) registrada. Próxima dose (2ª dose de 3) agendada para 23/01/2026." \
        in text
    assert "Dra. Carla" in text and "lote LOTE-77" in text
    with Session(engine) as session:
        doses = session.exec(select(PetCareDose).order_by(PetCareDose.number)).all()
    assert [(d.number, d.applied_on, d.due_on) for d in doses] == [
        (1, date(2026, 1, 2), None), (2, None, date(2026, 1, 23))]
    audit = await (await client.get("/admin/auditoria")).text()
    assert "registrou uma dose aplicada no pet" in audit and "Aplicada em" in audit


async def test_a_groomer_sees_the_doses_but_cannot_record_and_a_vet_can(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    await _create_v10(client)
    dog = _dog(engine)
    with Session(engine) as session:
        v10 = session.exec(select(PetCareProtocol)).one()
    await client.post("/admin/logout", data={"csrf_token": await page_csrf(client)})
    await logged_in(client, panel_db, "groomer")
    page = await (await client.get(f"/admin/pets/{dog.id}")).text()
    assert "Pet Care" in page and "Registrar dose" not in page
    csrf = await page_csrf(client, f"/admin/pets/{dog.id}")
    refused = await client.post(f"/admin/pets/{dog.id}/pet-care", data={
        "csrf_token": csrf, "action": "schedule", "protocol_id": str(v10.id),
        "due_on": "20/12/2030"})
    assert refused.status == 403
    assert (await client.get(BASE)).status == 403
    await client.post("/admin/logout", data={"csrf_token": csrf})
    await logged_in(client, panel_db, "vet")
    csrf = await page_csrf(client, f"/admin/pets/{dog.id}")
    ok = await client.post(f"/admin/pets/{dog.id}/pet-care", data={
        "csrf_token": csrf, "action": "schedule", "protocol_id": str(v10.id),
        "due_on": "20/12/2030", "reminder": "1"})
    assert "V10 (1ª dose de 3) agendada para 20/12/2030." in await ok.text()


async def test_hostile_input_gets_a_portuguese_answer_never_a_500(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    await _create_v10(client)
    dog = _dog(engine)
    csrf = await page_csrf(client, f"/admin/pets/{dog.id}")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    lone = await client.post(f"/admin/pets/{dog.id}/pet-care", headers=form, data=(
        f"csrf_token={csrf}&action=apply&protocol_id=abc&applied_on=%ED%A0%80").encode())
    assert lone.status == 422 and "use o formato dd/mm/aaaa" in await lone.text()
    nan = await client.post(BASE, data={"csrf_token": csrf, "action": "save", "kind": "vacina",
                                        "name": "X" * 5000, "doses": "NaN"})
    body = await nan.text()
    assert nan.status == 422 and "Escreva o nome (até 80 caracteres)" in body
    assert "Número de doses: use um número inteiro." in body
    missing = await client.post(f"/admin/pets/{dog.id}/pet-care", data={
        "csrf_token": csrf, "action": "cancel", "dose_id": "999999999"})
    assert missing.status == 404
    other = await client.post("/admin/pets/999999/pet-care", data={
        "csrf_token": csrf, "action": "schedule", "due_on": "01/01/2030"})
    assert other.status == 404
