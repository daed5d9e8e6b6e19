"""API writes to tutors and pets are audited like the panel's, with the API client as the actor
(issue 8, finding 11)."""

from __future__ import annotations

from datetime import UTC

from sqlmodel import Session, select

from admin.api.auth import actor_for
from scheduler_core.audit.models import AuditLog
from tests.scheduler_core.factories import NOW

from .conftest import TOKEN


def _audit(engine) -> list[AuditLog]:
    with Session(engine) as session:
        return list(session.exec(select(AuditLog).order_by(AuditLog.id)).all())


async def test_tutor_and_pet_writes_are_in_the_audit_log_with_the_client(any_db_api):
    api, world = any_db_api
    before = len(_audit(world.engine))
    tutor = await api.post(
        "/api/tutors",
        {"name": "Ana Luíza", "whatsapp": "(21) 98700-1122", "cpf": "529.982.247-25"},
    )
    assert tutor.status == 201
    tutor_id = tutor.body["id"]
    assert (await api.patch(f"/api/tutors/{tutor_id}", {"allow_bot": False})).status == 200
    pet = await api.post(f"/api/tutors/{tutor_id}/pets", {"name": "Paçoca", "breed": "lulu"})
    assert pet.status == 201
    assert (await api.patch(f"/api/pets/{pet.body['id']}", {"weight_kg": 3.5})).status == 200

    rows = _audit(world.engine)[before:]
    assert [(r.action, r.entity, r.entity_id) for r in rows] == [
        ("tutor.create", "tutor", tutor_id),
        ("tutor.update", "tutor", tutor_id),
        ("pet.create", "pet", pet.body["id"]),
        ("pet.update", "pet", pet.body["id"]),
    ]
    client = actor_for(TOKEN)
    assert all(r.actor == client and r.shop_id == world.shop_id for r in rows)
    assert all(r.at.replace(tzinfo=r.at.tzinfo or UTC) == NOW for r in rows)  # the API's clock
    assert rows[0].details == {"fields": ["cpf", "name", "whatsapp"]}
    assert rows[3].details == {"fields": ["weight_kg"]}
    # Field names, not values: the CPF and the phone stay out of the log.
    assert "52998224725" not in str([r.details for r in rows])
    assert "98700" not in str([r.details for r in rows])


async def test_a_refused_write_leaves_no_audit_row(any_db_api):
    api, world = any_db_api
    before = len(_audit(world.engine))
    assert (await api.post("/api/tutors", {"name": "Ana", "cpf": "123"})).status == 422
    reply = await api.patch(f"/api/pets/{world.pet_id}", {"weight_kg": 900})
    assert reply.status == 422
    assert len(_audit(world.engine)) == before
