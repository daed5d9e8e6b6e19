"""Payments and tutor credit: methods, partial payments, overpayment as credit, batch payment
oldest due first, receipts, the credit ledger, vouchers, properties (hypothesis) and two staff
paying the same invoice at once (real threads). SQLite and PostgreSQL (db_engine)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from scheduler_core.billing import credit, invoices, payments
from scheduler_core.billing.invoices import ItemSpec
from scheduler_core.billing.models import CreditEntry, InvoiceKind, Payment
from scheduler_core.db.engine import read_session, transaction, write_session
from scheduler_core.kernel.errors import CoreError, InvalidTransition, ValidationFailed
from tests.scheduler_core.billing.billing_helpers import balance, new_invoice, pay, view
from tests.scheduler_core.factories import NOW, build_shop

TODAY = NOW.date()


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine)


def _add_credit(world, amount, reason="Cortesia"):
    with write_session(world.engine) as s:
        credit.add_balance(s, tutor_id=world.tutor_id, amount_cents=amount, reason_text=reason,
                           now=NOW, actor="staff:1")


def test_partial_then_full_payment_in_two_methods(world):
    invoice_id = new_invoice(world, ("Banho", 5000), ("Tosa", 4000))
    first = pay(world, invoice_id, amount=3000, method="dinheiro")
    assert [(a.amount_cents, a.open_after_cents, a.status_after) for a in first.allocations] == [
        (3000, 6000, "parcial")]
    assert view(world, invoice_id).open_label == "R$ 60,00"
    second = pay(world, invoice_id, amount=6000, method="cartao_debito")
    v = view(world, invoice_id)
    assert (v.status, v.totals.open_cents, v.open_label) == ("paga", 0, "-")
    assert v.paid_at is not None
    assert [(p.method, p.amount_cents) for p in v.payments] == [
        ("dinheiro", 3000), ("cartao_debito", 6000)]
    assert second.change_cents == 0 and first.batch != second.batch


def test_paying_a_paid_or_cancelled_invoice_is_refused(world):
    invoice_id = new_invoice(world)
    pay(world, invoice_id, amount=5000)
    with pytest.raises(payments.NothingOpen, match="já está paga"):
        pay(world, invoice_id, amount=100)
    cancelled = new_invoice(world)
    with write_session(world.engine) as s:
        invoices.cancel_invoice(s, cancelled, now=NOW, actor="staff:1")
    with pytest.raises(payments.NothingOpen, match="cancelada"):
        pay(world, cancelled, amount=100)
    with pytest.raises(ValidationFailed, match="maior que zero"):
        pay(world, new_invoice(world), amount=0)
    with pytest.raises(ValidationFailed, match="Forma de pagamento"):
        pay(world, new_invoice(world), amount=100, method="boleto")


def test_overpayment_change_becomes_tutor_credit(world):
    invoice_id = new_invoice(world, ("Banho", 5000))
    receipt = pay(world, invoice_id, amount=7000, method="dinheiro")
    assert receipt.allocated_cents == 5000 and receipt.change_cents == 2000
    assert receipt.tendered_cents == 7000 and receipt.credit_balance_cents == 2000
    assert view(world, invoice_id).status == "paga"
    assert balance(world) == 2000
    with read_session(world.engine) as s:
        [entry] = credit.entries(s, world.tutor_id)
        again = payments.receipt(s, receipt.batch)
    assert (entry.reason, entry.delta_cents, entry.batch) == ("overpayment", 2000, receipt.batch)
    assert again.change_cents == 2000 and again.allocated_cents == 5000
    assert again.method_label == "Dinheiro" and again.tutor_name == "Maria Silva"


def test_batch_payment_allocates_oldest_due_first(world):
    newer = new_invoice(world, ("Banho", 5000), due=TODAY + timedelta(days=10))
    older = new_invoice(world, ("Tosa", 4000), due=TODAY + timedelta(days=2))
    oldest = new_invoice(world, ("Hidratação", 3000), due=TODAY + timedelta(days=1))
    receipt = pay(world, newer, older, oldest, amount=8000, expected_open_cents=12000)
    assert [(a.invoice_id, a.amount_cents) for a in receipt.allocations] == [
        (oldest, 3000), (older, 4000), (newer, 1000)]
    assert [view(world, i).status for i in (oldest, older, newer)] == ["paga", "paga", "parcial"]
    with read_session(world.engine) as s:
        rows = s.execute(select(Payment).where(Payment.batch == receipt.batch)).scalars().all()
    assert len(rows) == 3 and sum(p.amount_cents for p in rows) == 8000


def test_batch_of_two_tutors_and_stale_open_amount_are_refused(world):
    other_tutor = world.add_tutor(name="João Souza")
    mine, theirs = new_invoice(world), new_invoice(world, tutor_id=other_tutor)
    with pytest.raises(ValidationFailed, match="mesmo tutor"):
        pay(world, mine, theirs, amount=10000)
    with pytest.raises(payments.OpenAmountChanged, match="R\\$ 50,00"):
        pay(world, mine, amount=5000, expected_open_cents=4000)


def test_paying_with_credit_up_to_the_balance(world):
    _add_credit(world, 3000)
    invoice_id = new_invoice(world, ("Banho", 5000))
    with pytest.raises(credit.InsufficientCredit, match="R\\$ 30,00 de crédito"):
        pay(world, invoice_id, amount=4000, method="credito_tutor")
    assert balance(world) == 3000 and view(world, invoice_id).totals.paid_cents == 0
    with pytest.raises(ValidationFailed, match="no máximo o valor em aberto"):
        pay(world, invoice_id, amount=6000, method="credito_tutor")
    pay(world, invoice_id, amount=3000, method="credito_tutor")
    assert balance(world) == 0
    assert view(world, invoice_id).totals.open_cents == 2000


def test_manual_credit_needs_a_reason(world):
    with write_session(world.engine) as s, pytest.raises(ValidationFailed, match="motivo"):
        credit.add_balance(s, tutor_id=world.tutor_id, amount_cents=100, reason_text=" ",
                           now=NOW, actor="staff:1")


def test_voucher_sale_credits_and_cancel_takes_it_back(world):
    voucher = new_invoice(world, ItemSpec("Voucher R$ 100", 10000, kind="voucher"),
                          kind=InvoiceKind.VOUCHER)
    with pytest.raises(ValidationFailed, match="voucher não pode ser pago com crédito"):
        pay(world, voucher, amount=100, method="credito_tutor")
    pay(world, voucher, amount=4000)
    assert balance(world) == 0  # credited only once fully paid
    pay(world, voucher, amount=6000)
    assert balance(world) == 10000
    spent = new_invoice(world, ("Banho", 5000))
    pay(world, spent, amount=5000, method="credito_tutor")
    with write_session(world.engine) as s, pytest.raises(credit.InsufficientCredit,
                                                         match="já foi usado"):
        invoices.cancel_invoice(s, voucher, now=NOW, actor="staff:1")
    _add_credit(world, 5000)
    with write_session(world.engine) as s:
        invoices.cancel_invoice(s, voucher, now=NOW, actor="staff:1")
    assert balance(world) == 0
    with read_session(world.engine) as s:
        reasons = [e.reason for e in credit.entries(s, world.tutor_id)]
    assert reasons == ["voucher", "invoice_payment", "manual", "reversal"]


# --------------------------------------------------------------------------- properties

PROPERTY = settings(
    max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
METHODS = ["pix", "dinheiro", "cartao_credito", "cartao_debito", "credito_tutor"]


@PROPERTY
@given(
    prices=st.lists(st.integers(0, 20_000), min_size=1, max_size=3),
    steps=st.lists(
        st.tuples(st.sets(st.integers(0, 2), min_size=1), st.sampled_from(METHODS),
                  st.integers(1, 30_000)),
        min_size=1, max_size=6,
    ),
    top_up=st.integers(0, 20_000),
)
def test_payments_keep_the_books_straight(world, prices, steps, top_up):
    """Any sequence of payments (any method, any amount, any subset of invoices): no open
    amount goes negative, each payment's allocations plus its change equal what was paid, and
    the tutor's balance is the ledger's sum and never negative."""
    tutor = world.add_tutor(name="Tutor Propriedade")
    ids = [new_invoice(world, ("Serviço", p), tutor_id=tutor) for p in prices]
    if top_up:
        with write_session(world.engine) as s:
            credit.add_balance(s, tutor_id=tutor, amount_cents=top_up, reason_text="teste",
                               now=NOW, actor="t")
    for which, method, amount in steps:
        chosen = [ids[i % len(ids)] for i in which]
        try:
            receipt = pay(world, *chosen, amount=amount, method=method)
        except CoreError:
            continue  # refused (nothing open, beyond the credit...): nothing may have changed
        assert receipt.allocated_cents + receipt.change_cents == amount
        assert all(a.amount_cents > 0 for a in receipt.allocations)
        if method == "credito_tutor":
            assert receipt.change_cents == 0
    with read_session(world.engine) as s:
        for invoice_id in ids:
            amounts = invoices.totals(s, invoices.get_invoice(s, invoice_id))
            assert 0 <= amounts.paid_cents <= amounts.total_cents
        ledger = s.execute(select(func.coalesce(func.sum(CreditEntry.delta_cents), 0)).where(
            CreditEntry.tutor_id == tutor)).scalar_one()
        assert credit.balance(s, tutor) == ledger >= 0


# --------------------------------------------------------------------------- concurrency


def test_two_staff_paying_the_same_invoice_at_once_never_overpay_it(world):
    invoice_id = new_invoice(world, ("Banho", 5000), ("Tosa", 4000))
    barrier = threading.Barrier(2)
    outcomes: list[object] = []
    lock = threading.Lock()

    def staff(actor: str) -> None:
        barrier.wait()
        try:
            receipt = transaction(
                world.engine,
                lambda s: payments.pay(s, invoice_ids=[invoice_id], method="pix",
                                       amount_cents=9000, now=NOW, actor=actor,
                                       expected_open_cents=9000),
            )
            result: object = receipt
        except CoreError as exc:
            result = exc
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=staff, args=(f"staff:{n}",)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    receipts = [o for o in outcomes if isinstance(o, payments.Receipt)]
    refusals = [o for o in outcomes if isinstance(o, CoreError)]
    assert len(receipts) == 1 and len(refusals) == 1, outcomes
    assert refusals[0].code in ("invoice_not_payable", "open_amount_changed")
    v = view(world, invoice_id)
    assert (v.status, v.totals.paid_cents) == ("paga", 9000)
    assert balance(world) == 0


def test_two_staff_spending_the_same_credit_at_once(world):
    _add_credit(world, 5000)
    a, b = new_invoice(world, ("Banho", 5000)), new_invoice(world, ("Tosa", 5000))
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def staff(invoice_id: int) -> None:
        barrier.wait()
        try:
            outcomes.append(transaction(
                world.engine,
                lambda s: payments.pay(s, invoice_ids=[invoice_id], method="credito_tutor",
                                       amount_cents=5000, now=NOW, actor="staff:1"),
            ))
        except CoreError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=staff, args=(i,)) for i in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(type(o).__name__ for o in outcomes) == ["InsufficientCredit", "Receipt"]
    assert balance(world) == 0
    assert sorted(view(world, i).status for i in (a, b)) == ["paga", "pendente"]


def test_change_of_due_date_on_cancelled_invoice_is_refused(world):
    invoice_id = new_invoice(world)
    with write_session(world.engine) as s:
        invoices.cancel_invoice(s, invoice_id, now=NOW, actor="staff:1")
    with write_session(world.engine) as s, pytest.raises(InvalidTransition, match="cancelada"):
        invoices.change_due_date(s, invoice_id, TODAY, now=NOW, actor="staff:1")
