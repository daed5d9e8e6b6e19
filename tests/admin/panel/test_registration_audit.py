"""Tutors and pets registered in the panel are audited once each, as the staff member's, and
the audit log reads them as sentences ("... cadastrou o pet #7.")."""

from __future__ import annotations

from sqlmodel import Session, select

from scheduler_core.audit.models import AuditLog

from .conftest import logged_in, page_csrf


def _rows(engine, entity: str, entity_id: int) -> list[AuditLog]:
    with Session(engine) as session:
        return list(session.exec(select(AuditLog).where(
            AuditLog.entity == entity, AuditLog.entity_id == entity_id)).all())


async def test_a_tutor_and_a_pet_registered_in_the_panel_are_audited_once(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    csrf = await page_csrf(client, "/admin/tutores/novo")
    created = await client.post("/admin/tutores/novo", data={
        "csrf_token": csrf, "name": "Renata Auditada", "whatsapp": "(11) 98888-1234"},
        allow_redirects=False)
    assert created.status == 303, await created.text()
    tutor_id = int(created.headers["Location"].rsplit("/", 1)[1])
    pet = await client.post(f"/admin/tutores/{tutor_id}/pets", data={
        "csrf_token": csrf, "name": "Pipoca", "species": "gato"}, allow_redirects=False)
    assert pet.status == 303, await pet.text()
    pet_id = int(pet.headers["Location"].rsplit("/", 1)[1])

    tutor_rows, pet_rows = _rows(engine, "tutor", tutor_id), _rows(engine, "pet", pet_id)
    assert [r.action for r in tutor_rows] == ["tutor.create"]
    assert [r.action for r in pet_rows] == ["pet.create"]
    assert tutor_rows[0].actor == pet_rows[0].actor and tutor_rows[0].actor.startswith("staff:")
    log = await (await client.get("/admin/auditoria")).text()
    assert f"cadastrou o tutor #{tutor_id}." in log and f"cadastrou o pet #{pet_id}." in log
