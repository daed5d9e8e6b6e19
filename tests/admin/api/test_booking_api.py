"""Booking through the REST API: services, availability, book, read, reschedule, cancel, status,
and every error an integrator can hit on the way."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.scheduler_core.factories import NOW, next_weekday

from .conftest import Api, make_app

THURSDAY = next_weekday(NOW.date(), 3)  # 2026-03-05
MONDAY = next_weekday(NOW.date(), 0)  # 2026-03-09


async def _slots(api: Api, world, day=THURSDAY, services=("banho",), **params):
    reply = await api.get(
        "/api/availability",
        params={
            "pet_id": world.pet_id,
            "service_ids": ",".join(str(world.services[s]) for s in services),
            "date_from": day.isoformat(),
            "date_to": day.isoformat(),
            **params,
        },
    )
    assert reply.status == 200, reply.body
    return reply.body


async def _book(api: Api, token: str, **body):
    return await api.post("/api/appointments", {"token": token, **body})


# --------------------------------------------------------------------------- happy paths


async def test_services_are_priced_for_the_pet(api_client, world):
    reply = await api_client.get("/api/services", params={"pet_id": world.pet_id})
    assert reply.status == 200
    names = {s["name"]: s for s in reply.body["services"]}
    assert names["Banho"]["price_cents"] == 5000 and names["Banho"]["duration_min"] == 60
    assert names["Banho"]["price_label"] == "R$ 50,00"
    whole = await api_client.get("/api/services")
    assert whole.body["pet_id"] is None
    assert {s["price_label"] for s in whole.body["services"]} == {
        "a partir de R$ 50,00",
        "a partir de R$ 40,00",
    }


async def test_availability_lists_slots_with_tokens_items_and_prices(api_client, world):
    body = await _slots(api_client, world, services=("tosa", "banho"))
    assert body["service_ids"] == [world.services["tosa"], world.services["banho"]]
    first = body["slots"][0]
    assert first["start"] == "2026-03-05T08:00:00-03:00"
    assert [i["service_name"] for i in first["items"]] == ["Banho", "Tosa"]  # catalogue order
    assert first["items"][0]["employee_name"] in {"Ana", "Bruno"}
    assert first["total_cents"] == 9000 and first["price_label"] == "R$ 90,00"
    assert body["reason"] is None and body["message"] == ""
    # No slot crosses the lunch break (12:00–13:00).
    assert "2026-03-05T11:30:00-03:00" not in [s["start"] for s in body["slots"]]


async def test_availability_on_sunday_says_why_there_is_no_slot(api_client, world):
    sunday = next_weekday(NOW.date(), 6)
    body = await _slots(api_client, world, day=sunday)
    assert body["slots"] == [] and body["reason"] == "closed" and body["message"]


async def test_availability_with_a_chosen_professional(api_client, world):
    bruno = world.employees["bruno"]
    body = await _slots(api_client, world, employee_ids=str(bruno))
    assert body["slots"] and all(
        item["employee_id"] == bruno for slot in body["slots"] for item in slot["items"]
    )
    # Bruno does not groom: choosing him for a tosa is a clear 422.
    reply = await api_client.get(
        "/api/availability",
        params={
            "pet_id": world.pet_id,
            "service_ids": str(world.services["tosa"]),
            "employee_ids": str(bruno),
        },
    )
    assert reply.status == 422 and "Bruno" in reply.body["error"]["message"]


async def test_book_read_reschedule_status_and_cancel(api_client, world):
    body = await _slots(api_client, world)
    slot = body["slots"][0]
    booked = await _book(api_client, slot["token"], notes="Tutor pediu laço azul.")
    assert booked.status == 201
    appt = booked.body
    assert appt["status"] == "agendado" and appt["origin"] == "api"
    assert appt["start"] == slot["start"] and appt["notes"] == "Tutor pediu laço azul."
    assert appt["total_cents"] == 5000 and appt["pet_name"] == "Thor"

    read = await api_client.get(f"/api/appointments/{appt['id']}")
    assert read.status == 200 and read.body == appt

    # The booked time is no longer offered for the same professional.
    again = await _slots(api_client, world, employee_ids=str(appt["items"][0]["employee_id"]))
    assert slot["start"] not in [s["start"] for s in again["slots"]]

    moving = await _slots(api_client, world, day=MONDAY, appointment_id=appt["id"])
    target = moving["slots"][3]
    moved = await api_client.post(
        f"/api/appointments/{appt['id']}/reschedule", {"token": target["token"]}
    )
    assert moved.status == 200
    assert moved.body["id"] == appt["id"] and moved.body["start"] == target["start"]

    confirmed = await api_client.post(
        f"/api/appointments/{appt['id']}/status", {"status": "confirmado"}
    )
    assert confirmed.status == 200 and confirmed.body["status_label"] == "Confirmado"

    cancelled = await api_client.post(
        f"/api/appointments/{appt['id']}/cancel", {"reason": "Tutor viajou."}
    )
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelado"
    # Cancelling frees the time at once.
    free = await _slots(api_client, world, day=MONDAY)
    assert target["start"] in [s["start"] for s in free["slots"]]


async def test_idempotency_key_in_header_or_body_books_once(api_client, world):
    slot = (await _slots(api_client, world))["slots"][0]
    first = await api_client.post(
        "/api/appointments", {"token": slot["token"]}, headers={"Idempotency-Key": "pedido-42"}
    )
    retry = await api_client.post(
        "/api/appointments", {"token": slot["token"]}, headers={"Idempotency-Key": "pedido-42"}
    )
    same = await _book(api_client, slot["token"], idempotency_key="pedido-42")
    assert (first.status, retry.status, same.status) == (201, 200, 200)
    assert first.body["id"] == retry.body["id"] == same.body["id"]
    clash = await api_client.post(
        "/api/appointments",
        {"token": slot["token"], "idempotency_key": "a"},
        headers={"Idempotency-Key": "b"},
    )
    assert clash.status == 400


async def test_no_show_through_the_status_endpoint(api_client, world):
    slot = (await _slots(api_client, world))["slots"][0]
    appt = (await _book(api_client, slot["token"])).body
    reply = await api_client.post(
        f"/api/appointments/{appt['id']}/status", {"status": "nao_compareceu"}
    )
    assert reply.status == 200 and reply.body["status"] == "nao_compareceu"


# --------------------------------------------------------------------------- errors


async def test_the_same_slot_cannot_be_booked_twice(api_client, world):
    slot = (await _slots(api_client, world, employee_ids=str(world.employees["ana"])))["slots"][0]
    assert (await _book(api_client, slot["token"])).status == 201
    taken = await _book(api_client, slot["token"])  # same pet: it already has that visit
    assert taken.status == 409
    assert taken.body["error"]["code"] == "pet_busy"
    assert "horário" in taken.body["error"]["message"]


async def test_a_slot_taken_by_another_pet_is_refused(api_client, world):
    ana = str(world.employees["ana"])
    slot = (await _slots(api_client, world, employee_ids=ana))["slots"][0]
    luna = world.add_pet(name="Luna")
    other = (await _slots(api_client, world, employee_ids=ana, pet_id=str(luna)))["slots"][0]
    assert other["start"] == slot["start"]
    assert (await _book(api_client, other["token"])).status == 201
    taken = await _book(api_client, slot["token"])
    assert taken.status == 409
    assert taken.body["error"]["code"] == "slot_taken"
    assert "horário" in taken.body["error"]["message"]


async def test_an_expired_token_is_gone(api_client, world):
    slot = (await _slots(api_client, world))["slots"][0]
    api_client.clock.now = NOW + timedelta(hours=3)
    reply = await _book(api_client, slot["token"])
    assert reply.status == 410 and reply.body["error"]["code"] == "token_expired"


async def test_a_forged_token_is_refused(api_client, world):
    slot = (await _slots(api_client, world))["slots"][0]
    reply = await _book(api_client, slot["token"][:-4] + "AAAA")
    assert reply.status == 422 and reply.body["error"]["code"] == "token_invalid"
    reply = await _book(api_client, "lixo")
    assert reply.status == 422


async def test_a_booking_token_cannot_move_another_appointment(api_client, world):
    slots = (await _slots(api_client, world))["slots"]
    appt = (await _book(api_client, slots[0]["token"])).body
    reply = await api_client.post(
        f"/api/appointments/{appt['id']}/reschedule", {"token": slots[-1]["token"]}
    )
    assert reply.status == 422 and reply.body["error"]["code"] == "token_invalid"


async def test_a_cancelled_appointment_cannot_be_confirmed(api_client, world):
    slot = (await _slots(api_client, world))["slots"][0]
    appt = (await _book(api_client, slot["token"])).body
    await api_client.post(f"/api/appointments/{appt['id']}/cancel")
    reply = await api_client.post(
        f"/api/appointments/{appt['id']}/status", {"status": "confirmado"}
    )
    assert reply.status == 409 and reply.body["error"]["code"] == "invalid_transition"
    again = await api_client.post(f"/api/appointments/{appt['id']}/cancel", {})
    assert again.status == 409


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "pet_id"),
        ({"pet_id": "abc", "service_ids": "1"}, "pet_id"),
        ({"pet_id": "1"}, "service_ids"),
        ({"pet_id": "1", "service_ids": "1,x"}, "service_ids"),
        ({"pet_id": "1", "service_ids": "1", "date_from": "05/03/2026"}, "date_from"),
        ({"pet_id": "1", "service_ids": "1", "channel": "fax"}, "channel"),
    ],
)
async def test_bad_availability_parameters_are_400(api_client, params, field):
    reply = await api_client.get("/api/availability", params=params)
    assert reply.status == 400
    assert reply.body["error"]["code"] == "bad_request"
    assert reply.body["error"]["data"]["field"] == field


async def test_availability_for_unknown_pet_or_service_is_404(api_client, world):
    reply = await api_client.get(
        "/api/availability", params={"pet_id": 999999, "service_ids": world.services["banho"]}
    )
    assert reply.status == 404 and reply.body["error"]["message"] == "Pet não encontrado."
    reply = await api_client.get(
        "/api/availability", params={"pet_id": world.pet_id, "service_ids": "999999"}
    )
    assert reply.status == 404


async def test_availability_with_dates_backwards_is_422(api_client, world):
    reply = await api_client.get(
        "/api/availability",
        params={
            "pet_id": world.pet_id,
            "service_ids": world.services["banho"],
            "date_from": "2026-03-10",
            "date_to": "2026-03-05",
        },
    )
    assert reply.status == 422 and reply.body["error"]["code"] == "validation"


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/appointments", {}),
        ("/api/appointments", {"token": 12}),
        ("/api/appointments", {"token": "x", "extra": 1}),
        ("/api/appointments", {"token": "x", "leva_e_traz": "sim"}),
        ("/api/appointments/1/reschedule", {}),
        ("/api/appointments/1/status", {"status": 3}),
    ],
)
async def test_bad_bodies_are_400(api_client, path, body):
    reply = await api_client.post(path, body)
    assert reply.status == 400 and reply.body["error"]["code"] == "bad_request"


async def test_unknown_status_is_422(api_client, world):
    slot = (await _slots(api_client, world))["slots"][0]
    appt = (await _book(api_client, slot["token"])).body
    reply = await api_client.post(f"/api/appointments/{appt['id']}/status", {"status": "pronto"})
    assert reply.status == 422 and "agendado" in reply.body["error"]["message"]


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/appointments/999999"),
        ("POST", "/api/appointments/999999/cancel"),
        ("POST", "/api/appointments/999999/reschedule"),
        ("POST", "/api/appointments/999999/status"),
    ],
)
async def test_unknown_appointment_is_404(api_client, method, path):
    body = {"token": "x"} if path.endswith("reschedule") else None
    if path.endswith("status"):
        body = {"status": "confirmado"}
    reply = await api_client.call(method, path, json=body)
    assert reply.status == 404 and reply.body["error"]["code"] == "not_found"


# --------------------------------------------------------------------------- both databases


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_booking_round_trip_on_both_databases(aiohttp_client, request, clock, dialect):
    from sqlmodel import Session

    from scheduler_core.people.breeds import load_breeds
    from tests.scheduler_core.factories import build_shop

    engine = request.getfixturevalue("sqlite_engine" if dialect == "sqlite" else "pg_engine")
    world = build_shop(engine)
    with Session(engine) as s:
        load_breeds(s)
        s.commit()
    api = Api(await aiohttp_client(make_app(engine, clock)), clock)
    slot = (await _slots(api, world))["slots"][0]
    booked = await _book(api, slot["token"], idempotency_key="k-1")
    assert booked.status == 201
    assert (await _book(api, slot["token"], idempotency_key="k-1")).body["id"] == booked.body["id"]
    assert (await _book(api, slot["token"])).status == 409
    cancelled = await api.post(f"/api/appointments/{booked.body['id']}/cancel")
    assert cancelled.body["status"] == "cancelado"


async def test_concurrent_bookings_of_one_slot_give_one_appointment(api_client, world):
    ana = str(world.employees["ana"])
    slot = (await _slots(api_client, world, employee_ids=ana))["slots"][0]
    replies = await asyncio.gather(*[_book(api_client, slot["token"]) for _ in range(4)])
    assert sorted(r.status for r in replies) == [201, 409, 409, 409]

    other = (await _slots(api_client, world, employee_ids=ana))["slots"][0]
    same_key = await asyncio.gather(
        *[_book(api_client, other["token"], idempotency_key="pedido-7") for _ in range(3)]
    )
    assert {r.status for r in same_key} <= {200, 201}
    assert len({r.body["id"] for r in same_key}) == 1


async def test_a_professional_who_does_not_take_the_pet_s_species_is_a_clear_422(
    api_client, world
):
    """Bruno baths only cats now: choosing him for the dog's banho is refused with his name,
    as the wizard and the bot would not offer him (one core query)."""
    from sqlmodel import Session

    from scheduler_core.shop.models import Employee

    with Session(world.engine) as s:
        bruno = s.get(Employee, world.employees["bruno"])
        bruno.species = ["gato"]
        s.add(bruno)
        s.commit()
    reply = await api_client.get(
        "/api/availability",
        params={
            "pet_id": world.pet_id,
            "service_ids": str(world.services["banho"]),
            "employee_ids": str(world.employees["bruno"]),
            "date_from": THURSDAY.isoformat(),
            "date_to": THURSDAY.isoformat(),
        },
    )
    assert reply.status == 422, reply.body
    assert "Bruno" in reply.body["error"]["message"]
