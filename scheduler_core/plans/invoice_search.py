"""The "Cobranças" list: the shop's invoices by status, due date range, kind, tutor and
"vencidas", with their totals (spec/backoffice.md §4 W10).

Lives beside the plans read side because billing's modules are another helper's; it reads
billing only (it may move to ``scheduler_core/billing/`` as is).

Decisions: "vencidas" = status ``vencida`` or still open (pendente, parcial) with a due date
before ``today`` (the job may not have run yet); dates are shop dates; at most ``limit``
invoices, the oldest due first (no due date last), then by number. Totals are over the listed
invoices; cancelled and "sem cobrança" ones count for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlmodel import Session

from scheduler_core.billing.invoices import InvoiceView, invoice_view
from scheduler_core.billing.models import Invoice, InvoiceKind, InvoiceStatus
from scheduler_core.people.models import Tutor

OPEN = (InvoiceStatus.PENDENTE, InvoiceStatus.PARCIAL, InvoiceStatus.VENCIDA)


@dataclass(frozen=True)
class InvoiceFilter:
    status: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    kind: str | None = None
    tutor_id: int | None = None
    tutor_name: str = ""
    overdue: bool = False


@dataclass(frozen=True)
class InvoiceList:
    invoices: tuple[InvoiceView, ...]
    total_cents: int
    paid_cents: int
    open_cents: int


def search_invoices(session: Session, shop_id: int, filters: InvoiceFilter, *, today: date,
                    limit: int = 300) -> InvoiceList:
    """The shop's invoices matching ``filters`` (module docstring)."""
    query = select(Invoice.id).where(Invoice.shop_id == shop_id)
    if filters.status in {s.value for s in InvoiceStatus}:
        query = query.where(Invoice.status == filters.status)
    if filters.kind in {k.value for k in InvoiceKind}:
        query = query.where(Invoice.kind == filters.kind)
    if filters.due_from is not None:
        query = query.where(Invoice.due_date >= filters.due_from)
    if filters.due_to is not None:
        query = query.where(Invoice.due_date <= filters.due_to)
    if filters.tutor_id is not None:
        query = query.where(Invoice.tutor_id == filters.tutor_id)
    if filters.tutor_name.strip():
        like = f"%{filters.tutor_name.strip()[:80]}%"
        query = query.join(Tutor, Tutor.id == Invoice.tutor_id).where(Tutor.name.ilike(like))
    if filters.overdue:
        query = query.where(or_(
            Invoice.status == InvoiceStatus.VENCIDA,
            Invoice.status.in_(OPEN) & (Invoice.due_date < today),
        ))
    query = query.order_by(Invoice.due_date.is_(None), Invoice.due_date, Invoice.number)
    ids = list(session.execute(query.limit(limit)).scalars())
    views = tuple(invoice_view(session, i) for i in ids)
    counted = [v for v in views
               if v.status not in (InvoiceStatus.CANCELADA, InvoiceStatus.SEM_COBRANCA)]
    return InvoiceList(
        invoices=views,
        total_cents=sum(v.totals.total_cents for v in counted),
        paid_cents=sum(v.totals.paid_cents for v in counted),
        open_cents=sum(v.totals.open_cents for v in counted),
    )
