"""JSON errors of the REST API and the middleware that guarantees them.

Every error body is ``{"error": {"code", "message", "detail", "data"}}``: ``code`` is stable,
``message`` is pt-BR (can be shown to staff or a tutor), ``detail`` is English for the
integrator, ``data`` holds optional context (the field at fault, ids...). Nothing under /api ever
answers with an HTML page or a stack trace.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from scheduler_core.db.engine import RETRY_AFTER_S, is_busy_error
from scheduler_core.kernel.errors import Busy, CoreError

log = logging.getLogger("petbot.api")

# English explanations per code (the pt-BR message says the same to a person).
DETAILS: dict[str, str] = {
    "bad_request": "The request is malformed: check the JSON body and the query parameters.",
    "unauthorized": "Missing or invalid bearer token (Authorization: Bearer <token>).",
    "not_found": "The resource does not exist.",
    "method_not_allowed": "This method is not allowed on this path.",
    "payload_too_large": "The request body is too large.",
    "unsupported_media_type": "Send the body as JSON (Content-Type: application/json).",
    "idempotency_key_reused": "This idempotency key was already used by this client for another "
    "request (pet, slot or options); use a new key for a new booking.",
    "validation": "The data is invalid; see message and data.field.",
    "slot_taken": "The chosen slot is no longer free; search availability again.",
    "pet_busy": "The pet already has an active appointment overlapping that time.",
    "token_invalid": "The slot token is damaged, forged or meant for another use.",
    "token_expired": "The slot token expired; search availability again.",
    "notice_too_short": "Too close to the appointment time for this channel.",
    "not_cancellable": "The appointment's status does not allow cancelling it.",
    "paid_not_cancellable_by_bot": "Paid appointments cannot be cancelled through the bot.",
    "not_reschedulable": "The appointment's status does not allow moving it.",
    "no_fit": "With this change the visit no longer fits at its start; data.conflicts says why "
    "(send force=true to keep it as an Encaixe).",
    "invalid_transition": "This status change is not allowed.",
    "action_disabled": "The shop switched this action off.",
    "pet_not_bookable": "The pet cannot be booked (missing data, breed or size not accepted).",
    "no_shop": "No shop is registered yet.",
    "internal": "Unexpected server error; it was logged.",
    "busy": "The database stayed busy; nothing was saved. Retry after Retry-After seconds.",
}


class ApiError(Exception):
    """An error raised by the API layer itself (bad parameters, auth...)."""

    def __init__(self, status: int, code: str, message: str, data: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = dict(data or {})


def _dumps(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode()
    except UnicodeEncodeError:
        # A lone surrogate (hostile input echoed back): escape it rather than fail the reply.
        return json.dumps(data)
    return text


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON response with readable accents (UTF-8, not \\u escapes)."""
    return web.json_response(data, status=status, dumps=_dumps)


def bad_request(message: str, **data: Any) -> ApiError:
    return ApiError(400, "bad_request", message, data)


def error_response(status: int, code: str, message: str, data: dict | None = None):
    body = {
        "error": {
            "code": code,
            "message": message,
            "detail": DETAILS.get(code, "The request could not be completed."),
            "data": _json_safe(data or {}),
        }
    }
    return json_response(body, status=status)


def _json_safe(data: dict) -> dict:
    return json.loads(json.dumps(data, default=str))


# Framework errors (unknown path, wrong method...) in pt-BR.
_HTTP_ERRORS = {
    404: ("not_found", "Endereço não encontrado na API."),
    405: ("method_not_allowed", "Método não permitido neste endereço."),
    413: ("payload_too_large", "O corpo da requisição é grande demais."),
}


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _busy_response(exc: Busy) -> web.Response:
    """503 with Retry-After: the database stayed busy; nothing was saved, the same request
    can be sent again (with the same idempotency key for a booking)."""
    log.warning("api: database busy")
    response = error_response(503, exc.code, exc.message, exc.details)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


@web.middleware
async def error_middleware(request: web.Request, handler):
    """Turn every failure under /api into the JSON error body, never a trace."""
    if not is_api_path(request.path):
        return await handler(request)
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.data)
    except Busy as exc:
        return _busy_response(exc)
    except CoreError as exc:
        return error_response(exc.http_status, exc.code, exc.message, exc.details)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code, message = _HTTP_ERRORS.get(exc.status, ("bad_request", "Requisição inválida."))
        return error_response(exc.status, code, message)
    except Exception as exc:
        if is_busy_error(exc):
            return _busy_response(Busy())
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(
            500, "internal", "Erro inesperado no servidor. Tente de novo em instantes."
        )
