"""Every response of the app carries the same security headers: panel, simulator, static files,
API, webhook, health and aiohttp's own error pages."""

from __future__ import annotations

import pytest

from app.http_security import SECURITY_HEADERS

PATHS = [
    ("GET", "/admin/login", 200),
    ("GET", "/admin/agenda", 303),
    ("GET", "/simulador", 200),
    ("GET", "/simulador/static/simulador.js", 200),
    ("GET", "/simulador/static/simulador.css", 200),
    ("GET", "/admin/static/admin.css", 200),
    ("GET", "/api/openapi.json", 200),
    ("GET", "/api/services", 401),
    ("GET", "/webhook/whatsapp", 403),
    ("POST", "/webhook/whatsapp", 401),
    ("GET", "/healthz", 503),
    ("GET", "/nada-aqui", 404),
    ("PUT", "/simulador", 405),
]


@pytest.mark.parametrize("method,path,status", PATHS)
async def test_security_headers_on_every_response(client, method, path, status):
    response = await client.request(method, path, allow_redirects=False)
    assert response.status == status
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]
    assert "microphone=()" in headers["Permissions-Policy"]
    assert "geolocation=()" in headers["Permissions-Policy"]
    assert headers["Referrer-Policy"] == "same-origin"


async def test_panel_pages_are_never_cached(client):
    response = await client.get("/admin/login")
    assert response.headers["Cache-Control"] == "no-store"
    assert {k: response.headers[k] for k in SECURITY_HEADERS} == SECURITY_HEADERS
