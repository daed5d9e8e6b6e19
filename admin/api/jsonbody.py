"""Reading a request body as JSON, refusing with a pt-BR 4xx whatever a hostile client sends.

What is refused (all ``bad_request`` 400 unless said otherwise):

- a body that is not JSON, or not sent as JSON: a ``Content-Type`` other than
  ``application/json`` (or ``application/*+json``) is 415 ``unsupported_media_type``;
  no ``Content-Type`` at all is read as JSON;
- ``NaN``, ``Infinity``, ``-Infinity`` and numbers beyond a float (``1e400``), integers of more
  than :data:`MAX_INT_DIGITS` digits;
- nesting deeper than :data:`MAX_DEPTH` (our bodies are flat; 10,000 levels would exhaust the
  parser's recursion);
- text (keys or values) with a lone UTF-16 surrogate such as ``"\\ud800"``: valid JSON
  escapes, but not text that UTF-8, SQLite or PostgreSQL can store;
- a body that cannot be read: a ``Content-Encoding`` (gzip, deflate) whose data does not
  decompress, or a body cut short;
- a body over the app's ``client_max_size`` is 413 (aiohttp, mapped in :mod:`admin.api.errors`);
  the limit applies to the decompressed body, so a small gzip bomb is 413 too.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from aiohttp import web

from admin.api.errors import ApiError, bad_request

MAX_DEPTH = 20
MAX_INT_DIGITS = 19  # beyond any id, weight or price (2**63 has 19 digits)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_type(request: web.Request) -> bool:
    if "Content-Type" not in request.headers:
        return True
    kind = request.content_type.lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


def _no_constant(name: str) -> Any:
    raise bad_request(f"Número inválido no JSON: {name} não é aceito.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise bad_request(f"Número fora do intervalo no JSON: {text[:20]}.")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise bad_request("Número inteiro grande demais no JSON.")
    return int(text)


def _check(data: Any) -> None:
    """Depth and text checks, iteratively (a recursive walk could itself overflow)."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, field = stack.pop()
        if depth > MAX_DEPTH:
            raise bad_request("O corpo da requisição tem níveis de aninhamento demais.")
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise bad_request(
                    "Texto inválido no JSON: caractere Unicode incompleto (surrogate isolado).",
                    **({"field": field} if field else {}),
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                name = field or key
                if _SURROGATE.search(key):
                    raise bad_request(
                        "Texto inválido no JSON: caractere Unicode incompleto (surrogate isolado)."
                    )
                stack.append((item, depth + 1, name))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, field) for item in value)


async def read_object(request: web.Request) -> dict[str, Any]:
    """The JSON object of the request body (an empty body is an empty object)."""
    try:
        raw = await request.read()
    except web.RequestPayloadError:
        raise bad_request(
            "Não foi possível ler o corpo da requisição: confira o Content-Encoding (gzip, "
            "deflate) ou envie o JSON sem compressão."
        ) from None
    if not raw.strip():
        return {}
    if not _json_type(request):
        raise ApiError(
            415,
            "unsupported_media_type",
            "Envie o corpo em JSON, com o cabeçalho Content-Type: application/json.",
        )
    try:
        data = json.loads(
            raw,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except RecursionError:
        raise bad_request("O corpo da requisição tem níveis de aninhamento demais.") from None
    except (ValueError, UnicodeDecodeError):
        raise bad_request("O corpo da requisição não é um JSON válido.") from None
    if not isinstance(data, dict):
        raise bad_request("O corpo da requisição deve ser um objeto JSON.")
    _check(data)
    return data
