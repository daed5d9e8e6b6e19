"""Building blocks of the OpenAPI document (admin/api/openapi.py and openapi_billing.py)."""

from __future__ import annotations

from typing import Any

ID_PATTERN = "^[0-9]{1,12}$"
IDS_PATTERN = "^[0-9]{1,12}(,[0-9]{1,12})*$"
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATETIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def obj(properties: dict[str, Any], required: list[str] | None = None, **extra) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
        **extra,
    }


def ok(schema: str, description: str, status: str = "200") -> dict[str, Any]:
    return {
        status: {
            "description": description,
            "content": {"application/json": {"schema": ref(schema)}},
        }
    }


def errors(*statuses: str) -> dict[str, Any]:
    return {s: {"$ref": f"#/components/responses/E{s}"} for s in ("401", *statuses, "500", "503")}


def body(schema: str, required: bool = True) -> dict[str, Any]:
    return {
        "required": required,
        "content": {"application/json": {"schema": ref(schema)}},
    }


ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "ASCII digits only; any other path (e.g. Arabic-Indic digits) is 404.",
    "schema": {"type": "integer", "minimum": 1},
}


def q(
    name: str,
    description: str,
    *,
    required: bool = False,
    example: Any = None,
    pattern: str | None = None,
) -> dict:
    param = {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string", **({"pattern": pattern} if pattern else {})},
    }
    if example is not None:
        param["example"] = example
    return param
