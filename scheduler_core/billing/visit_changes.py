"""A booked visit changed after its invoice existed (services, add-ons or Leva e Traz added or
removed): what happens to the invoice, by the billing rules of :mod:`~.invoices`.

- An open invoice of the visit (pendente, parcial, vencida, sem cobrança) follows the visit: an
  added line is added to it, a removed line is taken off it (refused, as
  :func:`~.invoices.remove_item` refuses it, when what was paid would exceed the new total).
- A paid invoice is never rewritten. What is added afterwards goes on a new invoice of the visit
  ("complemento"); what is removed after it was paid becomes tutor credit (ledger
  ``payment_converted``) for the line's value net of its share of the invoice discount.
- A cancelled invoice is ignored; a visit without an invoice (before it is finalised) has nothing
  to reflect: its invoice is made from its lines when it is finalised.

Runs inside the caller's write unit of work, like every billing function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from scheduler_core.billing import credit
from scheduler_core.billing import invoices as inv
from scheduler_core.billing.models import Invoice, InvoiceItem, InvoiceItemKind, InvoiceKind
from scheduler_core.billing.models import InvoiceStatus as S
from scheduler_core.kernel.money import format_brl


@dataclass(frozen=True)
class VisitLine:
    """A line of the visit as its invoice carries it."""

    name: str
    unit_cents: int
    kind: str = InvoiceItemKind.SERVICO
    in_plan: bool = False


def _visit_invoices(session: Session, appointment_id: int) -> list[Invoice]:
    ids = session.execute(
        select(Invoice.id)
        .where(
            Invoice.appointment_id == appointment_id,
            Invoice.kind == InvoiceKind.AGENDAMENTO,
            Invoice.status != S.CANCELADA,
        )
        .order_by(Invoice.id)
    ).scalars().all()
    return inv.lock_invoices(session, ids)


def _matching_item(session: Session, invoice: Invoice, line: VisitLine) -> InvoiceItem | None:
    return session.execute(
        select(InvoiceItem)
        .where(
            InvoiceItem.invoice_id == invoice.id,
            InvoiceItem.name == line.name,
            InvoiceItem.kind == line.kind,
            InvoiceItem.unit_cents == line.unit_cents,
        )
        .order_by(InvoiceItem.id)
    ).scalars().first()


def reflect_visit_change(
    session: Session,
    appointment_id: int,
    *,
    added: Sequence[VisitLine],
    removed: Sequence[VisitLine],
    now: datetime,
    actor: str,
) -> list[str]:
    """Carry a visit's added and removed lines to its invoices (module docstring); returns one
    pt-BR sentence per effect, for the visit's audit entry and the staff's message."""
    invoices = _visit_invoices(session, appointment_id)
    if not invoices or not (added or removed):
        return []
    said: list[str] = []
    open_invoice = next((i for i in reversed(invoices) if i.status != S.PAGA), None)
    extra: list[inv.ItemSpec] = []
    for line in added:
        spec = inv.ItemSpec(name=line.name, unit_cents=line.unit_cents, kind=line.kind,
                            in_plan=line.in_plan)
        if open_invoice is None:
            extra.append(spec)
            continue
        inv.add_item(session, open_invoice.id, spec, now=now, actor=actor)
        said.append(f"Fatura {inv.number_label(open_invoice.number)}: incluído {line.name}.")
    if extra:
        paid = invoices[-1]
        new = inv.create_invoice(
            session, shop_id=paid.shop_id, tutor_id=paid.tutor_id, pet_id=paid.pet_id,
            appointment_id=appointment_id, kind=InvoiceKind.AGENDAMENTO, items=extra, now=now,
            actor=actor,
            note=f"Complemento da fatura {inv.number_label(paid.number)}, já paga.",
        )
        names = ", ".join(spec.name for spec in extra)
        said.append(
            f"Nova fatura {inv.number_label(new.number)} para {names} (a fatura "
            f"{inv.number_label(paid.number)} já estava paga)."
        )
    for line in removed:
        said += _remove_line(session, invoices, line, now=now, actor=actor)
    return said


def _remove_line(
    session: Session, invoices: list[Invoice], line: VisitLine, *, now: datetime, actor: str
) -> list[str]:
    """Take ``line`` off the open invoice that has it, or credit it from the paid one."""
    ordered = sorted(invoices, key=lambda i: (i.status == S.PAGA, -i.id))
    for invoice in ordered:
        item = _matching_item(session, invoice, line)
        if item is None:
            continue
        label = inv.number_label(invoice.number)
        if invoice.status != S.PAGA:
            inv.remove_item(session, invoice.id, item.id, now=now, actor=actor)
            return [f"Fatura {label}: retirado {line.name}."]
        items = list(session.execute(
            select(InvoiceItem).where(InvoiceItem.invoice_id == invoice.id)
            .order_by(InvoiceItem.id)).scalars())
        share = next((ln.total_cents for ln in inv.lines_with_shares(items, invoice.discount_cents)
                      if ln.id == item.id), 0)
        if share <= 0:
            return []
        credit.add_entry(
            session, tutor_id=invoice.tutor_id, delta_cents=share,
            reason=credit.CreditReason.PAYMENT_CONVERTED,
            reason_text=f"{line.name} retirado do atendimento; a fatura {label} já estava paga.",
            invoice_id=invoice.id, now=now, actor=actor,
        )
        return [f"{line.name} já estava pago na fatura {label}: {format_brl(share)} viraram "
                "crédito do tutor."]
    return []
