"""Reading invoices: the filtered list (Cobranças, the REST API) and a tutor's statement (the
bot's "quanto devo?" / "minhas faturas" / "meu saldo", spec/chatbot.md (CREDITO_TUTOR)).

The statement lists the tutor's open invoices (pendente, parcial, vencida), oldest due first,
each with its open amount and the token of its public signed link
(:mod:`scheduler_core.billing.links`; the caller turns it into a URL), and the tutor's credit
balance (:func:`scheduler_core.billing.credit.balance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from scheduler_core.billing import credit, links
from scheduler_core.billing.invoices import OPEN_STATUSES, InvoiceView, invoice_view
from scheduler_core.billing.models import Invoice, InvoiceKind, InvoiceStatus
from scheduler_core.kernel.errors import ValidationFailed

MAX_ROWS = 500


def list_invoices(
    session: Session,
    shop_id: int,
    *,
    status: str | None = None,
    kind: str | None = None,
    tutor_id: int | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    limit: int = 100,
) -> list[InvoiceView]:
    """The shop's invoices matching the filters, by due date then number (at most ``limit``,
    ≤ 500). ``status="aberta"`` means every open status (pendente, parcial, vencida)."""
    if status is not None and status != "aberta" and status not in set(InvoiceStatus):
        raise ValidationFailed("Status de fatura inválido.", details={"field": "status"})
    if kind is not None and kind not in set(InvoiceKind):
        raise ValidationFailed("Tipo de fatura inválido.", details={"field": "kind"})
    if due_from is not None and due_to is not None and due_to < due_from:
        raise ValidationFailed("O fim do período de vencimento é antes do início.",
                               details={"field": "due_to"})
    stmt = select(Invoice.id).where(Invoice.shop_id == shop_id)
    if status == "aberta":
        stmt = stmt.where(Invoice.status.in_(sorted(OPEN_STATUSES)))
    elif status is not None:
        stmt = stmt.where(Invoice.status == status)
    if kind is not None:
        stmt = stmt.where(Invoice.kind == kind)
    if tutor_id is not None:
        stmt = stmt.where(Invoice.tutor_id == tutor_id)
    if due_from is not None:
        stmt = stmt.where(Invoice.due_date >= due_from)
    if due_to is not None:
        stmt = stmt.where(Invoice.due_date <= due_to)
    stmt = stmt.order_by(Invoice.due_date, Invoice.number).limit(max(1, min(limit, MAX_ROWS)))
    return [invoice_view(session, i) for i in session.execute(stmt).scalars()]


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
