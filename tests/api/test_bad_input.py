"""Hostile or odd input never reaches the database as a crash: each gets a 4xx with a pt-BR
message, on SQLite and on PostgreSQL (whose integer and text types are stricter)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from scheduler_core.breeds import load_breeds
from tests.core.factories import build_shop

from .conftest import Api, make_app

HUGE = "99999999999"  # beyond a 32-bit id


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_db_api(request, aiohttp_client, clock):
    engine = request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")
    world = build_shop(engine)
    with Session(engine) as s:
        load_breeds(s)
        s.commit()
    return Api(await aiohttp_client(make_app(engine, clock)), clock), world


async def test_odd_input_gets_a_clear_4xx(any_db_api):
    api, world = any_db_api
    checks = [
        (await api.get(f"/api/tutors/{HUGE}"), 404),
        (await api.get(f"/api/pets/{HUGE}"), 404),
        (await api.get(f"/api/appointments/{HUGE}"), 404),
        (await api.get("/api/services", params={"pet_id": HUGE}), 404),
        (await api.get("/api/availability", params={"pet_id": HUGE, "service_ids": "1"}), 404),
        (
            await api.get(
                "/api/availability", params={"pet_id": world.pet_id, "service_ids": HUGE}
            ),
            404,
        ),
        (await api.post("/api/tutors", {"name": "Ana\x00"}), 422),
        (await api.post("/api/tutors", {"name": {"first": "Ana"}}), 422),
        (await api.post("/api/tutors", {"name": "Ana", "allow_bot": None}), 422),
        (
            await api.post(
                f"/api/tutors/{world.tutor_id}/pets", {"name": "Rex", "breed_id": int(HUGE)}
            ),
            422,
        ),
        (
            await api.post(f"/api/tutors/{world.tutor_id}/pets", {"name": "Rex", "breed_id": "1"}),
            422,
        ),
        (await api.post("/api/appointments", {"token": "abc\x00"}), 400),
        (await api.get("/api/tutors", params={"q": "ana\x00"}), 200),
        (await api.get("/api/tutors", params={"phone": "\x00"}), 200),
    ]
    for reply, status in checks:
        assert reply.status == status, reply.body
