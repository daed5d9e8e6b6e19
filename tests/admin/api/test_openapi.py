"""The OpenAPI document matches the app: same /api routes and methods, valid schemas."""

from __future__ import annotations

import re

from aiohttp import web
from jsonschema import Draft202012Validator

from admin.api.openapi import DOCUMENT
from tests.scheduler_core.factories import NOW

from .conftest import Clock, make_app, response_schema, validate


def _routes(app: web.Application) -> dict[str, set[str]]:
    """{documented-style path: methods} of every /api route registered on the app."""
    found: dict[str, set[str]] = {}
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if not path.startswith("/api"):
            continue
        path = re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", path)  # {id:\d+} → {id}
        found.setdefault(path, set()).add(route.method.lower())
    return found


def _documented() -> dict[str, set[str]]:
    methods = {"get", "post", "put", "patch", "delete"}
    return {path: {m for m in item if m in methods} for path, item in DOCUMENT["paths"].items()}


def test_every_api_route_is_documented_and_nothing_else(sqlite_engine):
    app = make_app(sqlite_engine, Clock(NOW))
    assert _routes(app) == _documented()


def test_every_operation_documents_its_errors_and_has_an_id():
    ids = set()
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            ids.add(operation["operationId"])
            if path != "/api/openapi.json":
                assert {"401", "500"} <= set(operation["responses"]), (method, path)
            if "{id}" in path:
                assert "404" in operation["responses"], (method, path)
    assert len(ids) == sum(len(v) for v in _documented().values())


PET = {
    "id": 1, "tutor_id": 1, "name": "Paçoca", "species": "cao", "breed_id": None, "breed": None,
    "porte": "mini", "pelagem": "longa", "sex": "femea", "birth_date": None, "weight_kg": 4.2,
    "status": "ativo", "microchip": "", "notes": "",
}  # fmt: skip
SAMPLES = {
    "Error": {
        "error": {"code": "validation", "message": "CPF inválido.", "detail": "x", "data": {}}
    },
    "Pet": PET,
    "TutorInput": {"name": "Ana", "whatsapp": "(11) 98765-4321"},
    "TutorUpdate": {},
    "PetInput": {"name": "Rex", "breed": "vira-lata"},
    "PetUpdate": {"weight_kg": "12,5"},
    "BookRequest": {"token": "t"},
    "RescheduleRequest": {"token": "t"},
    "CancelRequest": {},
    "StatusRequest": {"status": "entregue"},
    "TutorList": {"tutors": []},
    "Catalog": {"pet_id": None, "services": [], "addons": [], "combos": []},
}


def test_schemas_are_valid_json_schema_and_samples_validate():
    for schema in DOCUMENT["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for name, sample in SAMPLES.items():
        validate({"$ref": f"#/components/schemas/{name}"}, sample)


def test_error_responses_share_one_schema():
    for status in (400, 401, 404, 409, 410, 422, 500):
        assert response_schema("POST", "/api/appointments", status) == {
            "$ref": "#/components/schemas/Error"
        }


def test_body_operations_document_too_large_and_not_json():
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method != "parameters" and "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= set(operation["responses"]), (method, path)
    book = DOCUMENT["paths"]["/api/appointments"]["post"]
    assert "idempotency_key_reused" in book["parameters"][0]["description"]
    assert "201" in book["responses"] and "200" in book["responses"]
