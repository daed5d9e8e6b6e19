"""Payments of invoices (spec/backoffice.md §2.8, §3.5, §3.7; issue 11 "Invoices").

One call of :func:`pay` is one payment the tutor makes (one receipt, one ``batch``): an amount
in one method (pix, dinheiro, cartao_credito, cartao_debito, credito_tutor) for one invoice or
several. It is allocated to the chosen invoices oldest due date first (then by number), each
getting at most its open amount, as one :class:`Payment` row per invoice; so payments never make
an open amount negative and the allocations add up to the amount paid, less the change:

- **Partial payment**: less than the open amount; the invoice becomes ``parcial`` (or stays
  ``vencida``) and shows the rest as open.
- **Overpayment**: what is left after every chosen invoice is paid is the change; it becomes
  tutor credit (ledger ``overpayment``, same batch), never lost. Paying with tutor credit cannot
  overpay (refused), nor exceed the credit balance (refused, pt-BR).
- An invoice with nothing open (paga, cancelada, sem cobrança) cannot be paid: two staff paying
  the same invoice at once — the second one sees it paid and is refused. ``expected_open_cents``
  (what the screen showed) refuses a payment when the open amount changed meanwhile.
- A voucher invoice, once paid, credits the tutor with its value (``voucher``); it cannot be paid
  with tutor credit.

Runs inside the caller's write unit of work: the invoices are locked ``FOR UPDATE`` in id order
on PostgreSQL (SQLite: the unit of work holds the write lock), so concurrent payments are
serialised. :func:`receipt` rebuilds the receipt of a batch.

Not here yet: reversing a payment (estorno), and the plan's record ("Registros do plano",
``INVOICE_PAYMENT``) for plan invoices — :mod:`scheduler_core.plans` depends on billing, not the
reverse; the caller (or plans) logs it from :attr:`Receipt.allocations`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlmodel import Session

from scheduler_core.audit.log import record
from scheduler_core.billing import credit
from scheduler_core.billing.invoices import (
    get_invoice,
    lock_invoices,
    number_label,
    refresh_status,
    require_now,
    totals,
)
from scheduler_core.billing.models import (
    CreditEntry,
    CreditReason,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentMethod,
)
from scheduler_core.kernel.errors import CoreError, NotFound, ValidationFailed
from scheduler_core.kernel.money import format_brl
from scheduler_core.people.models import Tutor
from scheduler_core.shop.labels import PAYMENT_METHOD_LABELS
from scheduler_core.shop.models import Shop


class OpenAmountChanged(CoreError):
    code = "open_amount_changed"
    http_status = 409
    default_message = (
        "O valor em aberto mudou desde que a fatura foi aberta. Confira e tente de novo."
    )


class NothingOpen(CoreError):
    code = "invoice_not_payable"
    http_status = 409
    default_message = "Esta fatura não tem valor em aberto."


@dataclass(frozen=True)
class Allocation:
    invoice_id: int
    number: int
    kind: str
    amount_cents: int
    open_after_cents: int
    status_after: str

    @property
    def label(self) -> str:
        return number_label(self.number)


@dataclass(frozen=True)
class Receipt:
    """What the receipt ("comprovante") shows."""

    batch: str
    shop_id: int
    shop_name: str
    tutor_id: int
    tutor_name: str
    method: str
    at: datetime
    actor: str
    allocations: tuple[Allocation, ...]
    change_cents: int  # credited to the tutor
    credit_balance_cents: int  # the tutor's credit now

    @property
    def allocated_cents(self) -> int:
        return sum(a.amount_cents for a in self.allocations)

    @property
    def tendered_cents(self) -> int:
        """What the tutor handed over: the allocations plus the change."""
        return self.allocated_cents + self.change_cents

    @property
    def method_label(self) -> str:
        return PAYMENT_METHOD_LABELS.get(self.method, self.method)


def _order_key(invoice: Invoice) -> tuple[date, int, int]:
    return (invoice.due_date or date.max, invoice.number, invoice.id)


def _check_request(method: str, amount_cents: int, invoice_ids: Iterable[int]) -> list[int]:
    """The invoice ids of a well-formed payment request."""
    if method not in set(PaymentMethod):
        raise ValidationFailed("Forma de pagamento inválida.", details={"field": "method"})
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValidationFailed(
            "Informe um valor maior que zero.", details={"field": "amount_cents"}
        )
    ids = list(dict.fromkeys(int(i) for i in invoice_ids))
    if not ids:
        raise ValidationFailed("Escolha pelo menos uma fatura.", details={"field": "invoice_ids"})
    return ids


def _open_amounts(session: Session, invoices: list[Invoice], ids: list[int]) -> dict[int, int]:
    """Invoice id → open amount; every invoice of one tutor and open."""
    tutors = {i.tutor_id for i in invoices}
    shops = {i.shop_id for i in invoices}
    if len(tutors) > 1 or len(shops) > 1:
        raise ValidationFailed(
            "Só dá para pagar juntas faturas do mesmo tutor.", details={"invoice_ids": ids}
        )
    opens: dict[int, int] = {}
    for invoice in invoices:
        amounts = totals(session, invoice)
        if invoice.status == InvoiceStatus.CANCELADA:
            raise NothingOpen(
                f"A fatura {number_label(invoice.number)} está cancelada.",
                details={"invoice_id": invoice.id},
            )
        if amounts.open_cents == 0:
            raise NothingOpen(
                f"A fatura {number_label(invoice.number)} não tem valor em aberto "
                f"({'já está paga' if invoice.status == InvoiceStatus.PAGA else 'sem cobrança'}).",
                details={"invoice_id": invoice.id, "status": invoice.status},
            )
        opens[invoice.id] = amounts.open_cents
    return opens


def _check_amount(invoices: list[Invoice], method: str, amount_cents: int, open_total: int,
                  expected_open_cents: int | None) -> None:
    """The open amount is what the screen showed; credit pays at most what is open."""
    if expected_open_cents is not None and expected_open_cents != open_total:
        raise OpenAmountChanged(
            f"O valor em aberto agora é {format_brl(open_total)} "
            f"(a tela mostrava {format_brl(expected_open_cents)}). Confira e tente de novo.",
            details={"open_cents": open_total, "expected_open_cents": expected_open_cents},
        )
    if method == PaymentMethod.CREDITO_TUTOR:
        if any(i.kind == InvoiceKind.VOUCHER for i in invoices):
            raise ValidationFailed(
                "Um voucher não pode ser pago com crédito do tutor.", details={"field": "method"}
            )
        if amount_cents > open_total:
            raise ValidationFailed(
                f"Com crédito do tutor, pague no máximo o valor em aberto "
                f"({format_brl(open_total)}).",
                details={"field": "amount_cents", "open_cents": open_total},
            )


def pay(
    session: Session,
    *,
    invoice_ids: Iterable[int],
    method: str,
    amount_cents: int,
    now: datetime,
    actor: str,
    expected_open_cents: int | None = None,
) -> Receipt:
    """Pay ``amount_cents`` with ``method`` over ``invoice_ids`` (module docstring)."""
    require_now(now)
    ids = _check_request(method, amount_cents, invoice_ids)
    invoices = lock_invoices(session, ids)
    opens = _open_amounts(session, invoices, ids)
    open_total = sum(opens.values())
    _check_amount(invoices, method, amount_cents, open_total, expected_open_cents)
    tutor_id = invoices[0].tutor_id
    batch = secrets.token_hex(8)
    at = now.astimezone(UTC)
    left = amount_cents
    allocations: list[Allocation] = []
    for invoice in sorted(invoices, key=_order_key):
        part = min(left, opens[invoice.id])
        if part == 0:
            break
        left -= part
        if method == PaymentMethod.CREDITO_TUTOR:
            credit.spend(
                session, tutor_id=tutor_id, amount_cents=part, invoice_id=invoice.id, now=now,
                actor=actor, batch=batch,
                reason_text=f"Pagamento da fatura {number_label(invoice.number)}.",
            )
        session.add(
            Payment(invoice_id=invoice.id, method=method, amount_cents=part, at=at,
                    actor=actor, batch=batch)
        )
        session.flush()
        after = refresh_status(session, invoice, now)
        if invoice.kind == InvoiceKind.VOUCHER and invoice.status == InvoiceStatus.PAGA:
            credit.voucher_sold(
                session, tutor_id=tutor_id, invoice_id=invoice.id,
                amount_cents=after.total_cents, now=now, actor=actor, batch=batch,
            )
        record(
            session, actor=actor, action="invoice.pay", entity="invoice", entity_id=invoice.id,
            shop_id=invoice.shop_id, at=now,
            details={"number": invoice.number, "method": method, "amount_cents": part,
                     "open_after_cents": after.open_cents, "status": invoice.status,
                     "batch": batch},
        )
        allocations.append(
            Allocation(invoice.id, invoice.number, invoice.kind, part, after.open_cents,
                       invoice.status)
        )
    if left > 0:
        credit.add_entry(
            session, tutor_id=tutor_id, delta_cents=left, reason=CreditReason.OVERPAYMENT,
            reason_text="Troco do pagamento "
            + ", ".join(a.label for a in allocations) + " como crédito.",
            invoice_id=allocations[-1].invoice_id, now=now, actor=actor, batch=batch,
        )
    session.flush()
    return _receipt(session, batch, tutor_id, invoices[0].shop_id, method, at, actor,
                    tuple(allocations), left)


def pay_invoice(
    session: Session, invoice_id: int, *, method: str, amount_cents: int, now: datetime,
    actor: str, expected_open_cents: int | None = None,
) -> Receipt:
    """:func:`pay` for one invoice."""
    return pay(
        session, invoice_ids=[invoice_id], method=method, amount_cents=amount_cents, now=now,
        actor=actor, expected_open_cents=expected_open_cents,
    )


def _receipt(
    session: Session, batch: str, tutor_id: int, shop_id: int, method: str, at: datetime,
    actor: str, allocations: tuple[Allocation, ...], change: int,
) -> Receipt:
    tutor = session.get(Tutor, tutor_id)
    shop = session.get(Shop, shop_id)
    return Receipt(
        batch=batch,
        shop_id=shop_id,
        shop_name=shop.name if shop else "",
        tutor_id=tutor_id,
        tutor_name=tutor.name if tutor else "",
        method=method,
        at=at,
        actor=actor,
        allocations=allocations,
        change_cents=change,
        credit_balance_cents=credit.balance(session, tutor_id),
    )


def receipt(session: Session, batch: str) -> Receipt:
    """The receipt of a payment batch, rebuilt from its rows (NotFound if unknown)."""
    rows = (
        list(
            session.execute(
                select(Payment).where(Payment.batch == batch).order_by(Payment.id)
            ).scalars()
        )
        if batch
        else []
    )
    if not rows:
        raise NotFound("Pagamento não encontrado.", details={"batch": batch})
    allocations = []
    tutor_id = shop_id = 0
    for p in rows:
        invoice = get_invoice(session, p.invoice_id)
        amounts = totals(session, invoice)
        tutor_id, shop_id = invoice.tutor_id, invoice.shop_id
        allocations.append(
            Allocation(invoice.id, invoice.number, invoice.kind, p.amount_cents,
                       amounts.open_cents, invoice.status)
        )
    change = sum(
        e.delta_cents
        for e in session.execute(
            select(CreditEntry).where(
                CreditEntry.batch == batch, CreditEntry.reason == CreditReason.OVERPAYMENT
            )
        ).scalars()
    )
    at = rows[0].at if rows[0].at.tzinfo else rows[0].at.replace(tzinfo=UTC)
    return _receipt(session, batch, tutor_id, shop_id, rows[0].method, at, rows[0].actor,
                    tuple(allocations), change)
