"""REST API component of the app process (see app/server.py), JSON under /api.

Endpoints (documented in :mod:`admin.api.openapi`, served at /api/openapi.json):

- GET  /api/services?pet_id=&segment=&channel=
- GET  /api/tutors?phone= | ?q= ;  POST /api/tutors ;  GET/PATCH /api/tutors/{id}
- POST /api/tutors/{id}/pets ;  GET/PATCH /api/pets/{id}
- GET  /api/availability?pet_id=&service_ids=1,2&date_from=&date_to=&employee_ids=&channel=
  &appointment_id=
- POST /api/appointments {token, idempotency_key?, notes?, leva_e_traz?} (+ Idempotency-Key)
  (201 booked; 200 a retry of the same request by the same client; 422 key reused)
- GET  /api/appointments/{id}
- POST /api/appointments/{id}/reschedule {token}
- POST /api/appointments/{id}/edit {add_service_ids?, remove_service_ids?, leva_e_traz?, notes?,
  force?} (409 no_fit with the conflicts; handler in :mod:`admin.api.visits`)
- POST /api/appointments/{id}/cancel {reason?}
- POST /api/appointments/{id}/status {status}
- GET  /api/plan-templates?pet_id= ;  GET/POST /api/pets/{id}/plans ;  POST /api/plans/{id}/cancel
- GET  /api/invoices?status=&kind=&tutor_id=&due_from=&due_to= ;  GET /api/invoices/{id}
- POST /api/payments {invoice_ids, method, amount_cents, expected_open_cents?}
  (handlers in :mod:`admin.api.billing`)

Authentication: ``Authorization: Bearer <token>`` (see :mod:`admin.api.auth`).
"""

from __future__ import annotations

from aiohttp import web

from admin.api import billing, handlers, visits
from admin.api.auth import API_TOKENS, auth_middleware, ensure_api_token
from admin.api.errors import error_middleware
from admin.api.openapi import openapi_json
from app.keys import SETTINGS

ROUTES: tuple[tuple[str, str, object], ...] = (
    ("GET", "/api/openapi.json", openapi_json),
    ("GET", "/api/services", handlers.list_services),
    ("GET", "/api/tutors", handlers.find_tutors),
    ("POST", "/api/tutors", handlers.create_tutor),
    ("GET", "/api/tutors/{id:[0-9]+}", handlers.get_tutor),
    ("PATCH", "/api/tutors/{id:[0-9]+}", handlers.update_tutor),
    ("POST", "/api/tutors/{id:[0-9]+}/pets", handlers.create_pet),
    ("GET", "/api/pets/{id:[0-9]+}", handlers.get_pet),
    ("PATCH", "/api/pets/{id:[0-9]+}", handlers.update_pet),
    ("GET", "/api/availability", handlers.availability),
    ("POST", "/api/appointments", handlers.create_appointment),
    ("GET", "/api/appointments/{id:[0-9]+}", handlers.get_appointment),
    ("POST", "/api/appointments/{id:[0-9]+}/reschedule", handlers.reschedule_appointment),
    ("POST", "/api/appointments/{id:[0-9]+}/edit", visits.edit_appointment),
    ("POST", "/api/appointments/{id:[0-9]+}/cancel", handlers.cancel_appointment),
    ("POST", "/api/appointments/{id:[0-9]+}/status", handlers.set_appointment_status),
    ("GET", "/api/plan-templates", billing.list_plan_templates),
    ("GET", "/api/pets/{id:[0-9]+}/plans", billing.list_pet_plans),
    ("POST", "/api/pets/{id:[0-9]+}/plans", billing.sell_pet_plan),
    ("POST", "/api/plans/{id:[0-9]+}/cancel", billing.cancel_pet_plan),
    ("GET", "/api/invoices", billing.list_invoices),
    ("GET", "/api/invoices/{id:[0-9]+}", billing.get_invoice),
    ("POST", "/api/payments", billing.pay_invoices),
)


def setup(app: web.Application) -> None:
    """Register the API routes, its error and auth middlewares, and its accepted tokens."""
    app[API_TOKENS] = ensure_api_token(app[SETTINGS])
    # Errors outermost, so a failure in auth is JSON too.
    app.middlewares.append(error_middleware)
    app.middlewares.append(auth_middleware)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
