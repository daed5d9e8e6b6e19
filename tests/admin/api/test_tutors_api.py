"""Tutors and pets through the REST API."""

from __future__ import annotations

import pytest


async def _new_tutor(api, **fields):
    body = {"name": "Ana Luíza Conceição", "whatsapp": "(21) 98700-1122", **fields}
    reply = await api.post("/api/tutors", body)
    assert reply.status == 201, reply.body
    return reply.body


async def test_register_a_tutor_and_a_pet_then_read_them_back(api_client):
    tutor = await _new_tutor(
        api_client, cpf="52998224725", cep="05435001", neighborhood="Vila Madalena"
    )
    assert tutor["whatsapp"] == "+5521987001122"
    assert tutor["cpf"] == "529.982.247-25" and tutor["cep"] == "05435-001"
    assert tutor["pets"] == [] and tutor["allow_bot"] is True

    pet = await api_client.post(
        f"/api/tutors/{tutor['id']}/pets", {"name": "Paçoca", "breed": "lulu", "sex": "fêmea"}
    )
    assert pet.status == 201
    assert pet.body["breed"] == "Spitz Alemão (Lulu da Pomerânia)"
    assert (pet.body["porte"], pet.body["pelagem"], pet.body["sex"]) == ("mini", "longa", "femea")

    read = await api_client.get(f"/api/pets/{pet.body['id']}")
    assert read.status == 200 and read.body == pet.body
    full = await api_client.get(f"/api/tutors/{tutor['id']}")
    assert [p["name"] for p in full.body["pets"]] == ["Paçoca"]


async def test_find_a_tutor_by_any_form_of_the_whatsapp_number(api_client, world):
    for phone in ("+55 11 98765-4321", "551187654321", "11987654321"):
        reply = await api_client.get("/api/tutors", params={"phone": phone})
        assert reply.status == 200
        assert [t["id"] for t in reply.body["tutors"]] == [world.tutor_id], phone
        assert reply.body["tutors"][0]["pets"][0]["name"] == "Thor"
    none = await api_client.get("/api/tutors", params={"phone": "(11) 90000-0000"})
    assert none.body == {"tutors": []}


async def test_search_tutors_by_name_or_pet(api_client):
    await _new_tutor(api_client)
    by_name = await api_client.get("/api/tutors", params={"q": "conceicao"})
    assert [t["name"] for t in by_name.body["tutors"]] == ["Ana Luíza Conceição"]
    by_pet = await api_client.get("/api/tutors", params={"q": "thor"})
    assert [t["name"] for t in by_pet.body["tutors"]] == ["Maria Silva"]


async def test_update_a_tutor_and_a_pet(api_client, world):
    reply = await api_client.patch(f"/api/tutors/{world.tutor_id}", {"allow_bot": False})
    assert reply.status == 200 and reply.body["allow_bot"] is False
    reply = await api_client.patch(f"/api/pets/{world.pet_id}", {"weight_kg": 32})
    assert reply.status == 200
    assert reply.body["porte"] == "grande" and reply.body["weight_kg"] == 32.0


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"name": ""}, "name", "Informe o nome"),
        ({"name": "Ana", "cpf": "123.456.789-00"}, "cpf", "CPF inválido"),
        ({"name": "Ana", "whatsapp": "98765-4321"}, "whatsapp", "DDD"),
        ({"name": "Ana", "whatsapp": "(11) 98765-4321"}, "whatsapp", "Já existe"),
    ],
)
async def test_invalid_tutor_data_is_422_with_the_field(api_client, world, body, field, message):
    reply = await api_client.post("/api/tutors", body)
    assert reply.status == 422
    error = reply.body["error"]
    assert error["code"] == "validation" and error["data"]["field"] == field
    assert message in error["message"]


async def test_invalid_pet_data_is_422(api_client, world):
    reply = await api_client.post(
        f"/api/tutors/{world.tutor_id}/pets", {"name": "Rex", "breed": "dragão"}
    )
    assert reply.status == 422 and "raça" in reply.body["error"]["message"]
    reply = await api_client.post(
        f"/api/tutors/{world.tutor_id}/pets", {"name": "Rex", "birth_date": "2999-01-01"}
    )
    assert reply.status == 422 and reply.body["error"]["data"]["field"] == "birth_date"


@pytest.mark.parametrize(
    "raw",
    ['{"name": "Ana"', "[1, 2]", '"texto"', "\xff\xfe"],
)
async def test_malformed_json_is_400(api_client, raw):
    reply = await api_client.call(
        "POST", "/api/tutors", data=raw, headers={"Content-Type": "application/json"}
    )
    assert reply.status == 400 and reply.body["error"]["code"] == "bad_request"


async def test_unknown_fields_are_400(api_client):
    reply = await api_client.post("/api/tutors", {"name": "Ana", "apelido": "Aninha"})
    assert reply.status == 400 and reply.body["error"]["data"]["field"] == "apelido"


async def test_tutor_search_needs_a_parameter(api_client):
    reply = await api_client.get("/api/tutors")
    assert reply.status == 400


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/tutors/999999"),
        ("PATCH", "/api/tutors/999999"),
        ("POST", "/api/tutors/999999/pets"),
        ("GET", "/api/pets/999999"),
        ("PATCH", "/api/pets/999999"),
    ],
)
async def test_unknown_tutor_or_pet_is_404(api_client, method, path):
    reply = await api_client.call(method, path, json={"name": "Rex"})
    assert reply.status == 404 and reply.body["error"]["code"] == "not_found"


async def test_services_for_unknown_pet_is_404_and_bad_segment_is_400(api_client):
    assert (await api_client.get("/api/services", params={"pet_id": 999999})).status == 404
    assert (await api_client.get("/api/services", params={"segment": "spa"})).status == 400
