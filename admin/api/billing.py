"""REST API handlers of Planos & Pacotes and Cobranças: plan templates (read), a pet's sold
plans (read, sell, cancel), invoices (list with filters, read) and payments (one invoice or
several, partial or whole). Each handler parses, calls one core function and renders; the rules
are in scheduler_core.plans and scheduler_core.billing."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from sqlmodel import Session

from admin.api.auth import API_ACTOR
from admin.api.errors import bad_request, json_response
from admin.api.handlers import (
    MAX_ID,
    MAX_IDS,
    _body,
    _only,
    _path_id,
    _query_choice,
    _query_date,
    _query_int,
    _shop,
    _today,
)
from admin.api.serialize import iso
from app.keys import CLOCK, DB
from app.offload import db
from scheduler_core.billing import queries
from scheduler_core.billing.invoices import InvoiceView, invoice_view, shop_today
from scheduler_core.billing.models import InvoiceKind, InvoiceStatus, PaymentMethod
from scheduler_core.billing.payments import Receipt
from scheduler_core.db.engine import transaction
from scheduler_core.kernel.errors import NotFound
from scheduler_core.people import registry as people
from scheduler_core.plans import lifecycle, reads
from scheduler_core.plans import payments as plan_payments
from scheduler_core.plans import service as plans
from scheduler_core.plans.labels import PLAN_KIND_LABELS

INVOICE_STATUSES = ("aberta", *(s.value for s in InvoiceStatus))
INVOICE_KINDS = tuple(k.value for k in InvoiceKind)
METHODS = tuple(m.value for m in PaymentMethod)


def _int_field(body: dict, name: str, *, required: bool = False, minimum: int = 0) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"Informe o campo {name}.", field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_ID:
        raise bad_request(f"O campo {name} deve ser um número inteiro de {minimum} a {MAX_ID}.",
                          field=name)
    return value


def _bool_field(body: dict, name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise bad_request(f"O campo {name} deve ser true ou false.", field=name)
    return value


def _date_field(body: dict, name: str) -> date | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise bad_request(f"O campo {name} deve ser uma data AAAA-MM-DD.", field=name) from None


# --------------------------------------------------------------------------- JSON shapes


def template_json(view: reads.TemplateView) -> dict[str, Any]:
    t = view.template
    return {
        "id": t.id, "name": t.name, "kind": t.kind, "kind_label": PLAN_KIND_LABELS[t.kind],
        "description": t.description, "species": list(t.species or []),
        "price_cents": t.price_cents, "price_by_porte": dict(t.price_by_porte or {}),
        "discount_pct": t.discount_pct, "payment_method": t.payment_method,
        "charge_every_n": t.charge_every_n, "allow_rollover": t.allow_rollover,
        "months": t.months, "show_on_bot": t.show_on_bot,
        "services": [{"service_id": s.service_id, "name": s.name, "quantity": s.quantity,
                      "reserve": s.reserve, "per_week": s.per_week} for s in view.services],
    }


def plan_json(sold: reads.SoldPlan) -> dict[str, Any]:
    p = sold.status
    return {
        "id": p.pet_plan_id, "tutor_id": p.tutor_id, "pet_id": p.pet_id,
        "template_id": p.template_id, "name": p.name, "kind": p.kind,
        "status": sold.shown_status,
        "status_label": lifecycle.STATUS_LABELS.get(sold.shown_status, sold.shown_status),
        "start_date": iso(p.start_date), "end_date": iso(p.end_date),
        "price_cents": p.price_cents,
        "cycles": [{
            "id": c.id, "seq": c.seq, "period_start": iso(c.period_start),
            "period_end": iso(c.period_end), "due_date": iso(c.due_date),
            "amount_cents": c.amount_cents, "invoice_id": c.invoice_id,
            "invoice_status": c.invoice_status, "is_current": c.is_current,
            "services": [{"service_id": a.service_id, "name": a.service_name,
                          "included": a.included, "used": a.used, "remaining": a.remaining}
                         for a in c.services],
        } for c in p.cycles],
    }


def invoice_json(v: InvoiceView) -> dict[str, Any]:
    return {
        "id": v.id, "number": v.number, "label": v.label, "kind": v.kind,
        "kind_label": v.kind_label, "status": v.status, "status_label": v.status_label,
        "tutor_id": v.tutor_id, "tutor_name": v.tutor_name, "pet_id": v.pet_id,
        "pet_name": v.pet_name, "appointment_id": v.appointment_id, "due_date": iso(v.due_date),
        "note": v.note, "created_at": iso(v.created_at), "paid_at": iso(v.paid_at),
        "items": [{"id": ln.id, "kind": ln.kind, "name": ln.name, "unit_cents": ln.unit_cents,
                   "quantity": ln.quantity, "in_plan": ln.in_plan,
                   "discount_cents": ln.discount_cents + ln.share_cents,
                   "total_cents": ln.total_cents} for ln in v.lines],
        "total_cents": v.totals.total_cents, "paid_cents": v.totals.paid_cents,
        "open_cents": v.totals.open_cents,
        "payments": [{"method": p.method, "amount_cents": p.amount_cents, "at": iso(p.at),
                      "reversed": p.reversed_at is not None} for p in v.payments],
    }


def receipt_json(r: Receipt) -> dict[str, Any]:
    return {
        "batch": r.batch, "tutor_id": r.tutor_id, "method": r.method,
        "method_label": r.method_label, "at": iso(r.at),
        "allocations": [{"invoice_id": a.invoice_id, "label": a.label,
                         "amount_cents": a.amount_cents, "open_after_cents": a.open_after_cents,
                         "status_after": a.status_after} for a in r.allocations],
        "allocated_cents": r.allocated_cents, "change_cents": r.change_cents,
        "credit_balance_cents": r.credit_balance_cents,
    }


# --------------------------------------------------------------------------- plans


async def list_plan_templates(request: web.Request) -> web.Response:
    pet_id = _query_int(request, "pet_id")

    def work():
        with Session(request.app[DB]) as session:
            shop = _shop(session)
            return {"templates": [template_json(v) for v in
                                  reads.templates(session, shop.id, pet_id=pet_id)]}

    return json_response(await db(request, work))


def _pet_plans(session: Session, request: web.Request, pet_id: int) -> dict[str, Any]:
    shop = _shop(session)
    people.get_pet(session, pet_id, shop.id)  # NotFound for another shop's pet
    today = _today(shop, request)
    return {"plans": [plan_json(p) for p in reads.pet_plans(session, pet_id, today=today)]}


async def list_pet_plans(request: web.Request) -> web.Response:
    pet_id = _path_id(request)

    def work():
        with Session(request.app[DB]) as session:
            return _pet_plans(session, request, pet_id)

    return json_response(await db(request, work))


async def sell_pet_plan(request: web.Request) -> web.Response:
    pet_id = _path_id(request)
    body = await _body(request)
    _only(body, {"template_id", "start_date", "price_cents"})
    template_id = _int_field(body, "template_id", required=True, minimum=1)
    price = _int_field(body, "price_cents")
    start = _date_field(body, "start_date")
    app = request.app
    now = app[CLOCK]()

    def work():
        with Session(app[DB]) as session:
            shop = _shop(session)
            people.get_pet(session, pet_id, shop.id)
            day = start or _today(shop, request)
        plan = plans.sell_plan(app[DB], pet_id=pet_id, template_id=template_id, start_date=day,
                               now=now, actor=request[API_ACTOR], price_cents=price)
        with Session(app[DB]) as session:
            sold = [p for p in reads.pet_plans(session, pet_id, today=day)
                    if p.status.pet_plan_id == plan.id]
            return plan_json(sold[0])

    return json_response(await db(request, work), status=201)


async def cancel_pet_plan(request: web.Request) -> web.Response:
    plan_id = _path_id(request)
    body = await _body(request)
    _only(body, {"cancel_future_visits"})
    cancel_visits = _bool_field(body, "cancel_future_visits", True)

    def work(session: Session):
        shop = _shop(session)
        status = plans.plan_status(session, plan_id)
        people.get_pet(session, status.pet_id, shop.id)
        result = lifecycle.cancel_plan(session, plan_id, cancel_future_visits=cancel_visits,
                                       now=request.app[CLOCK](), actor=request[API_ACTOR])
        return {
            "pet_plan_id": result.pet_plan_id,
            "cancelled_invoice_ids": list(result.cancelled_invoice_ids),
            "cancelled_appointment_ids": list(result.cancelled_appointment_ids),
            "kept_appointment_ids": list(result.kept_appointment_ids),
            "credit_cents": result.credit_cents,
        }

    return json_response(await db(request, transaction, request.app[DB], work))


# --------------------------------------------------------------------------- invoices


async def list_invoices(request: web.Request) -> web.Response:
    status = _query_choice(request, "status", INVOICE_STATUSES, None)
    kind = _query_choice(request, "kind", INVOICE_KINDS, None)
    tutor_id = _query_int(request, "tutor_id")
    due_from = _query_date(request, "due_from")
    due_to = _query_date(request, "due_to")

    def work():
        with Session(request.app[DB]) as session:
            shop = _shop(session)
            filters = queries.InvoiceFilter(status=status, kind=kind, tutor_id=tutor_id,
                                            due_from=due_from, due_to=due_to)
            rows = queries.search_invoices(session, shop.id, filters,
                                           today=shop_today(session, shop.id,
                                                            request.app[CLOCK]()),
                                           limit=100).invoices
            return {"invoices": [invoice_json(v) for v in rows]}

    return json_response(await db(request, work))


async def get_invoice(request: web.Request) -> web.Response:
    invoice_id = _path_id(request)

    def work():
        with Session(request.app[DB]) as session:
            shop = _shop(session)
            view = invoice_view(session, invoice_id)
            if view.shop_id != shop.id:
                raise NotFound("Fatura não encontrada.")
            return invoice_json(view)

    return json_response(await db(request, work))


async def pay_invoices(request: web.Request) -> web.Response:
    body = await _body(request)
    _only(body, {"invoice_ids", "method", "amount_cents", "expected_open_cents"})
    ids = body.get("invoice_ids")
    if (not isinstance(ids, list) or not ids or len(ids) > MAX_IDS
            or any(isinstance(i, bool) or not isinstance(i, int) or not 1 <= i <= MAX_ID
                   for i in ids)):
        raise bad_request(f"O campo invoice_ids deve ser uma lista de 1 a {MAX_IDS} ids.",
                          field="invoice_ids")
    method = body.get("method")
    if method not in METHODS:
        raise bad_request(f"O campo method deve ser um de: {', '.join(METHODS)}.",
                          field="method")
    amount = _int_field(body, "amount_cents", required=True, minimum=1)
    expected = _int_field(body, "expected_open_cents")

    def work(session: Session):
        shop = _shop(session)
        receipt = plan_payments.pay(session, invoice_ids=ids, method=method,
                                    amount_cents=amount, now=request.app[CLOCK](),
                                    actor=request[API_ACTOR], expected_open_cents=expected)
        if receipt.shop_id != shop.id:
            raise NotFound("Fatura não encontrada.")
        return receipt_json(receipt)

    return json_response(await db(request, transaction, request.app[DB], work))
