"""Paying invoices with the plan's record (spec/backoffice.md §2.7, §4 W5): the one call the
panel, the API and the bot use to pay, so a payment of a plan-cycle invoice always writes
"Registros do plano" (``invoice_payment``). Billing cannot import plans (plans depends on it),
so the record is written here, from the receipt's allocations, in the same unit of work."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from scheduler_core.billing import payments
from scheduler_core.billing.labels import INVOICE_STATUS_LABELS
from scheduler_core.billing.models import BillingCycle, InvoiceKind
from scheduler_core.kernel.money import format_brl
from scheduler_core.plans.service import _log


def record_payment(session: Session, receipt: payments.Receipt, *, now: datetime,
                   actor: str) -> list[int]:
    """Write ``invoice_payment`` on the plans whose cycle invoices ``receipt`` paid; returns
    the plan ids."""
    plan_ids = []
    for alloc in receipt.allocations:
        if alloc.kind != InvoiceKind.PLANO:
            continue
        cycle = session.execute(
            select(BillingCycle).where(BillingCycle.invoice_id == alloc.invoice_id)
        ).scalars().first()
        if cycle is None:
            continue
        status = INVOICE_STATUS_LABELS.get(alloc.status_after, alloc.status_after).lower()
        _log(session, cycle.pet_plan_id, "invoice_payment", now=now, actor=actor,
             invoice_id=alloc.invoice_id,
             note=f"Fatura {alloc.label} do ciclo {cycle.seq}: {format_brl(alloc.amount_cents)} "
                  f"em {receipt.method_label} ({status}).")
        plan_ids.append(cycle.pet_plan_id)
    session.flush()
    return plan_ids


def pay(
    session: Session, *, invoice_ids: Iterable[int], method: str, amount_cents: int,
    now: datetime, actor: str, expected_open_cents: int | None = None,
) -> payments.Receipt:
    """:func:`scheduler_core.billing.payments.pay` plus the plan records."""
    receipt = payments.pay(
        session, invoice_ids=invoice_ids, method=method, amount_cents=amount_cents, now=now,
        actor=actor, expected_open_cents=expected_open_cents,
    )
    record_payment(session, receipt, now=now, actor=actor)
    return receipt
