"""The Planos & Pacotes and Cobranças part of the OpenAPI document (handlers in
admin/api/billing.py); merged into admin/api/openapi.py's DOCUMENT."""

from __future__ import annotations

from typing import Any

from admin.api.openapi_common import (
    DATE,
    DATE_PATTERN,
    DATETIME,
    ID,
    body,
    errors,
    nullable,
    obj,
    ok,
    q,
    ref,
)

INT = {"type": "integer"}
ID_OR_NULL = nullable("integer")
PLAN_KINDS = ["mensal", "trimestral", "semestral", "anual", "pacote"]
PLAN_STATUSES = ["ativo", "expirando", "expirado", "esgotado", "cancelado", "finalizado"]
INVOICE_STATUSES = ["pendente", "parcial", "paga", "vencida", "cancelada", "sem_cobranca"]
INVOICE_KINDS = ["agendamento", "plano", "avulsa", "voucher"]
METHODS = ["pix", "dinheiro", "cartao_credito", "cartao_debito", "credito_tutor"]

BILLING_SCHEMAS: dict[str, Any] = {
    "PlanTemplate": obj({
        "id": INT, "name": {"type": "string"}, "kind": {"type": "string", "enum": PLAN_KINDS},
        "kind_label": {"type": "string"}, "description": {"type": "string"},
        "species": {"type": "array", "items": {"type": "string"}},
        "price_cents": INT,
        "price_by_porte": {"type": "object", "additionalProperties": INT,
                           "description": "Price by porte, falling back to price_cents."},
        "discount_pct": INT, "payment_method": {"type": "string"},
        "charge_every_n": {**ID_OR_NULL, "description": "Packages: one invoice per N "
                           "bookings."},
        "allow_rollover": {"type": "boolean"}, "months": INT, "show_on_bot": {"type": "boolean"},
        "services": {"type": "array", "items": obj({
            "service_id": INT, "name": {"type": "string"},
            "quantity": {**INT, "description": "Per cycle (plans) or in all (packages)."},
            "reserve": {"type": ["string", "null"], "enum": ["semanal", "quinzenal", None]},
            "per_week": INT,
        })},
    }),
    "PlanTemplateList": obj({"templates": {"type": "array", "items": ref("PlanTemplate")}}),
    "PetPlan": obj({
        "id": INT, "tutor_id": INT, "pet_id": INT, "template_id": INT, "name": {"type": "string"},
        "kind": {"type": "string", "enum": PLAN_KINDS},
        "status": {"type": "string", "enum": PLAN_STATUSES},
        "status_label": {"type": "string"}, "start_date": DATE, "end_date": DATE,
        "price_cents": INT,
        "cycles": {"type": "array", "items": obj({
            "id": INT, "seq": INT, "period_start": DATE, "period_end": DATE,
            "due_date": {"type": ["string", "null"], "format": "date",
                         "description": "Packages: the date of the cycle's first booking."},
            "amount_cents": INT, "invoice_id": ID_OR_NULL,
            "invoice_status": {"type": ["string", "null"]}, "is_current": {"type": "boolean"},
            "services": {"type": "array", "items": obj({
                "service_id": INT, "name": {"type": "string"}, "included": INT, "used": INT,
                "remaining": INT,
            })},
        })},
    }),
    "PetPlanList": obj({"plans": {"type": "array", "items": ref("PetPlan")}}),
    "SellPlanRequest": obj({
        "template_id": {**INT, "minimum": 1},
        "start_date": {"type": "string", "format": "date", "description": "Default: today."},
        "price_cents": {**INT, "minimum": 0,
                        "description": "Overrides the template's price for the pet."},
    }, required=["template_id"]),
    "CancelPlanRequest": obj({
        "cancel_future_visits": {"type": "boolean", "default": True,
                                 "description": "false keeps the future booked visits; their "
                                 "cycles stay due."},
    }, required=[]),
    "CancelPlanResult": obj({
        "pet_plan_id": INT,
        "cancelled_invoice_ids": {"type": "array", "items": INT},
        "cancelled_appointment_ids": {"type": "array", "items": INT},
        "kept_appointment_ids": {"type": "array", "items": INT},
        "credit_cents": {**INT, "description": "Paid but unused sessions, now tutor credit."},
    }),
    "Invoice": obj({
        "id": INT, "number": INT, "label": {"type": "string", "examples": ["#00042"]},
        "kind": {"type": "string", "enum": INVOICE_KINDS}, "kind_label": {"type": "string"},
        "status": {"type": "string", "enum": INVOICE_STATUSES},
        "status_label": {"type": "string"}, "tutor_id": INT, "tutor_name": {"type": "string"},
        "pet_id": ID_OR_NULL, "pet_name": {"type": "string"}, "appointment_id": ID_OR_NULL,
        "due_date": {"type": ["string", "null"], "format": "date"}, "note": {"type": "string"},
        "created_at": DATETIME, "paid_at": {"type": ["string", "null"], "format": "date-time"},
        "items": {"type": "array", "items": obj({
            "id": INT, "kind": {"type": "string"}, "name": {"type": "string"},
            "unit_cents": INT, "quantity": INT, "in_plan": {"type": "boolean"},
            "discount_cents": INT, "total_cents": INT,
        })},
        "total_cents": INT, "paid_cents": INT, "open_cents": INT,
        "payments": {"type": "array", "items": obj({
            "method": {"type": "string", "enum": METHODS}, "amount_cents": INT,
            "at": DATETIME, "reversed": {"type": "boolean"},
        })},
    }),
    "InvoiceList": obj({"invoices": {"type": "array", "items": ref("Invoice")}}),
    "PayRequest": obj({
        "invoice_ids": {"type": "array", "items": {**INT, "minimum": 1}, "minItems": 1,
                        "maxItems": 20,
                        "description": "One invoice, or several of one tutor (one payment, "
                        "allocated oldest due first)."},
        "method": {"type": "string", "enum": METHODS},
        "amount_cents": {**INT, "minimum": 1, "description": "Less than the open amount is a "
                         "partial payment; more becomes tutor credit (not with credito_tutor)."},
        "expected_open_cents": {**INT, "description": "What the client showed; 409 "
                                "open_amount_changed when it differs."},
    }, required=["invoice_ids", "method", "amount_cents"]),
    "Receipt": obj({
        "batch": {"type": "string"}, "tutor_id": INT,
        "method": {"type": "string", "enum": METHODS}, "method_label": {"type": "string"},
        "at": DATETIME,
        "allocations": {"type": "array", "items": obj({
            "invoice_id": INT, "label": {"type": "string"}, "amount_cents": INT,
            "open_after_cents": INT, "status_after": {"type": "string", "enum": INVOICE_STATUSES},
        })},
        "allocated_cents": INT, "change_cents": INT, "credit_balance_cents": INT,
    }),
}

BILLING_PATHS: dict[str, Any] = {
    "/api/plan-templates": {
        "get": {
            "operationId": "listPlanTemplates",
            "summary": "Active plan and package templates (for a pet's species with pet_id).",
            "parameters": [q("pet_id", "Only the templates this pet can buy.", example="12")],
            "responses": {**ok("PlanTemplateList", "The templates."),
                          **errors("400", "404", "422")},
        }
    },
    "/api/pets/{id}/plans": {
        "parameters": [ID],
        "get": {
            "operationId": "listPetPlans",
            "summary": "The pet's sold plans and packages with their cycles and counters.",
            "responses": {**ok("PetPlanList", "The plans, newest first."), **errors("404")},
        },
        "post": {
            "operationId": "sellPlan",
            "summary": "Sell a template to the pet: the plan, its cycles and their invoices.",
            "requestBody": body("SellPlanRequest"),
            "responses": {**ok("PetPlan", "Sold.", "201"),
                          **errors("400", "404", "409", "413", "415", "422")},
        },
    },
    "/api/plans/{id}/cancel": {
        "parameters": [ID],
        "post": {
            "operationId": "cancelPlan",
            "summary": "Cancel a sold plan: future visits cancelled (or kept), unpaid future "
            "invoices cancelled, paid unused sessions as tutor credit.",
            "requestBody": body("CancelPlanRequest", required=False),
            "responses": {**ok("CancelPlanResult", "Cancelled."),
                          **errors("400", "404", "409", "413", "415", "422")},
        },
    },
    "/api/invoices": {
        "get": {
            "operationId": "listInvoices",
            "summary": "Invoices by due date (at most 100), filtered.",
            "parameters": [
                q("status", "aberta (pendente, parcial or vencida) or one status: "
                  + ", ".join(INVOICE_STATUSES) + "."),
                q("kind", ", ".join(INVOICE_KINDS) + "."),
                q("tutor_id", "Only this tutor's invoices.", example="3"),
                q("due_from", "Due on or after (AAAA-MM-DD).", pattern=DATE_PATTERN),
                q("due_to", "Due on or before (AAAA-MM-DD).", pattern=DATE_PATTERN),
            ],
            "responses": {**ok("InvoiceList", "The invoices."), **errors("400", "404", "422")},
        }
    },
    "/api/invoices/{id}": {
        "parameters": [ID],
        "get": {
            "operationId": "getInvoice",
            "summary": "An invoice with its items, totals and payments.",
            "responses": {**ok("Invoice", "The invoice."), **errors("404")},
        },
    },
    "/api/payments": {
        "post": {
            "operationId": "pay",
            "summary": "One payment over one or several invoices of a tutor (partial allowed).",
            "requestBody": body("PayRequest"),
            "responses": {**ok("Receipt", "The receipt."),
                          **errors("400", "404", "409", "413", "415", "422")},
        }
    },
}
