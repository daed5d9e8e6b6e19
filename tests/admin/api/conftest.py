"""REST API test fixtures: an app with only the API component, a fixed clock, a test token, and
a client wrapper that validates every response against the OpenAPI document."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from aiohttp import web
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlmodel import Session

from admin import api
from admin.api.openapi import DOCUMENT
from app import health
from app.keys import CLOCK, DB, SETTINGS
from scheduler_core.kernel.settings import Settings
from scheduler_core.people.breeds import load_breeds
from tests.scheduler_core.factories import NOW, build_shop

TOKEN = "token-de-teste"
SECRET = "segredo-da-api"

_REGISTRY = Registry().with_resource(
    "urn:petbot:openapi", Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
)


def _template(path: str) -> str | None:
    """The documented path that an actual request path matches."""
    for template in DOCUMENT["paths"]:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[0-9]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    return None


ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}


def response_schema(method: str, path: str, status: int) -> dict[str, Any] | None:
    """The documented JSON schema of a response (None when the status has no JSON body).

    Undocumented paths or methods may only answer the JSON 404/405 error."""
    template = _template(path)
    if template is None or method.lower() not in DOCUMENT["paths"][template]:
        assert status in (404, 405), f"{method} {path} answered {status} but is not documented"
        return ERROR_SCHEMA
    operation = DOCUMENT["paths"][template][method.lower()]
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {path}: status {status} is not documented"
    response = responses[str(status)]
    if "$ref" in response:
        response = DOCUMENT["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    content = response.get("content", {}).get("application/json")
    return None if content is None else content["schema"]


def validate(schema: dict[str, Any], instance: Any) -> None:
    ref = schema["$ref"].replace("#", "urn:petbot:openapi#") if "$ref" in schema else None
    root = {"$ref": ref} if ref else schema
    Draft202012Validator(root, registry=_REGISTRY).validate(instance)


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Api:
    """Calls the API as an integrator would and checks each answer against the document."""

    def __init__(self, client, clock: Clock) -> None:
        self.client = client
        self.clock = clock

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: str | bytes | None = None,
        params: dict | None = None,
        headers: dict | None = None,
        token: str | None = TOKEN,
    ) -> Reply:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        response = await self.client.request(
            method, path, json=json, data=data, params=params, headers=all_headers
        )
        assert response.content_type == "application/json", await response.text()
        body = await response.json()
        if path.startswith("/api/") and path != "/api/openapi.json":
            schema = response_schema(method, path, response.status)
            if schema is not None:
                validate(schema, body)
        if response.status >= 400:
            error = body["error"]
            assert error["message"] and error["detail"] and error["code"]
            assert "Traceback" not in str(body)
        return Reply(response.status, body, response.headers)

    async def get(self, path: str, **kwargs) -> Reply:
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs) -> Reply:
        return await self.call("POST", path, json=json, **kwargs)

    async def patch(self, path: str, json: Any = None, **kwargs) -> Reply:
        return await self.call("PATCH", path, json=json, **kwargs)


def make_app(engine, clock: Clock, tokens: tuple[str, ...] = (TOKEN,)) -> web.Application:
    settings = Settings(
        database_url=str(engine.url),
        redis_url=None,
        secret_key=SECRET,
        app_host="127.0.0.1",
        app_port=0,
        api_tokens=tokens,
        rasa_url="http://127.0.0.1:1",
        action_port=0,
        engine_enabled=False,  # an app of the API alone: no engine to report on /healthz
    )
    app = web.Application()
    app[SETTINGS] = settings
    app[DB] = engine
    app[CLOCK] = clock
    health.setup(app)
    api.setup(app)
    return app


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def world(sqlite_engine):
    w = build_shop(sqlite_engine, bot_settings={"min_notice_hours": 0})
    with Session(sqlite_engine) as s:
        load_breeds(s)
        s.commit()
    return w


@pytest.fixture
async def api_client(aiohttp_client, world, clock) -> Api:
    client = await aiohttp_client(make_app(world.engine, clock))
    return Api(client, clock)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_db_api(request, aiohttp_client, clock):
    """(Api, world) on SQLite and on PostgreSQL (whose integer and text types are stricter)."""
    engine = request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")
    world = build_shop(engine, bot_settings={"min_notice_hours": 0})
    with Session(engine) as s:
        load_breeds(s)
        s.commit()
    return Api(await aiohttp_client(make_app(engine, clock)), clock), world
