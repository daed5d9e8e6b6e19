"""Tutor credit as a ledger (spec/backoffice.md §2.9, §3.7; issue 11 "Tutor credit").

The balance is the sum of the tutor's :class:`CreditEntry` rows' ``delta_cents``; there is no
balance column to drift. Credits: a manual add with a reason, the change of an overpayment, a
paid voucher, a payment converted into credit (an invoice cancelled after payments), a reversed
credit payment. Debits: paying an invoice with "crédito do tutor", a cancelled voucher. A debit
beyond the balance is refused (pt-BR), so the balance never goes negative.

Runs inside the caller's write unit of work; a debit locks the tutor row ``FOR UPDATE`` on
PostgreSQL before reading the balance (SQLite: the unit of work holds the write lock), so two
payments with the same credit at once cannot both spend it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlmodel import Session

from scheduler_core.audit.log import record
from scheduler_core.billing.models import CreditEntry, CreditReason
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.kernel.money import format_brl
from scheduler_core.people.models import Tutor

__all__ = [
    "CreditReason",
    "InsufficientCredit",
    "add_balance",
    "add_entry",
    "balance",
    "entries",
    "spend",
    "voucher_cancelled",
    "voucher_sold",
]


class InsufficientCredit(ValidationFailed):
    code = "insufficient_credit"
    default_message = "O tutor não tem crédito suficiente."


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _tutor(session: Session, tutor_id: int, *, lock: bool) -> Tutor:
    stmt = select(Tutor).where(Tutor.id == tutor_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    tutor = session.execute(stmt).scalar_one_or_none() if tutor_id is not None else None
    if tutor is None:
        raise NotFound("Tutor não encontrado.", details={"tutor_id": tutor_id})
    return tutor


def balance(session: Session, tutor_id: int) -> int:
    """The tutor's credit in centavos: Σ ledger deltas."""
    return int(
        session.execute(
            select(func.coalesce(func.sum(CreditEntry.delta_cents), 0)).where(
                CreditEntry.tutor_id == tutor_id
            )
        ).scalar_one()
    )


def entries(session: Session, tutor_id: int) -> list[CreditEntry]:
    """The tutor's ledger, oldest first (the "Crédito" tab)."""
    return list(
        session.execute(
            select(CreditEntry)
            .where(CreditEntry.tutor_id == tutor_id)
            .order_by(CreditEntry.created_at, CreditEntry.id)
        ).scalars()
    )


def add_entry(
    session: Session,
    *,
    tutor_id: int,
    delta_cents: int,
    reason: str,
    now: datetime,
    actor: str,
    reason_text: str = "",
    invoice_id: int | None = None,
    batch: str = "",
) -> CreditEntry:
    """One ledger row (audited). A debit (negative delta) beyond the balance raises
    :class:`InsufficientCredit`."""
    if not _is_int(delta_cents) or delta_cents == 0:
        raise ValidationFailed("Valor inválido.", details={"field": "amount_cents"})
    tutor = _tutor(session, tutor_id, lock=delta_cents < 0)
    if delta_cents < 0:
        available = balance(session, tutor.id)
        if -delta_cents > available:
            raise InsufficientCredit(
                f"O tutor tem {format_brl(available)} de crédito; não dá para usar "
                f"{format_brl(-delta_cents)}.",
                details={"balance_cents": available, "amount_cents": -delta_cents},
            )
    row = CreditEntry(
        tutor_id=tutor.id,
        delta_cents=delta_cents,
        reason=reason,
        reason_text=reason_text,
        invoice_id=invoice_id,
        actor=actor,
        created_at=now.astimezone(UTC),
        batch=batch,
    )
    session.add(row)
    session.flush()
    record(
        session, actor=actor, action="credit.entry", entity="tutor", entity_id=tutor.id,
        shop_id=tutor.shop_id, at=now,
        details={"entry_id": row.id, "delta_cents": delta_cents, "reason": reason,
                 "reason_text": reason_text, "invoice_id": invoice_id, "batch": batch},
    )
    return row


def add_balance(
    session: Session, *, tutor_id: int, amount_cents: int, reason_text: str, now: datetime,
    actor: str,
) -> CreditEntry:
    """A manual add ("Adicionar saldo"): a positive amount and a mandatory reason."""
    if not _is_int(amount_cents) or amount_cents <= 0:
        raise ValidationFailed(
            "Informe um valor maior que zero.", details={"field": "amount_cents"}
        )
    if not isinstance(reason_text, str) or not reason_text.strip():
        raise ValidationFailed("Informe o motivo do crédito.", details={"field": "reason_text"})
    return add_entry(
        session, tutor_id=tutor_id, delta_cents=amount_cents, reason=CreditReason.MANUAL,
        reason_text=reason_text.strip(), now=now, actor=actor,
    )


def spend(
    session: Session, *, tutor_id: int, amount_cents: int, invoice_id: int, now: datetime,
    actor: str, batch: str = "", reason_text: str = "",
) -> CreditEntry:
    """Pay ``amount_cents`` of an invoice with the tutor's credit (refused beyond the balance)."""
    if not _is_int(amount_cents) or amount_cents <= 0:
        raise ValidationFailed(
            "Informe um valor maior que zero.", details={"field": "amount_cents"}
        )
    return add_entry(
        session, tutor_id=tutor_id, delta_cents=-amount_cents,
        reason=CreditReason.INVOICE_PAYMENT, reason_text=reason_text, invoice_id=invoice_id,
        now=now, actor=actor, batch=batch,
    )


def voucher_sold(
    session: Session, *, tutor_id: int, invoice_id: int, amount_cents: int, now: datetime,
    actor: str, batch: str = "",
) -> CreditEntry | None:
    """A voucher invoice was paid: its value becomes credit (nothing for a zero voucher)."""
    if amount_cents <= 0:
        return None
    return add_entry(
        session, tutor_id=tutor_id, delta_cents=amount_cents, reason=CreditReason.VOUCHER,
        reason_text="Voucher pago.", invoice_id=invoice_id, now=now, actor=actor, batch=batch,
    )


def voucher_cancelled(
    session: Session, *, tutor_id: int, invoice_id: int, amount_cents: int, now: datetime,
    actor: str,
) -> CreditEntry | None:
    """A paid voucher is cancelled: its credit is taken back (refused if already spent)."""
    if amount_cents <= 0:
        return None
    try:
        return add_entry(
            session, tutor_id=tutor_id, delta_cents=-amount_cents, reason=CreditReason.REVERSAL,
            reason_text="Voucher cancelado.", invoice_id=invoice_id, now=now, actor=actor,
        )
    except InsufficientCredit as exc:
        raise InsufficientCredit(
            "O crédito deste voucher já foi usado: não é possível cancelá-lo. "
            + exc.message,
            details=exc.details,
        ) from exc
