"""The WhatsApp input channel: the webhook's HTTP edge.

``GET /webhook/whatsapp`` answers Meta's verification. ``POST /webhook/whatsapp``: body limit
(413), X-Hub-Signature-256 in constant time (401), the JSON parsed once into typed objects
(:func:`read_batch`, ``bot.wa_types``; 400 when it is not a webhook we know, or nested too deep
to parse), then handed to the delivery pipeline (``bot.delivery``) through the running gateway,
which stores it before the 200 (503 when storing failed).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging

from aiohttp import web

from bot.keys import BOT_CONFIG, GATEWAY
from bot.texts import t
from bot.wa_types import PayloadError, WebhookBatch, parse_webhook

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhook/whatsapp"
BIG_BODY = 64 * 1024  # bodies above this are decoded off the event loop


def decode(body: bytes) -> WebhookBatch:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadError("invalid JSON") from exc
    return parse_webhook(data)


async def read_batch(body: bytes) -> WebhookBatch:
    """A verified body as typed items. Raises PayloadError when the body is not a webhook."""
    if len(body) > BIG_BODY:  # e.g. 5,000 receipts: parsed while the loop serves others
        batch = await asyncio.to_thread(decode, body)
    else:
        batch = decode(body)
    if batch.rejected_unrecorded:
        log.warning("webhook with %d more rejected items (not recorded)",
                    batch.rejected_unrecorded)
    return batch


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256: ``sha256=<hex HMAC of the raw body with the app secret>``."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header[7:].strip().encode())


def _pt_error(status: int, message: str) -> web.Response:
    return web.json_response({"erro": message}, status=status)


async def webhook_verify(request: web.Request) -> web.Response:
    config = request.app[BOT_CONFIG]
    q = request.query
    if q.get("hub.mode") == "subscribe" and hmac.compare_digest(
        q.get("hub.verify_token", "").encode(), config.verify_token.encode()
    ):
        return web.Response(text=q.get("hub.challenge", ""))
    return _pt_error(403, t("webhook_bad_verify_token"))


async def webhook_receive(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    limit = gateway.config.max_body
    if request.content_length is not None and request.content_length > limit:
        return _pt_error(413, t("webhook_too_large"))
    chunks = []
    size = 0
    try:
        async for chunk in request.content.iter_chunked(65536):
            size += len(chunk)
            if size > limit:
                return _pt_error(413, t("webhook_too_large"))
            chunks.append(chunk)
    except (ConnectionError, asyncio.IncompleteReadError):
        return _pt_error(400, t("webhook_incomplete"))
    body = b"".join(chunks)
    if not verify_signature(
        gateway.config.app_secret, body, request.headers.get("X-Hub-Signature-256")
    ):
        log.warning("webhook with a bad signature from %s", request.remote)
        return _pt_error(401, t("webhook_bad_signature"))
    try:
        new, dups, rejected = await gateway.accept(body)
    except PayloadError as exc:
        log.warning("webhook payload refused: %s", exc)
        return _pt_error(400, t("webhook_unknown_payload"))
    except Exception:
        log.exception("webhook could not be stored")
        return _pt_error(503, t("webhook_store_failed"))
    return web.json_response(
        {"status": "ok", "novas": new, "duplicadas": dups, "rejeitadas": rejected})


def add_routes(app: web.Application) -> None:
    app.router.add_get(WEBHOOK_PATH, webhook_verify)
    app.router.add_post(WEBHOOK_PATH, webhook_receive)


__all__ = ["WEBHOOK_PATH", "add_routes", "decode", "read_batch", "verify_signature"]
