"""Cobranças in the demo, through the billing services a user calls: each delivered visit's
invoice (:func:`scheduler_core.billing.invoices.invoice_for_visit`, paid at the counter), the
plans' past cycles paid, one partial payment (an invoice not yet due, so it shows "Parcial"), one
cycle left unpaid and turned "Vencida" by the overdue job run at ``now``, a manual credit for
one tutor (:mod:`scheduler_core.billing.credit`) and the cancelled plan
(:func:`scheduler_core.plans.lifecycle.cancel_plan`, its future visits cancelled: the panel's
"Cancelar plano"; its paid invoice untouched, the unused share as tutor credit). Cycle invoices
are paid through :func:`scheduler_core.plans.payments.pay`, which writes "Registros do plano"."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler_core.agenda.models import AppointmentStatus
from scheduler_core.billing import credit, payments
from scheduler_core.billing.invoices import invoice_for_visit, mark_overdue, totals
from scheduler_core.billing.models import BillingCycle, Invoice, InvoiceKind
from scheduler_core.db.engine import write_session
from scheduler_core.demo.agenda import Visit
from scheduler_core.demo.plans import ACTOR, Sale
from scheduler_core.demo.seed import data
from scheduler_core.people.models import Tutor
from scheduler_core.plans import payments as plan_payments
from scheduler_core.plans.lifecycle import cancel_plan
from scheduler_core.shop.models import Shop

# Visits invoiced per transaction (a short unit of work keeps the session small).
BATCH = 25


def bill(
    engine: Engine, shop: Shop, visits: list[Visit], sales: list[Sale], tutors: list[Tutor],
    now: datetime, rng: random.Random,
) -> None:
    """Invoices and payments of the demo period, then the overdue job at ``now``."""
    zone = ZoneInfo(shop.timezone)
    today = now.astimezone(zone).date()
    methods = data("agenda")["payment_methods"]
    since = now - timedelta(days=data("agenda")["billing_days"])
    delivered = sorted(
        (v for v in visits if v.status == AppointmentStatus.ENTREGUE),
        key=lambda v: (v.end, v.appointment_id),
    )
    with Session(engine) as session:
        invoiced = set(session.execute(
            select(Invoice.appointment_id).where(
                Invoice.appointment_id.in_([v.appointment_id for v in delivered] or [0]),
                Invoice.kind == InvoiceKind.AGENDAMENTO,
            )
        ).scalars())
    # Visits since billing started get their invoice; older ones are paid when the status
    # flow already made one (finishing a visit invoices it once that is wired in set_status).
    billed = [v for v in delivered if v.end >= since or v.appointment_id in invoiced]
    for first in range(0, len(billed), BATCH):
        with write_session(engine) as session:
            for visit in billed[first:first + BATCH]:
                _invoice_visit(session, visit, now, rng.choice(methods))
    with write_session(engine) as session:
        for sale in sales:
            _pay_cycles(session, sale, today, zone, now, rng)
        tutor = tutors[len(tutors) // 2]
        spec = data("plans")["credit"]
        credit.add_balance(
            session, tutor_id=tutor.id, amount_cents=spec["amount_cents"],
            reason_text=spec["reason"], now=now - timedelta(days=3), actor=ACTOR,
        )
        mark_overdue(session, today, shop_id=shop.id, now=now)
    for sale in sales:
        if sale.cancelled:
            with write_session(engine) as session:
                cancel_plan(
                    session, sale.plan.id, cancel_future_visits=True, now=now, actor=ACTOR
                )


def _invoice_visit(session: Session, visit: Visit, now: datetime, method: str) -> None:
    """The visit's invoice when it was finished, paid at the counter."""
    at = min(now, visit.end + timedelta(minutes=10))
    invoice = invoice_for_visit(session, visit.appointment_id, at, actor=ACTOR)
    due = totals(session, invoice).open_cents
    if due > 0:
        payments.pay_invoice(
            session, invoice.id, method=method, amount_cents=due, now=at, actor=ACTOR
        )


def _pay_cycles(
    session: Session, sale: Sale, today: date, zone: ZoneInfo, now: datetime,
    rng: random.Random,
) -> None:
    """The sale's cycle invoices: due ones paid on their due date; the overdue sale leaves its
    last due cycle open; the partial sale pays half of its first cycle not yet due."""
    cycles = session.execute(
        select(BillingCycle, Invoice)
        .join(Invoice, Invoice.id == BillingCycle.invoice_id)
        .where(BillingCycle.pet_plan_id == sale.plan.id)
        .order_by(BillingCycle.seq)
    ).all()
    due = [(c, i) for c, i in cycles if c.due_date is not None and c.due_date < today]
    ahead = [(c, i) for c, i in cycles if c.due_date is not None and c.due_date >= today]
    if sale.overdue and len(due) > 1:
        due = due[:-1]
    method = data("agenda")["payment_methods"][0]
    for cycle, invoice in due:
        at = min(now, datetime.combine(cycle.due_date, time(10), tzinfo=zone))
        open_cents = totals(session, invoice).open_cents
        if open_cents > 0:
            plan_payments.pay(
                session, invoice_ids=[invoice.id], method=method, amount_cents=open_cents,
                now=at, actor=ACTOR,
            )
    if sale.partial and ahead:
        invoice = ahead[0][1]
        half = totals(session, invoice).open_cents // 2
        if half > 0:
            plan_payments.pay(
                session, invoice_ids=[invoice.id], method=rng.choice(["pix", "dinheiro"]),
                amount_cents=half, now=now - timedelta(days=2), actor=ACTOR,
            )
