"""Authentication and the JSON error contract of the REST API."""

from __future__ import annotations

import pytest

from admin.api import auth
from scheduler_core.catalog import offers as catalog
from scheduler_core.kernel import settings as settings_mod

from .conftest import Api, make_app


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer errado"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
)
async def test_requests_without_a_valid_token_are_401(api_client, headers):
    reply = await api_client.call("GET", "/api/services", headers=headers, token=None)
    assert reply.status == 401
    assert reply.body["error"]["code"] == "unauthorized"
    assert "Authorization" in reply.body["error"]["message"]
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


async def test_health_and_openapi_need_no_token(api_client):
    health = await api_client.call("GET", "/healthz", token=None)
    assert health.status == 200 and health.body["status"] == "ok"
    assert health.body["checks"]["database"]["status"] == "ok"
    doc = await api_client.call("GET", "/api/openapi.json", token=None)
    assert doc.status == 200 and doc.body["openapi"] == "3.1.0"


async def test_unknown_api_path_and_wrong_method_answer_json(api_client):
    reply = await api_client.call("GET", "/api/nada")
    assert reply.status == 404 and reply.body["error"]["code"] == "not_found"
    reply = await api_client.call("DELETE", "/api/tutors")
    assert reply.status == 405 and reply.body["error"]["code"] == "method_not_allowed"


async def test_an_unexpected_failure_is_a_json_500_without_trace(api_client, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("segredo interno: senha=123")

    monkeypatch.setattr(catalog, "list_services", broken)
    reply = await api_client.call("GET", "/api/services")
    assert reply.status == 500
    assert reply.body["error"]["code"] == "internal"
    assert "segredo" not in str(reply.body) and "RuntimeError" not in str(reply.body)


async def test_without_api_tokens_one_is_generated_once_and_accepted(
    aiohttp_client, world, clock, tmp_path, monkeypatch
):
    monkeypatch.setattr(settings_mod, "VAR", tmp_path)
    api = Api(await aiohttp_client(make_app(world.engine, clock, tokens=())), clock)
    token = (tmp_path / "api_token").read_text().strip()
    assert len(token) >= 32
    assert (await api.call("GET", "/api/services", token=token)).status == 200
    assert (await api.call("GET", "/api/services", token="outro")).status == 401
    # A second start keeps the same token.
    make_app(world.engine, clock, tokens=())
    assert (tmp_path / "api_token").read_text().strip() == token


def test_audit_actor_never_contains_the_token():
    actor = auth.actor_for("token-super-secreto")
    assert actor.startswith("api:") and "secreto" not in actor


async def test_routes_outside_api_are_left_alone(aiohttp_client, world, clock):
    from aiohttp import web

    app = make_app(world.engine, clock)

    async def page(_request):
        raise web.HTTPNotFound(text="página")

    app.router.add_get("/admin/x", page)
    client = await aiohttp_client(app)
    response = await client.get("/admin/x")
    assert response.status == 404 and await response.text() == "página"
