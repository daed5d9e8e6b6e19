"""Idempotency keys of POST /api/appointments (issue 8, finding 9): a key stands for one request
of one API client. A retry gets the same appointment (200, exactly one 201 even when retries
race); the same key for another pet or slot is 422 and books nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import Session, func, select

from scheduler_core.agenda.models import Appointment
from tests.scheduler_core.factories import NOW, next_weekday

from .conftest import TOKEN, Api, make_app

THURSDAY = next_weekday(NOW.date(), 3)
OTHER_TOKEN = "token-de-outro-cliente"


async def _slots(api: Api, world, *, pet_id=None, employee=None, day=THURSDAY) -> list[dict]:
    params = {
        "pet_id": pet_id or world.pet_id,
        "service_ids": world.services["banho"],
        "date_from": day.isoformat(),
        "date_to": day.isoformat(),
    }
    if employee:
        params["employee_ids"] = world.employees[employee]
    reply = await api.get("/api/availability", params=params)
    assert reply.status == 200 and reply.body["slots"], reply.body
    return reply.body["slots"]


async def _book(api: Api, token: str, key: str, *, auth: str = TOKEN, **body):
    return await api.post(
        "/api/appointments",
        {"token": token, **body},
        headers={"Idempotency-Key": key},
        token=auth,
    )


def _appointments(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Appointment)).one()


async def test_a_key_reused_for_another_slot_or_pet_is_422_and_books_nothing(any_db_api):
    api, world = any_db_api
    slots = await _slots(api, world)
    first = await _book(api, slots[0]["token"], "pedido-1")
    assert first.status == 201

    other_slot = await _book(api, slots[5]["token"], "pedido-1")
    assert other_slot.status == 422, other_slot.body
    error = other_slot.body["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "chave de idempotência já foi usada" in error["message"]
    assert error["data"]["appointment_id"] == first.body["id"]

    luna = world.add_pet(name="Luna")
    luna_slot = (await _slots(api, world, pet_id=luna))[5]
    other_pet = await _book(api, luna_slot["token"], "pedido-1")
    assert other_pet.status == 422 and other_pet.body["error"]["code"] == "idempotency_key_reused"

    other_notes = await _book(api, slots[0]["token"], "pedido-1", notes="Laço azul.")
    assert other_notes.status == 422
    assert _appointments(world.engine) == 1
    # The slots of the refused requests are still free.
    again = await _book(api, luna_slot["token"], "pedido-2")
    assert again.status == 201 and again.body["pet_name"] == "Luna"


async def test_a_retry_with_a_fresh_token_for_the_same_slot_is_the_same_request(any_db_api):
    api, world = any_db_api
    searched = (await _slots(api, world, employee="ana"))[0]
    api.clock.now = NOW + timedelta(minutes=1)  # searched again: another token, same slot
    again = (await _slots(api, world, employee="ana"))[0]
    assert again["token"] != searched["token"] and again["start"] == searched["start"]
    first = await _book(api, searched["token"], "k-9")
    retry = await _book(api, again["token"], "k-9")
    assert (first.status, retry.status) == (201, 200)
    assert retry.body == first.body
    # Even once the token expired, the retry is recognised.
    api.clock.now = NOW + timedelta(hours=2)
    late = await _book(api, searched["token"], "k-9")
    assert late.status == 200 and late.body["id"] == first.body["id"]


async def test_keys_belong_to_one_api_client(aiohttp_client, any_db_api, clock):
    api, world = any_db_api
    both = Api(await aiohttp_client(make_app(world.engine, clock, (TOKEN, OTHER_TOKEN))), clock)
    slots = await _slots(both, world)
    mine = await _book(both, slots[0]["token"], "pedido-42")
    luna = world.add_pet(name="Luna")
    theirs = await _book(
        both, (await _slots(both, world, pet_id=luna))[5]["token"], "pedido-42", auth=OTHER_TOKEN
    )
    assert (mine.status, theirs.status) == (201, 201)
    assert theirs.body["id"] != mine.body["id"] and theirs.body["pet_name"] == "Luna"
    # Each client's retry finds its own appointment.
    retry = await _book(both, slots[0]["token"], "pedido-42")
    assert retry.status == 200 and retry.body["id"] == mine.body["id"]


async def test_twenty_concurrent_retries_book_once_with_one_201(any_db_api):
    api, world = any_db_api
    token = (await _slots(api, world))[0]["token"]
    replies = await asyncio.gather(*[_book(api, token, "pedido-simultaneo") for _ in range(20)])
    statuses = sorted(r.status for r in replies)
    assert statuses == [200] * 19 + [201], [r.body for r in replies if r.status >= 300]
    assert len({r.body["id"] for r in replies}) == 1
    assert all(r.body == replies[0].body for r in replies)
    assert _appointments(world.engine) == 1


async def test_concurrent_requests_reusing_a_key_for_other_slots_book_one(any_db_api):
    api, world = any_db_api
    slots = await _slots(api, world)
    picked = [slots[i]["token"] for i in range(0, 20, 2)]
    replies = await asyncio.gather(*[_book(api, t, "pedido-confuso") for t in picked])
    statuses = sorted(r.status for r in replies)
    assert statuses == [201] + [422] * 9, [r.body for r in replies]
    assert all(
        r.body["error"]["code"] == "idempotency_key_reused" for r in replies if r.status == 422
    )
    assert _appointments(world.engine) == 1
