"""The REST API on the demo shop: what an integrator sees right after `make run`."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from scheduler_core.demo import load_demo
from scheduler_core.people.models import Pet, Tutor
from tests.scheduler_core.factories import NOW

from .conftest import Api, make_app


async def test_demo_pet_gets_priced_services_and_bookable_slots(
    aiohttp_client, sqlite_engine, clock
):
    summary = load_demo(sqlite_engine, NOW)
    with Session(sqlite_engine) as s:
        pet = s.exec(
            select(Pet).where(Pet.species == "cao", Pet.porte == "pequeno").order_by(Pet.id)
        ).first()
        tutor = s.get(Tutor, pet.tutor_id)
    api = Api(await aiohttp_client(make_app(sqlite_engine, clock)), clock)

    found = await api.get("/api/tutors", params={"phone": tutor.whatsapp[3:]})
    assert [t["id"] for t in found.body["tutors"]] == [tutor.id]

    services = await api.get("/api/services", params={"pet_id": pet.id, "channel": "bot"})
    assert services.status == 200
    by_name = {s["name"]: s for s in services.body["services"]}
    assert by_name["Banho"]["price_cents"] > 0 and by_name["Banho"]["duration_min"] >= 60
    assert "Desembolo" not in {a["name"] for a in services.body["addons"]}  # hidden on the bot
    assert {c["name"] for c in services.body["combos"]} >= {"Banho + Tosa higiênica"}

    day = (NOW + timedelta(days=1)).date()
    reply = await api.get(
        "/api/availability",
        params={
            "pet_id": pet.id,
            "service_ids": f"{summary.services['Banho']}",
            "date_from": day.isoformat(),
            "date_to": (day + timedelta(days=6)).isoformat(),
            "channel": "bot",
        },
    )
    assert reply.status == 200 and reply.body["slots"], reply.body
    booked = await api.post("/api/appointments", {"token": reply.body["slots"][0]["token"]})
    assert booked.status == 201 and booked.body["pet_id"] == pet.id
