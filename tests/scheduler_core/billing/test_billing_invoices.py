"""Invoices (Cobranças): lines, discounts, totals, statuses, due date, items, cancellation, the
overdue job and the visit's invoice at finish. SQLite and PostgreSQL (db_engine)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from scheduler_core.audit.models import AuditLog
from scheduler_core.billing import invoices
from scheduler_core.billing.invoices import ItemSpec, split_discount
from scheduler_core.billing.models import Invoice, InvoiceKind
from scheduler_core.db.engine import read_session, write_session
from scheduler_core.kernel.errors import InvalidTransition, NotFound, ValidationFailed
from scheduler_core.scheduling import visit_status
from tests.scheduler_core.billing.billing_helpers import balance, new_invoice, pay, view
from tests.scheduler_core.booking_helpers import MONDAY, book_at
from tests.scheduler_core.factories import NOW, build_shop

TODAY = NOW.date()


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


# --------------------------------------------------------------------------- discount split


def test_split_discount_largest_remainder_example():
    # 1000 over 3 equal lines: 333.33 each → the first line takes the extra centavo.
    assert split_discount(1000, [5000, 5000, 5000]) == [334, 333, 333]
    # 10 over 50/30/20 (exact); 2 over 1/1/1 (equal remainders: the earlier lines win).
    assert split_discount(10, [50, 30, 20]) == [5, 3, 2]
    assert split_discount(2, [1, 1, 1, 0]) == [1, 1, 0, 0]
    # Largest remainder, not first: 5 over 3/3/4 → 1.5/1.5/2.0 → [2, 1, 2].
    assert split_discount(5, [3, 3, 4]) == [2, 1, 2]
    with pytest.raises(ValueError):
        split_discount(11, [5, 5])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 100_000), min_size=1, max_size=8), st.data())
def test_split_discount_adds_up_and_never_exceeds_a_line(weights, data):
    discount = data.draw(st.integers(0, sum(weights)))
    shares = split_discount(discount, weights)
    assert sum(shares) == discount
    assert all(0 <= s <= w for s, w in zip(shares, weights, strict=True))
    total = sum(weights)
    if total:  # each share is within one centavo of its exact proportion
        assert all(abs(s * total - discount * w) < total for s, w in zip(shares, weights,
                                                                          strict=True))


# --------------------------------------------------------------------------- create and totals


def test_invoice_with_quantities_line_and_invoice_discounts(world):
    invoice_id = new_invoice(
        world,
        ItemSpec("Banho", 5000, quantity=2, discount_cents=1000),  # 9000 net
        ItemSpec("Tosa", 4000),
        ItemSpec("Shampoo", 3000, kind="produto"),  # never discounted
        discount=1300,
    )
    v = view(world, invoice_id)
    assert v.number == 1 and v.label == "#00001" and v.status == "pendente"
    assert v.totals.gross_cents == 10000 + 4000 + 3000
    # 1300 over 9000/4000 (products excluded): 900 + 400.
    assert [ln.share_cents for ln in v.lines] == [900, 400, 0]
    assert [ln.total_cents for ln in v.lines] == [8100, 3600, 3000]
    assert v.totals.total_cents == 14700 and v.totals.open_cents == 14700
    assert v.open_label == "R$ 147,00"
    assert v.due_date == TODAY
    second = new_invoice(world)
    assert view(world, second).number == 2


def test_invoice_refusals_are_pt_br(world):
    with pytest.raises(ValidationFailed, match="desconto da fatura não pode ser maior"):
        new_invoice(world, ("Banho", 5000), discount=5001)
    with pytest.raises(ValidationFailed, match="não aceita desconto"):
        new_invoice(world, ItemSpec("Ração", 9000, kind="produto", discount_cents=100))
    with pytest.raises(ValidationFailed, match="quantidade"):
        new_invoice(world, ItemSpec("Banho", 5000, quantity=0))
    with pytest.raises(ValidationFailed, match="só tem itens de voucher"):
        new_invoice(world, ("Banho", 5000), kind=InvoiceKind.VOUCHER)
    with pytest.raises(NotFound, match="Tutor"):
        new_invoice(world, tutor_id=999_999)


def test_zero_invoice_is_sem_cobranca(world):
    invoice_id = new_invoice(world, ItemSpec("Banho (plano)", 0, in_plan=True))
    assert view(world, invoice_id).status == "sem_cobranca"
    assert view(world, invoice_id).open_label == "-"


# --------------------------------------------------------------------------- edits


def test_add_and_remove_items_recompute_totals_and_audit(world):
    invoice_id = new_invoice(world, ("Banho", 5000))
    with write_session(world.engine) as s:
        item = invoices.add_item(s, invoice_id, ItemSpec("Hidratação", 2500), now=NOW,
                                 actor="staff:2")
        item_id = item.id
    assert view(world, invoice_id).totals.total_cents == 7500
    with write_session(world.engine) as s:
        amounts = invoices.remove_item(s, invoice_id, item_id, now=NOW, actor="staff:2")
    assert amounts.total_cents == 5000
    assert view(world, invoice_id).totals.total_cents == 5000
    with read_session(world.engine) as s:
        actions = [a for (a,) in s.execute(
            select(AuditLog.action).where(AuditLog.entity == "invoice",
                                          AuditLog.entity_id == invoice_id)
            .order_by(AuditLog.id)).all()]
    assert actions == ["invoice.create", "invoice.item_add", "invoice.item_remove"]


def test_paid_invoice_is_never_edited(world):
    invoice_id = new_invoice(world, ("Banho", 5000), ("Tosa", 4000))
    pay(world, invoice_id, amount=9000)
    item_id = view(world, invoice_id).lines[0].id
    with write_session(world.engine) as s:
        with pytest.raises(InvalidTransition, match="já está paga"):
            invoices.add_item(s, invoice_id, ItemSpec("Extra", 100), now=NOW, actor="staff:1")
        with pytest.raises(InvalidTransition, match="já está paga"):
            invoices.remove_item(s, invoice_id, item_id, now=NOW, actor="staff:1")
        with pytest.raises(InvalidTransition, match="já está paga"):
            invoices.change_due_date(s, invoice_id, TODAY, now=NOW, actor="staff:1")
    assert view(world, invoice_id).totals.total_cents == 9000


def test_removing_an_item_below_what_was_paid_is_refused(world):
    invoice_id = new_invoice(world, ("Banho", 5000), ("Tosa", 4000))
    pay(world, invoice_id, amount=6000)
    tosa = view(world, invoice_id).lines[1].id
    with write_session(world.engine) as s, pytest.raises(ValidationFailed, match="Estorne"):
        invoices.remove_item(s, invoice_id, tosa, now=NOW, actor="staff:1")
    assert view(world, invoice_id).totals.open_cents == 3000


def test_adding_an_item_to_a_partial_invoice_reopens_the_rest(world):
    invoice_id = new_invoice(world, ("Banho", 5000))
    pay(world, invoice_id, amount=2000)
    assert view(world, invoice_id).status == "parcial"
    with write_session(world.engine) as s:
        invoices.add_item(s, invoice_id, ItemSpec("Tosa", 4000), now=NOW, actor="staff:1")
    v = view(world, invoice_id)
    assert (v.status, v.totals.open_cents) == ("parcial", 7000)


# --------------------------------------------------------------------------- due date, overdue


def test_overdue_job_and_due_date_change(world):
    tomorrow, later = TODAY + timedelta(days=1), TODAY + timedelta(days=2)
    late = new_invoice(world, due=TODAY)
    late_partial = new_invoice(world, due=TODAY)
    pay(world, late_partial, amount=1000)
    future = new_invoice(world, due=tomorrow)
    paid = new_invoice(world, due=TODAY)
    pay(world, paid, amount=5000)
    assert view(world, late).status == "pendente"  # due today: not overdue yet
    # The day rolls over: the job runs with the shop's new date.
    with write_session(world.engine) as s:
        changed = invoices.mark_overdue(s, tomorrow, now=NOW + timedelta(days=1))
    assert sorted(changed) == sorted([late, late_partial])
    assert [view(world, i).status for i in (late, late_partial, future, paid)] == [
        "vencida", "vencida", "pendente", "paga"]
    with write_session(world.engine) as s:
        assert invoices.mark_overdue(s, tomorrow) == []  # idempotent
    # Moving the due date reopens it; the partial payment still shows.
    day2 = NOW + timedelta(days=1)
    with write_session(world.engine) as s:
        invoices.change_due_date(s, late_partial, later, now=day2, actor="staff:1")
        invoices.change_due_date(s, late, later, now=day2, actor="staff:1")
    assert view(world, late_partial).status == "parcial"
    assert view(world, late).status == "pendente"
    # A due date in the past is overdue at once; paying part of it leaves it overdue.
    with write_session(world.engine) as s:
        invoices.change_due_date(s, late, TODAY, now=day2, actor="staff:1")
    assert view(world, late).status == "vencida"
    pay(world, late, amount=100, now=day2)
    assert view(world, late).status == "vencida"
    pay(world, late, amount=4900, now=day2)
    assert view(world, late).status == "paga"


# --------------------------------------------------------------------------- cancel


def test_cancel_unpaid_then_twice(world):
    invoice_id = new_invoice(world)
    with write_session(world.engine) as s:
        invoices.cancel_invoice(s, invoice_id, now=NOW, actor="staff:1", reason="duplicada")
    v = view(world, invoice_id)
    assert v.status == "cancelada" and v.open_label == "-"
    with write_session(world.engine) as s, pytest.raises(InvalidTransition, match="já está"):
        invoices.cancel_invoice(s, invoice_id, now=NOW, actor="staff:1")


def test_cancel_with_payments_needs_credit_conversion(world):
    invoice_id = new_invoice(world, ("Banho", 5000))
    pay(world, invoice_id, amount=2000)
    with write_session(world.engine) as s, pytest.raises(InvalidTransition, match="crédito"):
        invoices.cancel_invoice(s, invoice_id, now=NOW, actor="staff:1")
    with write_session(world.engine) as s:
        invoices.cancel_invoice(s, invoice_id, now=NOW, actor="staff:1", paid_to_credit=True)
    assert view(world, invoice_id).status == "cancelada"
    assert balance(world) == 2000


# --------------------------------------------------------------------------- visit invoice


def _finish(world, appointment_id, status="finalizado"):
    visit_status.set_status(world.engine, appointment_id=appointment_id, status=status,
                            now=NOW, actor="staff:1")


def test_visit_invoice_at_finish_idempotent(world):
    appt = book_at(world, "10:00", services=("banho", "tosa"))
    with write_session(world.engine) as s, pytest.raises(InvalidTransition, match="finalizado"):
        invoices.invoice_for_visit(s, appt.id, NOW)
    _finish(world, appt.id)
    with write_session(world.engine) as s:
        first = invoices.invoice_for_visit(s, appt.id, NOW).id
    with write_session(world.engine) as s:
        again = invoices.invoice_for_visit(s, appt.id, NOW).id
    assert first == again
    v = view(world, first)
    assert v.kind == "agendamento" and v.appointment_id == appt.id
    assert [(ln.name, ln.total_cents) for ln in v.lines] == [("Banho", 5000), ("Tosa", 4000)]
    assert v.totals.total_cents == appt.total_cents == 9000
    assert v.due_date == MONDAY
    with read_session(world.engine) as s:
        count = len(s.execute(select(Invoice.id).where(Invoice.appointment_id == appt.id)).all())
    assert count == 1
