"""The REST API obeys the checklists: a required item blocks a status move with a stable code
and the pt-BR message."""

from __future__ import annotations

from scheduler_core.checklists import answers, service
from tests.scheduler_core.factories import NOW, next_weekday

THURSDAY = next_weekday(NOW.date(), 3)


async def test_a_required_item_blocks_the_api_status_move(api_client, world):
    item = service.save_item(world.engine, shop_id=world.shop_id, segment_id=world.segment_id,
                             stage="recebido", values={"label": "Peso", "kind": "numero",
                                                       "required": "1"})
    slots = await api_client.get("/api/availability", params={
        "pet_id": world.pet_id, "service_ids": str(world.services["banho"]),
        "date_from": THURSDAY.isoformat(), "date_to": THURSDAY.isoformat()})
    booked = await api_client.post("/api/appointments", {"token": slots.body["slots"][0]["token"]})
    appt_id = booked.body["id"]
    refused = await api_client.post(f"/api/appointments/{appt_id}/status", {"status": "recebido"})
    assert refused.status == 409
    assert refused.body["error"]["code"] == "checklist_incomplete"
    assert "responda “Peso”" in refused.body["error"]["message"]
    answers.record_answers(world.engine, appointment_id=appt_id, stage="recebido",
                           raw={str(item.id): "6,5"}, now=NOW, actor="staff:1")
    moved = await api_client.post(f"/api/appointments/{appt_id}/status", {"status": "recebido"})
    assert moved.status == 200 and moved.body["status"] == "recebido"
