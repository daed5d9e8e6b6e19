"""The OpenAPI part of editing a booked visit (:mod:`admin.api.visits`)."""

from __future__ import annotations

from typing import Any

from admin.api.openapi_common import ID
from admin.api.openapi_common import body as _body
from admin.api.openapi_common import errors as _errors
from admin.api.openapi_common import obj as _obj
from admin.api.openapi_common import ok as _ok
from admin.api.openapi_common import ref as _ref

_SERVICE_IDS = {"type": "array", "items": {"type": "integer", "minimum": 1}, "maxItems": 20}

VISIT_SCHEMAS: dict[str, Any] = {
    "EditAppointmentRequest": _obj(
        {
            "add_service_ids": {**_SERVICE_IDS, "description": "Services or add-ons to add "
                                "(offered to this pet; priced by its porte × pelagem or breed)."},
            "remove_service_ids": {**_SERVICE_IDS, "description": "Services to take off."},
            "leva_e_traz": {"type": "boolean", "description": "Add (with the shop's notice) "
                            "or remove Leva e Traz; absent: unchanged."},
            "notes": {"type": "string", "maxLength": 2000},
            "force": {"type": "boolean", "description": "Keep a service change that no longer "
                      "fits as an Encaixe (the overridden conflicts are audited)."},
        },
        required=[],
    ),
    "EditedAppointment": _obj(
        {
            "appointment": _ref("Appointment"),
            "changes": {"type": "array", "items": {"type": "string"},
                        "description": "pt-BR, one sentence per change (invoice included)."},
        }
    ),
}

VISIT_PATHS: dict[str, Any] = {
    "/api/appointments/{id}/edit": {
        "parameters": [ID],
        "post": {
            "operationId": "editAppointment",
            "summary": "Edit a booked visit in place: services, add-ons, Leva e Traz, notes. "
            "409 no_fit (data.conflicts) when the new services no longer fit at its start.",
            "requestBody": _body("EditAppointmentRequest"),
            "responses": {
                **_ok("EditedAppointment", "The edited appointment and what changed."),
                **_errors("400", "404", "409", "413", "415", "422"),
            },
        },
    },
}
