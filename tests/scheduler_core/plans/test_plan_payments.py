"""Paying a plan-cycle invoice writes "Registros do plano"; other invoices do not.
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from scheduler_core.db.engine import write_session
from scheduler_core.plans import lifecycle
from scheduler_core.plans import payments as plan_payments
from scheduler_core.plans import service as plans
from tests.scheduler_core.billing.billing_helpers import new_invoice
from tests.scheduler_core.factories import NOW, build_shop


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine)


def test_a_partial_then_full_payment_of_a_cycle_is_in_the_plan_records(world):
    plan = plans.sell_plan(world.engine, pet_id=world.pet_id,
                           template_id=world.add_plan_template(price_cents=16000),
                           start_date=NOW.date(), now=NOW, actor="staff:1")
    with Session(world.engine) as s:
        invoice_id = plans.plan_status(s, plan.id).cycles[0].invoice_id
    other = new_invoice(world)
    for amount in (6000, 10000):
        with write_session(world.engine) as s:
            plan_payments.pay(s, invoice_ids=[invoice_id], method="pix", amount_cents=amount,
                              now=NOW, actor="staff:1")
    with write_session(world.engine) as s:
        plan_payments.pay(s, invoice_ids=[other], method="dinheiro", amount_cents=100, now=NOW,
                          actor="staff:1")
    with Session(world.engine) as s:
        records = [r for r in lifecycle.plan_records(s, plan.id) if r.kind == "invoice_payment"]
    assert [(r.label, r.invoice_id) for r in records] == [("Pagamento", invoice_id)] * 2
    assert "R$ 60,00 em Pix (parcial)" in records[0].note
    assert "R$ 100,00 em Pix (paga)" in records[1].note
