"""Reading invoices: the one filtered list with its totals (the panel's Cobranças and
``GET /api/invoices``) and a tutor's statement (the
bot's "quanto devo?" / "minhas faturas" / "meu saldo", spec/chatbot.md (CREDITO_TUTOR)).

The statement lists the tutor's open invoices (pendente, parcial, vencida), oldest due first,
each with its open amount and the token of its public signed link
(:mod:`scheduler_core.billing.links`; the caller turns it into a URL), and the tutor's credit
balance (:func:`scheduler_core.billing.credit.balance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, or_, select
from sqlmodel import Session

from scheduler_core.billing import credit, links
from scheduler_core.billing.invoices import OPEN_STATUSES, InvoiceView, invoice_view
from scheduler_core.billing.models import Invoice, InvoiceKind, InvoiceStatus
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.people.models import Tutor

MAX_ROWS = 500


@dataclass(frozen=True)
class InvoiceFilter:
    """What the Cobranças list and ``GET /api/invoices`` filter by. ``status="aberta"`` means
    every open status; ``overdue`` ("vencidas") is status ``vencida`` or still open with a due
    date before ``today`` (the job may not have run yet)."""

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


def _check_filter(filters: InvoiceFilter) -> None:
    status, kind = filters.status, filters.kind
    if status is not None and status != "aberta" and status not in set(InvoiceStatus):
        raise ValidationFailed("Status de fatura inválido.", details={"field": "status"})
    if kind is not None and kind not in set(InvoiceKind):
        raise ValidationFailed("Tipo de fatura inválido.", details={"field": "kind"})
    if (filters.due_from is not None and filters.due_to is not None
            and filters.due_to < filters.due_from):
        raise ValidationFailed("O fim do período de vencimento é antes do início.",
                               details={"field": "due_to"})


def _filtered(stmt: Select, filters: InvoiceFilter, today: date) -> Select:
    if filters.status == "aberta":
        stmt = stmt.where(Invoice.status.in_(sorted(OPEN_STATUSES)))
    elif filters.status is not None:
        stmt = stmt.where(Invoice.status == filters.status)
    for column, value in ((Invoice.kind, filters.kind), (Invoice.tutor_id, filters.tutor_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.due_from is not None:
        stmt = stmt.where(Invoice.due_date >= filters.due_from)
    if filters.due_to is not None:
        stmt = stmt.where(Invoice.due_date <= filters.due_to)
    if filters.tutor_name.strip():
        like = f"%{filters.tutor_name.strip()[:80]}%"
        stmt = stmt.join(Tutor, Tutor.id == Invoice.tutor_id).where(Tutor.name.ilike(like))
    if filters.overdue:
        stmt = stmt.where(or_(
            Invoice.status == InvoiceStatus.VENCIDA,
            Invoice.status.in_(sorted(OPEN_STATUSES)) & (Invoice.due_date < today),
        ))
    return stmt


def search_invoices(
    session: Session, shop_id: int, filters: InvoiceFilter, *, today: date, limit: int = 300
) -> InvoiceList:
    """The shop's invoices matching ``filters`` with their totals: the oldest due first (no due
    date last, on every database), then by number; at most ``limit`` (≤ 500). Totals are over
    the listed invoices; cancelled and "sem cobrança" ones count for nothing."""
    _check_filter(filters)
    stmt = _filtered(select(Invoice.id).where(Invoice.shop_id == shop_id), filters, today)
    stmt = stmt.order_by(Invoice.due_date.is_(None), Invoice.due_date, Invoice.number)
    ids = session.execute(stmt.limit(max(1, min(limit, MAX_ROWS)))).scalars()
    views = tuple(invoice_view(session, i) for i in ids)
    counted = [v for v in views
               if v.status not in (InvoiceStatus.CANCELADA, InvoiceStatus.SEM_COBRANCA)]
    return InvoiceList(
        invoices=views,
        total_cents=sum(v.totals.total_cents for v in counted),
        paid_cents=sum(v.totals.paid_cents for v in counted),
        open_cents=sum(v.totals.open_cents for v in counted),
    )


@dataclass(frozen=True)
class OpenInvoice:
    view: InvoiceView
    token: str  # of the public link /fatura/<token>


@dataclass(frozen=True)
class Statement:
    tutor_id: int
    open_invoices: tuple[OpenInvoice, ...]
    credit_cents: int

    @property
    def open_cents(self) -> int:
        return sum(o.view.totals.open_cents for o in self.open_invoices)


def tutor_statement(session: Session, tutor_id: int, *, secret: str) -> Statement:
    """The tutor's open invoices with their link tokens, and their credit."""
    ids = session.execute(
        select(Invoice.id).where(Invoice.tutor_id == tutor_id,
                                 Invoice.status.in_(sorted(OPEN_STATUSES)))
        .order_by(Invoice.due_date, Invoice.number)
    ).scalars().all()
    views = [invoice_view(session, i) for i in ids]
    return Statement(
        tutor_id=tutor_id,
        open_invoices=tuple(
            OpenInvoice(v, links.invoice_token(v.id, v.shop_id, secret))
            for v in views if v.totals.open_cents > 0
        ),
        credit_cents=credit.balance(session, tutor_id),
    )
