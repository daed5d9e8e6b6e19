"""Hostile or odd input never reaches the database as a crash: each gets a 4xx with a pt-BR
message, on SQLite and on PostgreSQL (whose integer and text types are stricter)."""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest

from .conftest import TOKEN

HUGE = "99999999999"  # beyond a 32-bit id


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


# --------------------------------------------------------------------------- issue 8, finding 4

JSON = {"Content-Type": "application/json"}
TUTOR_TEXT = ("name", "cpf", "whatsapp", "wa_user_id", "phone2", "email", "birth_date", "notes",
              "cep", "street", "number", "complement", "neighborhood", "city", "state")  # fmt: skip
PET_TEXT = ("name", "species", "breed", "porte", "pelagem", "sex", "birth_date", "weight_kg",
            "status", "microchip", "notes")  # fmt: skip


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


async def _pet(api, world) -> dict:
    return (await api.get(f"/api/pets/{world.pet_id}")).body


async def test_weights_that_are_not_finite_numbers_are_refused(any_db_api):
    api, world = any_db_api
    before = await _pet(api, world)
    pets = f"/api/tutors/{world.tutor_id}/pets"
    for raw in ("NaN", "Infinity", "-Infinity", "1e400", "-1e400"):
        for method, path in (("POST", pets), ("PATCH", f"/api/pets/{world.pet_id}")):
            body = '{"name": "Rex", "weight_kg": ' + raw + "}"
            reply = await api.call(method, path, data=body, headers=JSON)
            assert reply.status == 400, (raw, reply.body)
            assert "JSON" in reply.body["error"]["message"]
    for value in ("nan", "inf", "-inf", "1e400", 1e308, -1e308):
        reply = await api.post(pets, {"name": "Rex", "weight_kg": value})
        assert reply.status == 422, (value, reply.body)
        assert reply.body["error"]["data"]["field"] == "weight_kg"
        assert "Peso inválido" in reply.body["error"]["message"]
    assert await _pet(api, world) == before
    tutor = (await api.get(f"/api/tutors/{world.tutor_id}")).body
    assert [p["name"] for p in tutor["pets"]] == ["Thor"]  # nothing half-registered


async def test_lone_surrogates_in_any_text_field_are_400_with_a_json_error(any_db_api):
    api, world = any_db_api
    targets = [
        ("POST", "/api/tutors", {"name": "Ana Souza"}, TUTOR_TEXT),
        ("PATCH", f"/api/tutors/{world.tutor_id}", {}, TUTOR_TEXT),
        ("POST", f"/api/tutors/{world.tutor_id}/pets", {"name": "Rex"}, PET_TEXT),
        ("PATCH", f"/api/pets/{world.pet_id}", {}, PET_TEXT),
        ("POST", "/api/appointments", {"token": "t"}, ("token", "notes", "idempotency_key")),
        ("POST", "/api/appointments/1/reschedule", {}, ("token",)),
        ("POST", "/api/appointments/1/cancel", {}, ("reason",)),
        ("POST", "/api/appointments/1/status", {}, ("status",)),
    ]
    for method, path, base, fields in targets:
        for field in fields:
            for text in ("\ud800", "Ana \udfff Souza", "\udc00\ud800"):
                reply = await api.call(method, path, json={**base, field: text})
                assert reply.status == 400, (path, field, reply.body)
                error = reply.body["error"]
                assert error["code"] == "bad_request" and "Unicode" in error["message"]
                assert error["data"]["field"] == field
        # A surrogate in a key is refused the same way (it is echoed nowhere).
        reply = await api.call(method, path, json={**base, "x\ud800": 1})
        assert reply.status == 400 and "Unicode" in reply.body["error"]["message"]
    found = await api.get("/api/tutors", params={"q": "Ana"})
    assert found.body == {"tutors": []}


@pytest.mark.parametrize(
    "dates",
    [
        {"date_from": "9999-12-31"},
        {"date_from": "9999-12-25", "date_to": "9999-12-31"},
        {"date_from": "2032-01-01"},
        {"date_from": "0001-01-01"},
        {"date_from": "0001-01-01", "date_to": "0001-01-07"},
        {"date_from": "2200-01-01"},
    ],
)
async def test_availability_far_from_today_is_422(any_db_api, dates):
    api, world = any_db_api
    params = {"pet_id": world.pet_id, "service_ids": world.services["banho"], **dates}
    reply = await api.get("/api/availability", params=params)
    assert reply.status == 422, reply.body
    error = reply.body["error"]
    assert error["code"] == "validation" and "Data fora do período de busca" in error["message"]
    assert error["data"]["field"] in dates


async def test_deeply_nested_bodies_are_400(any_db_api):
    api, world = any_db_api
    bodies = [_deep(10_000), '{"name": ' + _deep(10_000) + "}", '{"name": ' + _deep(50) + "}"]
    paths = [
        ("POST", "/api/tutors"),
        ("PATCH", f"/api/tutors/{world.tutor_id}"),
        ("POST", f"/api/tutors/{world.tutor_id}/pets"),
        ("PATCH", f"/api/pets/{world.pet_id}"),
        ("POST", "/api/appointments"),
        ("POST", "/api/appointments/1/cancel"),
    ]
    for method, path in paths:
        for body in bodies:
            reply = await api.call(method, path, data=body, headers=JSON)
            assert reply.status == 400, (path, body[:20], reply.body)
            assert "aninhamento" in reply.body["error"]["message"]


OTHER_DIGITS = ["\u0661", "\u06f1", "\u0967", "\uff11", "\U0001d7cf"]  # 1 in five scripts


async def test_path_ids_take_ascii_digits_only(any_db_api):
    api, world = any_db_api
    assert world.tutor_id == world.pet_id == 1
    slot = await api.get(
        "/api/availability",
        params={"pet_id": 1, "service_ids": world.services["banho"], "date_from": "2026-03-05"},
    )
    booked = await api.post("/api/appointments", {"token": slot.body["slots"][0]["token"]})
    assert booked.body["id"] == 1
    for one in OTHER_DIGITS:
        for method, path in [
            ("GET", f"/api/tutors/{one}"),
            ("PATCH", f"/api/tutors/{one}"),
            ("POST", f"/api/tutors/{one}/pets"),
            ("GET", f"/api/pets/{one}"),
            ("PATCH", f"/api/pets/{one}"),
            ("GET", f"/api/appointments/{one}"),
            ("POST", f"/api/appointments/{one}/cancel"),
            ("POST", f"/api/appointments/{one}/status"),
            ("POST", f"/api/appointments/{one}/reschedule"),
        ]:
            reply = await api.call(method, path, json={"name": "Rex"})
            assert reply.status == 404, (method, path, reply.body)
            assert reply.body["error"]["code"] == "not_found"
    assert (await api.get("/api/appointments/1")).body["status"] == "agendado"


async def test_query_ids_and_dates_take_ascii_digits_only(any_db_api):
    api, world = any_db_api
    banho = str(world.services["banho"])
    for one in OTHER_DIGITS:
        checks = [
            ("/api/services", {"pet_id": one}, "pet_id"),
            ("/api/availability", {"pet_id": one, "service_ids": banho}, "pet_id"),
            ("/api/availability", {"pet_id": "1", "service_ids": one}, "service_ids"),
            ("/api/availability", {"pet_id": "1", "combo_id": one}, "combo_id"),
            (
                "/api/availability",
                {"pet_id": "1", "service_ids": banho, "employee_ids": one},
                "employee_ids",
            ),
            (
                "/api/availability",
                {"pet_id": "1", "service_ids": banho, "date_from": f"2026-03-0{one}"},
                "date_from",
            ),
        ]
        for path, params, field in checks:
            reply = await api.get(path, params=params)
            assert reply.status == 400, (params, reply.body)
            assert reply.body["error"]["data"]["field"] == field


async def test_hostile_bodies_are_4xx(any_db_api):
    api, world = any_db_api
    pets = f"/api/tutors/{world.tutor_id}/pets"
    cases = [
        # Integers beyond any id or weight, as numbers and as text.
        (pets, {"name": "Rex", "breed_id": 2**63}, 422),
        (pets, {"name": "Rex", "weight_grams": 2**63}, 422),
        (pets, {"name": "Rex", "weight_grams": -(2**31)}, 422),
        ("/api/tutors", {"name": "Ana", "birth_date": "0000-01-01"}, 422),
        ("/api/tutors", {"name": "Ana", "birth_date": "10000-01-01"}, 422),
        ("/api/tutors", {"name": "Ana", "birth_date": "2020-02-30"}, 422),
        (pets, {"name": "Rex", "birth_date": "9999-12-31"}, 422),
        # Arrays and objects where text, numbers or booleans are expected.
        ("/api/tutors", {"name": ["Ana"]}, 422),
        ("/api/tutors", {"name": "Ana", "allow_bot": [True]}, 422),
        (pets, {"name": "Rex", "species": {"a": 1}}, 422),
        (pets, {"name": "Rex", "weight_kg": [7]}, 422),
        (pets, {"name": "Rex", "breed": ["shih tzu"]}, 422),
        # Free text that would make the breed matcher work for seconds.
        (pets, {"name": "Rex", "breed": "shih tzu " * 20_000}, 422),
        ("/api/appointments", {"token": ["x"]}, 400),
        ("/api/appointments", {"token": "x", "idempotency_key": 7}, 400),
        ("/api/appointments", {"token": "x", "idempotency_key": "chave\u00e9"}, 400),
        ("/api/appointments", {"token": "x", "idempotency_key": "k" * 201}, 400),
    ]
    for path, body, status in cases:
        reply = await api.post(path, body)
        assert reply.status == status, (path, str(body)[:80], reply.body)
    raw_cases = [
        ('{"name": "Rex", "weight_grams": ' + "9" * 5000 + "}", 400),  # past Python's int limit
        ('{"name": "Rex", "weight_grams": ' + "9" * 20 + "}", 400),
        ('[{"name": "Rex"}]', 400),
        ("null", 400),
        (b'{"name": "R\xc3"}', 400),  # broken UTF-8
    ]
    for body, status in raw_cases:
        reply = await api.call("POST", pets, data=body, headers=JSON)
        assert reply.status == status, (str(body)[:40], reply.body)


async def test_bodies_must_be_json_and_not_huge(any_db_api):
    api, world = any_db_api
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                 "application/xml"):  # fmt: skip
        reply = await api.call(
            "POST", "/api/tutors", data='{"name": "Ana Souza"}', headers={"Content-Type": kind}
        )
        assert reply.status == 415, (kind, reply.body)
        assert "application/json" in reply.body["error"]["message"]
    ok = await api.call(
        "POST",
        "/api/tutors",
        data='{"name": "Ana Souza"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert ok.status == 201
    big = '{"name": "' + "a" * 10 * 1024 * 1024 + '"}'
    reply = await api.call("POST", "/api/tutors", data=big, headers=JSON)
    assert reply.status == 413 and reply.body["error"]["code"] == "payload_too_large"


async def _raw_request(api, head: bytes) -> tuple[int, dict]:
    """Send bytes no client library would (non-UTF-8 header values) and read the answer."""
    server = api.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(head)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    body = rest.split(b"\r\n\r\n", 1)[1]
    return int(status_line.split()[1]), json.loads(body)


async def test_non_utf8_header_bytes_are_4xx(any_db_api):
    api, _world = any_db_api
    bad_token = b"GET /api/services HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n"
    status, body = await _raw_request(api, bad_token + b"Connection: close\r\n\r\n")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    payload = b'{"token": "x"}'
    bad_key = (
        b"POST /api/appointments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + TOKEN.encode()
        + b"\r\nIdempotency-Key: chave-\xe9\r\nContent-Type: application/json\r\n"
        + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(payload)
        + payload
    )
    status, body = await _raw_request(api, bad_key)
    assert status == 400 and "idempotência" in body["error"]["message"]


async def test_a_compressed_body_that_does_not_decompress_is_400(any_db_api):
    api, _world = any_db_api
    body = b'{"name": "Ana Souza"}'
    # The server closes the connection after such a body: one connection per request.
    close = {**JSON, "Connection": "close"}
    for encoding in ("gzip", "deflate"):
        reply = await api.call(
            "POST", "/api/tutors", data=body, headers={**close, "Content-Encoding": encoding}
        )
        assert reply.status == 400, (encoding, reply.body)
        assert "Content-Encoding" in reply.body["error"]["message"]
    assert (await api.get("/api/tutors", params={"q": "Ana Souza"})).body == {"tutors": []}
    # Compressed JSON is read; 20 KiB on the wire that inflate to 20 MiB are 413.
    gzipped = {**close, "Content-Encoding": "gzip"}
    sent = await api.call("POST", "/api/tutors", data=gzip.compress(body), headers=gzipped)
    assert sent.status == 201 and sent.body["name"] == "Ana Souza"
    bomb = gzip.compress(b'{"name": "' + b"a" * 20 * 1024 * 1024 + b'"}')
    assert len(bomb) < 30 * 1024
    reply = await api.call("POST", "/api/tutors", data=bomb, headers=gzipped)
    assert reply.status == 413 and reply.body["error"]["code"] == "payload_too_large"
