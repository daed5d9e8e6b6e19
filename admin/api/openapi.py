"""The OpenAPI 3.1 document of the REST API, written by hand next to the handlers.

tests/admin/api/test_openapi.py keeps it honest: every /api route of the app is documented with the
same methods (and nothing else is), and every response the tests receive validates against the
schema documented for its status.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from admin.api.errors import json_response
from admin.api.openapi_billing import BILLING_PATHS, BILLING_SCHEMAS
from admin.api.openapi_common import DATETIME, ID
from admin.api.openapi_common import body as _body
from admin.api.openapi_common import errors as _errors
from admin.api.openapi_common import nullable as _nullable
from admin.api.openapi_common import obj as _obj
from admin.api.openapi_common import ok as _ok
from admin.api.openapi_common import q as _q
from admin.api.openapi_common import ref as _ref
from admin.api.openapi_visits import VISIT_PATHS, VISIT_SCHEMAS

VERSION = "1.1.0"
KEY_PATTERN = "^[\\x20-\\x7e]{1,200}$"
IDEMPOTENCY = (
    "Optional, 1 to 200 printable ASCII characters (a UUID is ideal). Keys belong to "
    "the API client (bearer token). A retry with the same key and the same request "
    "(same pet, slot, services, professionals, combo, notes and leva_e_traz; a new "
    "token for the same slot counts as the same) answers 200 with the appointment "
    "already booked, also when the retries run concurrently or after the token "
    "expired; exactly one of them gets 201. The same key with another request is "
    "422 idempotency_key_reused. The Idempotency-Key header works too."
)


PORTE = {"type": "string", "enum": ["mini", "pequeno", "medio", "grande", "gigante"]}
PELAGEM = {"type": "string", "enum": ["curta", "media", "longa"]}
STATUSES = [
    "agendado", "confirmado", "recebido", "em_atendimento", "finalizado", "entregue",
    "cancelado", "nao_compareceu",
]  # fmt: skip

TUTOR_INPUT_PROPS: dict[str, Any] = {
    "name": {"type": "string", "examples": ["Ana Luíza Conceição"]},
    "cpf": {
        "type": "string",
        "description": "Optional; validated.",
        "examples": ["529.982.247-25"],
    },
    "whatsapp": {
        "type": "string",
        "description": "Any Brazilian format; stored as E.164.",
        "examples": ["(11) 98765-4321"],
    },
    "wa_user_id": {"type": ["string", "null"], "description": "Meta business-scoped user id."},
    "phone2": {"type": "string"},
    "email": {"type": "string", "examples": ["ana@email.com.br"]},
    "birth_date": _nullable("string", format="date"),
    "notes": {"type": "string"},
    "allow_bot": {"type": "boolean", "description": "Whether the WhatsApp bot may serve them."},
    "cep": {"type": "string", "examples": ["05435-001"]},
    "street": {"type": "string", "examples": ["Rua Harmonia"]},
    "number": {"type": "string", "examples": ["850"]},
    "complement": {"type": "string"},
    "neighborhood": {"type": "string", "examples": ["Vila Madalena"]},
    "city": {"type": "string", "examples": ["São Paulo"]},
    "state": {"type": "string", "examples": ["SP"]},
}
PET_INPUT_PROPS: dict[str, Any] = {
    "name": {"type": "string", "examples": ["Paçoca"]},
    "species": {"type": "string", "enum": ["cao", "gato", "roedor"], "default": "cao"},
    "breed_id": _nullable("integer"),
    "breed": {
        "type": "string",
        "description": "Free text, fuzzy-matched (nicknames such as 'lulu' or 'vira-lata' work).",
        "examples": ["shih tzu"],
    },
    "porte": {**PORTE, "description": "Default: the breed's; a dog's weight overrides it."},
    "pelagem": {**PELAGEM, "description": "Default: the breed's."},
    "sex": {"type": ["string", "null"], "enum": ["macho", "femea", None]},
    "birth_date": _nullable("string", format="date"),
    "weight_kg": {"type": ["number", "string", "null"], "examples": [7.5]},
    "weight_grams": _nullable("integer"),
    "status": {"type": "string", "enum": ["ativo", "inativo", "falecido"]},
    "microchip": {"type": "string"},
    "notes": {"type": "string"},
}

SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        {
            "error": _obj(
                {
                    "code": {"type": "string", "examples": ["slot_taken"]},
                    "message": {
                        "type": "string",
                        "description": "pt-BR, can be shown to a person.",
                        "examples": ["Que pena, esse horário acabou de ser ocupado."],
                    },
                    "detail": {"type": "string", "description": "English explanation."},
                    "data": {"type": "object", "description": "Optional context (field, ids)."},
                }
            )
        }
    ),
    "Pet": _obj(
        {
            "id": {"type": "integer"},
            "tutor_id": {"type": "integer"},
            "name": {"type": "string", "examples": ["Paçoca"]},
            "species": {"type": "string", "enum": ["cao", "gato", "roedor"]},
            "breed_id": _nullable("integer"),
            "breed": _nullable("string", examples=["Shih Tzu"]),
            "porte": {"type": ["string", "null"], "enum": [*PORTE["enum"], None]},
            "pelagem": {"type": ["string", "null"], "enum": [*PELAGEM["enum"], None]},
            "sex": {"type": ["string", "null"], "enum": ["macho", "femea", None]},
            "birth_date": _nullable("string", format="date"),
            "weight_kg": _nullable("number"),
            "status": {"type": "string", "enum": ["ativo", "inativo", "falecido"]},
            "microchip": {"type": "string"},
            "notes": {"type": "string"},
        }
    ),
    "Tutor": _obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string", "examples": ["Ana Luíza Conceição"]},
            "cpf": {"type": "string", "examples": ["529.982.247-25"]},
            "whatsapp": {"type": "string", "examples": ["+5511987654321"]},
            "wa_user_id": _nullable("string"),
            "phone2": {"type": "string"},
            "email": {"type": "string"},
            "birth_date": _nullable("string", format="date"),
            "notes": {"type": "string"},
            "allow_bot": {"type": "boolean"},
            "cep": {"type": "string"},
            "street": {"type": "string"},
            "number": {"type": "string"},
            "complement": {"type": "string"},
            "neighborhood": {"type": "string"},
            "city": {"type": "string"},
            "state": {"type": "string"},
            "created_at": DATETIME,
            "pets": {"type": "array", "items": _ref("Pet")},
        }
    ),
    "TutorList": _obj({"tutors": {"type": "array", "items": _ref("Tutor")}}),
    "TutorInput": _obj(TUTOR_INPUT_PROPS, required=["name"]),
    "TutorUpdate": _obj(TUTOR_INPUT_PROPS, required=[]),
    "PetInput": _obj(PET_INPUT_PROPS, required=["name"]),
    "PetUpdate": _obj(PET_INPUT_PROPS, required=[]),
    "ServiceOffer": _obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string", "examples": ["Banho"]},
            "category_id": {"type": "integer"},
            "category": {"type": "string", "examples": ["Banho"]},
            "category_kind": {"type": "string", "examples": ["banho"]},
            "segment_id": {"type": "integer"},
            "segment_kind": {"type": "string", "examples": ["pet_shop"]},
            "is_addon": {"type": "boolean"},
            "show_on_bot": {"type": "boolean"},
            "species": {"type": "array", "items": {"type": "string"}},
            "description": {"type": "string"},
            "price_cents": {
                **_nullable("integer"),
                "description": "Price for the pet (centavos); null without a pet or its size.",
            },
            "duration_min": _nullable("integer"),
            "min_price_cents": {**_nullable("integer"), "description": "'A partir de' price."},
            "price_label": {"type": "string", "examples": ["R$ 55,00", "a partir de R$ 45,00"]},
        }
    ),
    "ComboOffer": _obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string", "examples": ["Banho + Tosa higiênica"]},
            "segment_id": {"type": "integer"},
            "description": {"type": "string"},
            "service_ids": {"type": "array", "items": {"type": "integer"}},
            "discount_kind": {"type": "string", "enum": ["valor", "percentual"]},
            "discount_value": {"type": "integer"},
            "price_cents": _nullable("integer"),
            "full_price_cents": _nullable("integer"),
            "discount_cents": _nullable("integer"),
            "duration_min": _nullable("integer"),
            "min_price_cents": _nullable("integer"),
            "price_label": {"type": "string"},
        }
    ),
    "Catalog": _obj(
        {
            "pet_id": _nullable("integer"),
            "services": {"type": "array", "items": _ref("ServiceOffer")},
            "addons": {"type": "array", "items": _ref("ServiceOffer")},
            "combos": {"type": "array", "items": _ref("ComboOffer")},
        }
    ),
    "SlotItem": _obj(
        {
            "service_id": {"type": "integer"},
            "service_name": {"type": "string"},
            "employee_id": {"type": "integer"},
            "employee_name": {"type": "string"},
            "start": DATETIME,
            "end": DATETIME,
            "price_cents": {"type": "integer"},
            "duration_min": {"type": "integer"},
        }
    ),
    "Slot": _obj(
        {
            "token": {"type": "string", "description": "Pass to POST /api/appointments."},
            "start": {**DATETIME, "examples": ["2026-03-05T10:00:00-03:00"]},
            "end": DATETIME,
            "total_cents": {
                "type": "integer",
                "description": "What the tutor pays; for a combo, the sum less the discount.",
            },
            "discount_cents": {
                "type": "integer",
                "description": "Combo discount already taken off total_cents (0 without combo).",
            },
            "price_label": {"type": "string", "examples": ["R$ 80,00"]},
            "items": {"type": "array", "items": _ref("SlotItem")},
        }
    ),
    "Availability": _obj(
        {
            "pet_id": {"type": "integer"},
            "segment_id": {"type": "integer"},
            "service_ids": {"type": "array", "items": {"type": "integer"}},
            "combo_id": {
                **_nullable("integer"),
                "description": "The combo the slots are priced as (from the combo_id parameter).",
            },
            "slots": {"type": "array", "items": _ref("Slot")},
            "reason": {
                "type": ["string", "null"],
                "description": "Why there is no slot (closed, full, restriction...).",
            },
            "message": {
                "type": "string",
                "examples": ["A tosa na tesoura é feita de terça a sábado."],
            },
        }
    ),
    "AppointmentItem": _obj(
        {
            "service_id": {"type": "integer"},
            "service_name": {"type": "string"},
            "employee_id": {"type": "integer"},
            "employee_name": {"type": "string"},
            "start": DATETIME,
            "end": DATETIME,
            "price_cents": {"type": "integer"},
            "duration_min": {"type": "integer"},
            "in_plan": {"type": "boolean"},
        }
    ),
    "Appointment": _obj(
        {
            "id": {"type": "integer"},
            "segment_id": {"type": "integer"},
            "tutor_id": {"type": "integer"},
            "pet_id": {"type": "integer"},
            "pet_name": {"type": "string"},
            "start": DATETIME,
            "end": DATETIME,
            "status": {"type": "string", "enum": STATUSES},
            "status_label": {"type": "string", "examples": ["Agendado"]},
            "is_encaixe": {"type": "boolean"},
            "origin": {"type": "string", "enum": ["bot", "staff", "api"]},
            "total_cents": {"type": "integer"},
            "leva_e_traz": {"type": "boolean"},
            "leva_e_traz_fee_cents": {"type": "integer"},
            "pet_plan_id": _nullable("integer"),
            "combo_id": _nullable("integer"),
            "discount_cents": {
                "type": "integer",
                "description": "Combo discount already taken off total_cents.",
            },
            "plan_note": {
                "type": "string",
                "description": "Set when a plan's allowance was used up and a line kept its "
                "normal price.",
            },
            "notes": {"type": "string"},
            "items": {"type": "array", "items": _ref("AppointmentItem")},
        }
    ),
    "BookRequest": _obj(
        {
            "token": {"type": "string", "description": "A slot token from /api/availability."},
            "idempotency_key": {
                "type": "string",
                "pattern": KEY_PATTERN,
                "description": IDEMPOTENCY,
            },
            "notes": {"type": "string", "examples": ["Tutor pediu laço rosa."]},
            "leva_e_traz": {"type": "boolean", "default": False},
            "pet_plan_id": {
                "type": "integer",
                "minimum": 1,
                "description": "Book by the pet's plan (GET /api/pets/{id}/plans): each service "
                "it includes takes one session of the current cycle and costs 0; used up, the "
                "normal price and plan_note says so.",
            },
        },
        required=["token"],
    ),
    "RescheduleRequest": _obj(
        {
            "token": {
                "type": "string",
                "description": "From /api/availability?appointment_id=<this id>.",
            }
        }
    ),
    "CancelRequest": _obj(
        {"reason": {"type": "string", "examples": ["Tutor pediu para cancelar."]}}, required=[]
    ),
    "StatusRequest": _obj({"status": {"type": "string", "enum": STATUSES}}),
}

_ERROR_DESCRIPTIONS = {
    "400": "Malformed JSON body or query parameters (code bad_request): not JSON, NaN or "
    "Infinity, numbers beyond a float or integers over 19 digits, lone UTF-16 surrogates, "
    "nesting deeper than 20, non-ASCII digits in ids, dates not AAAA-MM-DD, a gzip or "
    "deflate body that does not decompress.",
    "401": "Missing or invalid bearer token (code unauthorized).",
    "404": "Not found (code not_found, or no_shop before the shop exists).",
    "409": "Conflict: slot_taken, pet_busy, not_cancellable, invalid_transition...",
    "410": "The slot token expired (code token_expired).",
    "413": "The body is larger than the server accepts (code payload_too_large).",
    "415": "The body is not sent as JSON (code unsupported_media_type).",
    "422": "Validation failed (validation, token_invalid, pet_not_bookable, notice_too_short, "
    "idempotency_key_reused...).",
    "500": "Unexpected error (code internal); never a stack trace.",
    "503": "The database stayed busy (code busy); nothing was saved. Send the same request "
    "again after the Retry-After header's seconds.",
}
RESPONSES = {
    status: {
        "description": text,
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    for status, text in _ERROR_DESCRIPTIONS.items()
}


PATHS: dict[str, Any] = {
    "/api/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document (public).",
            "security": [],
            "responses": {"200": {"description": "The OpenAPI document."}},
        }
    },
    "/api/services": {
        "get": {
            "operationId": "listServices",
            "summary": "Services, add-ons and combos, priced for a pet when pet_id is given.",
            "parameters": [
                _q("pet_id", "Price and duration for this pet.", example="12"),
                _q("segment", "pet_shop, clinica, creche or hotel."),
                _q("channel", "staff (default: everything active) or bot (shown on the bot)."),
            ],
            "responses": {**_ok("Catalog", "The catalogue."), **_errors("400", "404", "422")},
        }
    },
    "/api/tutors": {
        "get": {
            "operationId": "findTutors",
            "summary": "Find tutors by WhatsApp number (any format) or search by name, phone, "
            "CPF or pet name.",
            "parameters": [
                _q(
                    "phone",
                    "Any Brazilian format; the 9th-digit variant matches too.",
                    example="(11) 98765-4321",
                ),
                _q("q", "Free search (name, phone, CPF, pet name).", example="Paçoca"),
            ],  # fmt: skip
            "responses": {**_ok("TutorList", "Matching tutors."), **_errors("400", "404")},
        },
        "post": {
            "operationId": "createTutor",
            "summary": "Register a tutor.",
            "requestBody": _body("TutorInput"),
            "responses": {
                **_ok("Tutor", "The new tutor.", "201"),
                **_errors("400", "404", "413", "415", "422"),
            },
        },
    },
    "/api/tutors/{id}": {
        "parameters": [ID],
        "get": {
            "operationId": "getTutor",
            "summary": "A tutor with their pets.",
            "responses": {**_ok("Tutor", "The tutor."), **_errors("404")},
        },
        "patch": {
            "operationId": "updateTutor",
            "summary": "Change some fields of a tutor.",
            "requestBody": _body("TutorUpdate"),
            "responses": {
                **_ok("Tutor", "The tutor."),
                **_errors("400", "404", "413", "415", "422"),
            },
        },
    },
    "/api/tutors/{id}/pets": {
        "parameters": [ID],
        "post": {
            "operationId": "createPet",
            "summary": "Register a pet for the tutor.",
            "requestBody": _body("PetInput"),
            "responses": {
                **_ok("Pet", "The new pet.", "201"),
                **_errors("400", "404", "413", "415", "422"),
            },
        },
    },
    "/api/pets/{id}": {
        "parameters": [ID],
        "get": {
            "operationId": "getPet",
            "summary": "A pet.",
            "responses": {**_ok("Pet", "The pet."), **_errors("404")},
        },
        "patch": {
            "operationId": "updatePet",
            "summary": "Change some fields of a pet.",
            "requestBody": _body("PetUpdate"),
            "responses": {**_ok("Pet", "The pet."), **_errors("400", "404", "413", "415", "422")},
        },
    },
    "/api/availability": {
        "get": {
            "operationId": "availability",
            "summary": "Free slots for a pet and services; each slot carries a booking token.",
            "parameters": [
                _q("pet_id", "The pet.", required=True, example="12"),
                _q(
                    "service_ids",
                    "Comma-separated service ids (any order); with combo_id, extra services "
                    "added to the combo at their normal price.",
                    example="1,2",
                ),
                _q(
                    "combo_id",
                    "Book a combo (ids from GET /api/services): its services are used and each "
                    "slot's total_cents is the combo price (discount in discount_cents); the "
                    "token carries the combo to POST /api/appointments.",
                    example="3",
                ),
                _q(
                    "date_from",
                    "First date, shop wall clock (default today).",
                    example="2026-03-05",
                ),
                _q("date_to", "Last date, inclusive (default date_from + 6 days)."),
                _q("employee_ids", "Preferred professionals, comma-separated."),
                _q("channel", "staff (default) or bot (bot notice, horizon and thinning)."),
                _q("appointment_id", "Search slots to move this appointment (reschedule)."),
            ],  # fmt: skip
            "responses": {
                **_ok("Availability", "Slots, or none with reason and a pt-BR message."),
                **_errors("400", "404", "409", "422"),
            },
        }
    },
    "/api/appointments": {
        "post": {
            "operationId": "book",
            "summary": "Book the slot of a token (status agendado, origin api).",
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "pattern": KEY_PATTERN},
                    "description": IDEMPOTENCY,
                }
            ],
            "requestBody": _body("BookRequest"),
            "responses": {
                **_ok("Appointment", "Booked.", "201"),
                **_ok(
                    "Appointment",
                    "A retry: this client already booked this same request with this "
                    "idempotency key; nothing new was booked.",
                ),
                **_errors("400", "404", "409", "410", "413", "415", "422"),
            },
        }
    },
    "/api/appointments/{id}": {
        "parameters": [ID],
        "get": {
            "operationId": "getAppointment",
            "summary": "An appointment with its services, professionals and times.",
            "responses": {**_ok("Appointment", "The appointment."), **_errors("404")},
        },
    },
    "/api/appointments/{id}/reschedule": {
        "parameters": [ID],
        "post": {
            "operationId": "reschedule",
            "summary": "Move the appointment to the slot of a token.",
            "requestBody": _body("RescheduleRequest"),
            "responses": {
                **_ok("Appointment", "Moved."),
                **_errors("400", "404", "409", "410", "413", "415", "422"),
            },
        },
    },
    "/api/appointments/{id}/cancel": {
        "parameters": [ID],
        "post": {
            "operationId": "cancel",
            "summary": "Cancel the appointment (frees its time at once).",
            "requestBody": _body("CancelRequest", required=False),
            "responses": {
                **_ok("Appointment", "Cancelled."),
                **_errors("400", "404", "409", "413", "415", "422"),
            },
        },
    },
    "/api/appointments/{id}/status": {
        "parameters": [ID],
        "post": {
            "operationId": "setStatus",
            "summary": "Move the visit along agendado → … → entregue (or cancelado / "
            "nao_compareceu).",
            "requestBody": _body("StatusRequest"),
            "responses": {
                **_ok("Appointment", "The appointment with its new status."),
                **_errors("400", "404", "409", "413", "415", "422"),
            },
        },
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "petbot REST API",
        "version": VERSION,
        "description": (
            "Booking API of a petbot pet shop. Send `Authorization: Bearer <token>` (tokens from "
            "API_TOKENS, or the one generated into var/api_token). Money is in centavos; times "
            "are ISO 8601 with the shop's offset. Error bodies are "
            '`{"error": {"code", "message" (pt-BR), "detail" (English), "data"}}`. '
            "Bodies are JSON objects (Content-Type application/json, UTF-8, at most 4 MiB on the "
            "app server): NaN, Infinity, numbers beyond a float, integers over 19 digits, lone "
            "UTF-16 surrogates and nesting deeper than 20 are refused with 400; ids are ASCII "
            "digits. No input answers 500: tests/admin/api/test_openapi_hostile.py feeds hostile "
            "values to every parameter and field of this document."
        ),
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": {**PATHS, **VISIT_PATHS, **BILLING_PATHS},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {**SCHEMAS, **VISIT_SCHEMAS, **BILLING_SCHEMAS},
        "responses": {f"E{status}": body for status, body in RESPONSES.items()},
    },
}


async def openapi_json(request: web.Request) -> web.Response:
    return json_response(DOCUMENT)
