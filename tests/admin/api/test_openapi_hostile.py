"""Every input of every documented operation, fed hostile values, answers a documented status
with the JSON error body: never a 500 (issue 8, finding 4). The inputs are read from the OpenAPI
document, so a field or parameter added there is attacked without touching this test; each
answer is also checked against the schema documented for its status (see conftest.Api)."""

from __future__ import annotations

import json
import time
from typing import Any

from admin.api.openapi import DOCUMENT

from .conftest import Api

BODY_VALUES: list[Any] = [
    None, True, -1, 2**31, -(2**63), 1e308, "", "\x00", "\ud800", "\u0661\u0662", "0000-01-01",
    "x" * 5000, [], {"a": [{}]},
]  # fmt: skip
RAW_NUMBERS = ["NaN", "1e400"]  # what json.dumps cannot write
QUERY_VALUES = [
    "", "\x00", "\u0661\u0662", "-1", "0", "1" * 13, "9" * 5000, "1,", ",".join(["1"] * 30), "abc",
    "9999-12-31", "0001-01-01", "2026-02-30", "\ufffd",
]  # fmt: skip
HEADER_VALUES = ["", " ", "\u00e9", "x" * 300, "\u043a\u043b\u044e\u0447", "a\tb"]
PATH_VALUES = ["\u0661", "\uff11", "0", "00000000001", "9" * 12, "9" * 5000, "-1", "%ED%A0%80"]
# A valid base for each request body, so that one field at a time is hostile.
BASE_BODY = {
    "TutorInput": {"name": "Ana Teste"},
    "PetInput": {"name": "Rex"},
    "BookRequest": {"token": "t"},
    "RescheduleRequest": {"token": "t"},
    "StatusRequest": {"status": "confirmado"},
    "SellPlanRequest": {"template_id": 1},
    "PayRequest": {"invoice_ids": [1], "method": "pix", "amount_cents": 100},
}


def _operations():
    for template, item in DOCUMENT["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method != "parameters" and template != "/api/openapi.json":
                yield (
                    template,
                    method.upper(),
                    [*shared, *operation.get("parameters", [])],
                    (operation),
                )


def _body_schema(operation: dict) -> tuple[str, dict] | None:
    body = operation.get("requestBody")
    if body is None:
        return None
    name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    return name, DOCUMENT["components"]["schemas"][name]


async def _check(api: Api, method: str, path: str, **kwargs) -> int:
    reply = await api.call(method, path, **kwargs)  # validates status and body against the doc
    assert reply.status < 500, (method, path, kwargs, reply.body)
    return reply.status


async def test_every_documented_input_refuses_hostile_values_without_a_500(any_db_api):
    api, world = any_db_api
    slot = await api.get(
        "/api/availability",
        params={"pet_id": 1, "service_ids": world.services["banho"], "date_from": "2026-03-05"},
    )
    assert (await api.post("/api/appointments", {"token": slot.body["slots"][0]["token"]})).status
    started, sent, statuses = time.monotonic(), 0, set()
    for template, method, parameters, operation in _operations():
        path = template.replace("{id}", "1")
        query = {"pet_id": "1", "service_ids": str(world.services["banho"])}
        query = {p["name"]: query[p["name"]] for p in parameters if p["name"] in query}
        for param in parameters:
            if param["in"] == "query":
                for value in QUERY_VALUES:
                    statuses.add(
                        await _check(api, method, path, params={**query, param["name"]: value})
                    )
                    sent += 1
            elif param["in"] == "path":
                for value in PATH_VALUES:
                    statuses.add(await _check(api, method, template.replace("{id}", value)))
                    sent += 1
            elif param["in"] == "header":
                body = BASE_BODY.get(_body_schema(operation)[0], {})
                for value in HEADER_VALUES:
                    headers = {param["name"]: value}
                    statuses.add(await _check(api, method, path, json=body, headers=headers))
                    sent += 1
        schema = _body_schema(operation)
        if schema is None:
            continue
        name, body_schema = schema
        base = BASE_BODY.get(name, {})  # the Update schemas need no field
        for field in body_schema["properties"]:
            for value in BODY_VALUES:
                statuses.add(await _check(api, method, path, json={**base, field: value}))
                sent += 1
            for raw in RAW_NUMBERS:
                text = json.dumps(base)[:-1] + (", " if base else "") + f'"{field}": {raw}}}'
                statuses.add(
                    await _check(
                        api, method, path, data=text, headers={"Content-Type": "application/json"}
                    )
                )
                sent += 1
    elapsed = time.monotonic() - started
    print(f"{sent} hostile requests in {elapsed:.1f}s; statuses {sorted(statuses)}")
    assert sent > 1000 and statuses >= {400, 404, 422}
