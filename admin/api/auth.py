"""Bearer-token authentication of the REST API.

Accepted tokens are ``API_TOKENS`` (comma-separated, from the settings). When that is empty, one
token is generated at the first start into ``var/api_token`` and accepted from then on; the run
command prints it. ``/api/openapi.json`` is public (it describes, it holds no data).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

from admin.api.errors import error_response, is_api_path
from scheduler_core.kernel import settings as settings_mod
from scheduler_core.kernel.settings import Settings

API_TOKENS = web.AppKey("api_tokens", tuple)
PUBLIC_PATHS = frozenset({"/api/openapi.json"})
TOKEN_FILE = "api_token"


def ensure_api_token(settings: Settings) -> tuple[str, ...]:
    """The accepted tokens: ``settings.api_tokens``, else the generated ``var/api_token``."""
    if settings.api_tokens:
        return tuple(settings.api_tokens)
    path = settings_mod.VAR / TOKEN_FILE
    if not path.exists() or not path.read_text().strip():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o600)
    return (path.read_text().strip(),)


def actor_for(token: str) -> str:
    """Audit actor of a client: "api:" + a short fingerprint (never the token itself)."""
    return "api:" + hashlib.sha256(token.encode()).hexdigest()[:8]


API_ACTOR = web.RequestKey("api_actor", str)


def _raw(token: str) -> bytes:
    """The header's bytes: aiohttp keeps non-UTF-8 bytes as lone surrogates, which a plain
    ``encode()`` refuses (a 500 for ``Authorization: Bearer \\xff``)."""
    return token.encode("utf-8", "surrogateescape")


@web.middleware
async def auth_middleware(request: web.Request, handler):
    if not is_api_path(request.path) or request.path in PUBLIC_PATHS:
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    accepted = request.app[API_TOKENS]
    if (
        scheme.lower() != "bearer"
        or not token
        or not any(hmac.compare_digest(_raw(token), ok.encode()) for ok in accepted)
    ):
        response = error_response(
            401,
            "unauthorized",
            "Acesso não autorizado: envie o cabeçalho Authorization: Bearer <token>.",
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="petbot"'
        return response
    request[API_ACTOR] = actor_for(token)
    return await handler(request)
