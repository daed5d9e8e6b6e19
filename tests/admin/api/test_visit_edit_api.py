"""Editing a booked visit through the REST API: a service added that fits, one that no longer
fits (409 no_fit with the conflicts, then kept as an Encaixe with force), bad input."""

from __future__ import annotations

from tests.scheduler_core.booking_helpers import book_at

from .conftest import Api


async def test_a_service_is_added_or_refused_with_its_conflicts(api_client: Api, world):
    appt = book_at(world, "10:00")
    path = f"/api/appointments/{appt.id}/edit"
    reply = await api_client.post(path, {"add_service_ids": [world.services["tosa"]],
                                         "notes": "Tosa bebê"})
    assert reply.status == 200, reply.body
    assert reply.body["appointment"]["end"].startswith("2026-03-09T11:30")
    assert reply.body["appointment"]["total_cents"] == 9000
    assert "Incluído Tosa (R$ 40,00, 30 min)." in reply.body["changes"]
    assert "Observações alteradas." in reply.body["changes"]
    reply = await api_client.post(path, {"remove_service_ids": [world.services["tosa"]]})
    assert reply.status == 200 and reply.body["appointment"]["total_cents"] == 5000
    assert (await api_client.post(path, {})).body["changes"] == []

    book_at(world, "11:00", pet_id=world.add_pet(name="Mel"))  # Ana, the only groomer
    refused = await api_client.post(path, {"add_service_ids": [world.services["tosa"]]})
    assert refused.status == 409
    assert refused.body["error"]["code"] == "no_fit"
    assert refused.body["error"]["data"]["conflicts"][0]["kind"] == "overlap"
    forced = await api_client.post(path, {"add_service_ids": [world.services["tosa"]],
                                          "force": True})
    assert forced.status == 200 and forced.body["appointment"]["is_encaixe"]


async def test_bad_edit_bodies_get_portuguese_answers(api_client: Api, world):
    appt = book_at(world, "10:00")
    path = f"/api/appointments/{appt.id}/edit"
    for body, field in (({"add_service_ids": "1"}, "add_service_ids"),
                        ({"add_service_ids": [True]}, "add_service_ids"),
                        ({"leva_e_traz": "sim"}, "leva_e_traz"), ({"cor": 1}, "cor")):
        reply = await api_client.post(path, body)
        assert reply.status == 400 and reply.body["error"]["data"]["field"] == field
    reply = await api_client.post(path, {"add_service_ids": [999999]})
    assert reply.status == 422 and "não está disponível" in reply.body["error"]["message"]
    reply = await api_client.post("/api/appointments/999999/edit", {"notes": "x"})
    assert reply.status == 404
