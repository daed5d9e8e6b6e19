"""Invoices (faturas / Cobranças): creation, items, totals, due date, cancellation, overdue job
(spec/backoffice.md §2.8, §3.5; issue 11 "Invoices").

Money is integer centavos. An invoice's amounts are never stored: they are computed from its
lines and payments, so they cannot drift.

- A line is ``unit_cents × quantity`` less its own ``discount_cents``. The invoice's
  ``discount_cents`` (e.g. a combo discount) is split over the discountable lines (services and
  "outro"; never products, vouchers or the Leva e Traz fee, as in TecPet) in proportion to their
  net value by the largest-remainder method (:func:`split_discount`), so the shares add up to
  the discount exactly.
- ``total = Σ line net − invoice discount``; ``paid = Σ payments not reversed``;
  ``open = total − paid`` (never negative: payments never exceed the open amount, see
  :mod:`scheduler_core.billing.payments`).
- Status (:func:`status_for`): ``cancelada`` stays; a zero total with nothing paid is
  ``sem_cobranca``; ``paga`` when the open amount is 0; ``vencida`` when something is still open
  after the due date (shop date); ``parcial`` when something was paid; else ``pendente``.
  ``vencida`` wins over ``parcial`` (the open amount still shows the partial payment).
  :func:`mark_overdue` is the day-rollover job; every write re-evaluates the status.
- A paid or cancelled invoice is never edited (items, due date); a cancelled one is never paid.

**When a visit gets its invoice** (decision): at the visit, like TecPet — when the visit is
finalised (status ``finalizado`` or ``entregue``), not at booking, so that what is charged is what
was done (services added or removed at the counter, the Leva e Traz fee). The call is
:func:`invoice_for_visit`, idempotent: the visit's existing (not cancelled) invoice is returned
as is. Lines covered by a plan are copied with price 0 and ``in_plan``; a visit entirely covered
by a plan gets a ``sem_cobranca`` invoice (the record TecPet shows). Plan cycles have their own
invoices (created by :mod:`scheduler_core.plans.service`).

Every function runs inside the caller's write unit of work (``write_session`` / ``transaction``
of :mod:`scheduler_core.db.engine`), writes an audit row and flushes; it never commits. On
PostgreSQL the invoice (and shop, for the number) rows are locked ``FOR UPDATE``; on SQLite the
unit of work already holds the write lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from scheduler_core.agenda.models import Appointment, AppointmentItem, AppointmentStatus
from scheduler_core.audit.log import record
from scheduler_core.billing import credit
from scheduler_core.billing.labels import INVOICE_KIND_LABELS, INVOICE_STATUS_LABELS
from scheduler_core.billing.models import (
    Invoice,
    InvoiceItem,
    InvoiceItemKind,
    InvoiceKind,
    InvoiceStatus,
    Payment,
)
from scheduler_core.catalog.models import Service
from scheduler_core.kernel.errors import InvalidTransition, NotFound, ValidationFailed
from scheduler_core.kernel.money import format_brl
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.shop.models import Shop

S = InvoiceStatus
#: Lines the invoice's discount is spread over (TecPet never discounts products).
DISCOUNTABLE = frozenset({InvoiceItemKind.SERVICO, InvoiceItemKind.OUTRO})
#: An invoice in these statuses is closed: no item or due-date change, no payment.
CLOSED = frozenset({S.PAGA, S.CANCELADA})
OPEN_STATUSES = frozenset({S.PENDENTE, S.PARCIAL, S.VENCIDA})


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class ItemSpec:
    """A line to put on an invoice."""

    name: str
    unit_cents: int
    quantity: int = 1
    discount_cents: int = 0  # on the whole line
    kind: str = InvoiceItemKind.SERVICO
    in_plan: bool = False

    @property
    def gross_cents(self) -> int:
        return self.unit_cents * self.quantity


@dataclass(frozen=True)
class Line:
    """A stored line with its share of the invoice discount."""

    id: int
    kind: str
    name: str
    unit_cents: int
    quantity: int
    in_plan: bool
    discount_cents: int  # the line's own discount
    share_cents: int  # its share of the invoice's discount

    @property
    def gross_cents(self) -> int:
        return self.unit_cents * self.quantity

    @property
    def total_cents(self) -> int:
        return self.gross_cents - self.discount_cents - self.share_cents


@dataclass(frozen=True)
class Totals:
    gross_cents: int  # Σ unit × quantity
    discount_cents: int  # line discounts + invoice discount
    total_cents: int
    paid_cents: int

    @property
    def open_cents(self) -> int:
        return max(0, self.total_cents - self.paid_cents)


@dataclass(frozen=True)
class InvoiceView:
    """An invoice as the panel, the public link and the bot show it."""

    id: int
    shop_id: int
    number: int
    kind: str
    status: str
    tutor_id: int
    tutor_name: str
    pet_id: int | None
    pet_name: str
    appointment_id: int | None
    due_date: date | None
    note: str
    created_at: datetime
    paid_at: datetime | None
    lines: tuple[Line, ...]
    totals: Totals
    payments: tuple[Payment, ...]

    @property
    def label(self) -> str:
        """"#00123"."""
        return number_label(self.number)

    @property
    def status_label(self) -> str:
        return INVOICE_STATUS_LABELS.get(self.status, self.status)

    @property
    def kind_label(self) -> str:
        return INVOICE_KIND_LABELS.get(self.kind, self.kind)

    @property
    def open_label(self) -> str:
        """The "a receber" column: "-" when nothing is open (TecPet)."""
        if self.status in (S.CANCELADA, S.SEM_COBRANCA) or self.totals.open_cents == 0:
            return "-"
        return format_brl(self.totals.open_cents)


def number_label(number: int) -> str:
    return f"#{number:05d}"


# --------------------------------------------------------------------------- money


def split_discount(discount_cents: int, weights: Sequence[int]) -> list[int]:
    """``discount_cents`` split in proportion to ``weights`` by the largest remainder method.

    The shares add up to ``discount_cents`` exactly and no share exceeds its weight (the
    discount must not exceed Σ weights). Ties in the remainders go to the earlier weight.
    Zero weights get nothing; all-zero weights with a discount is a ValueError.
    """
    total = sum(weights)
    if discount_cents < 0 or any(w < 0 for w in weights):
        raise ValueError("negative discount or weight")
    if discount_cents == 0:
        return [0] * len(weights)
    if discount_cents > total:
        raise ValueError("discount larger than the weights")
    floors = [discount_cents * w // total for w in weights]
    remainders = [discount_cents * w % total for w in weights]
    left = discount_cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def split_evenly(total_cents: int, parts: int) -> list[int]:
    """``total_cents`` in ``parts`` equal shares that add up to it exactly; the remainder of
    the division goes on the last share (a cycle invoice's one line per session)."""
    if parts < 1 or total_cents < 0:
        raise ValueError("no parts or a negative total")
    base = total_cents // parts
    return [base] * (parts - 1) + [total_cents - base * (parts - 1)]


def lines_with_shares(items: Sequence[InvoiceItem], invoice_discount: int) -> list[Line]:
    """The lines with their share of ``invoice_discount`` (see :func:`split_discount`)."""
    weights = [
        it.unit_cents * it.quantity - it.discount_cents if it.kind in DISCOUNTABLE else 0
        for it in items
    ]
    shares = split_discount(min(invoice_discount, sum(weights)), weights)
    return [
        Line(
            id=it.id,
            kind=it.kind,
            name=it.name,
            unit_cents=it.unit_cents,
            quantity=it.quantity,
            in_plan=it.in_plan,
            discount_cents=it.discount_cents,
            share_cents=share,
        )
        for it, share in zip(items, shares, strict=True)
    ]


def status_for(
    *, current: str, total: int, paid: int, due_date: date | None, today: date | None
) -> str:
    """The status an invoice with these amounts has (module docstring)."""
    if current == S.CANCELADA:
        return S.CANCELADA
    if total == 0 and paid == 0:
        return S.SEM_COBRANCA
    if paid >= total:
        return S.PAGA
    if due_date is not None and today is not None and due_date < today:
        return S.VENCIDA
    if paid > 0:
        return S.PARCIAL
    return S.PENDENTE


# --------------------------------------------------------------------------- reading


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def require_now(now: datetime) -> None:
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ValidationFailed("Data e hora inválidas.", details={"field": "now"})


def shop_today(session: Session, shop_id: int, now: datetime) -> date:
    """``now`` as a date on the shop's wall clock."""
    tz = session.execute(select(Shop.timezone).where(Shop.id == shop_id)).scalar_one()
    return now.astimezone(ZoneInfo(tz)).date()


def get_invoice(session: Session, invoice_id: int, *, lock: bool = False) -> Invoice:
    """The invoice, fresh from the database (``lock``: FOR UPDATE on PostgreSQL)."""
    stmt = (
        select(Invoice).where(Invoice.id == invoice_id).execution_options(populate_existing=True)
    )
    if lock and _is_pg(session):
        stmt = stmt.with_for_update()
    invoice = session.execute(stmt).scalar_one_or_none() if invoice_id is not None else None
    if invoice is None:
        raise NotFound("Fatura não encontrada.", details={"invoice_id": invoice_id})
    return invoice


def lock_invoices(session: Session, invoice_ids: Iterable[int]) -> list[Invoice]:
    """Several invoices locked in id order (no deadlock between two batch payments)."""
    ids = sorted(set(invoice_ids))
    stmt = (
        select(Invoice)
        .where(Invoice.id.in_(ids or [0]))
        .order_by(Invoice.id)
        .execution_options(populate_existing=True)
    )
    if _is_pg(session):
        stmt = stmt.with_for_update()
    found = list(session.execute(stmt).scalars())
    missing = set(ids) - {i.id for i in found}
    if missing:
        raise NotFound("Fatura não encontrada.", details={"invoice_ids": sorted(missing)})
    return found


def _items(session: Session, invoice_id: int) -> list[InvoiceItem]:
    return list(
        session.execute(
            select(InvoiceItem)
            .where(InvoiceItem.invoice_id == invoice_id)
            .order_by(InvoiceItem.id)
            .execution_options(populate_existing=True)
        ).scalars()
    )


def paid_cents(session: Session, invoice_id: int) -> int:
    return int(
        session.execute(
            select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
                Payment.invoice_id == invoice_id, Payment.reversed_at.is_(None)
            )
        ).scalar_one()
    )


def totals(session: Session, invoice: Invoice) -> Totals:
    """The invoice's gross, discount, total and paid amounts."""
    lines = lines_with_shares(_items(session, invoice.id), invoice.discount_cents)
    gross = sum(line.gross_cents for line in lines)
    total = sum(line.total_cents for line in lines)
    return Totals(
        gross_cents=gross,
        discount_cents=gross - total,
        total_cents=total,
        paid_cents=paid_cents(session, invoice.id),
    )


def invoice_view(session: Session, invoice_id: int) -> InvoiceView:
    """Everything the invoice page shows (NotFound if unknown)."""
    invoice = get_invoice(session, invoice_id)
    lines = lines_with_shares(_items(session, invoice.id), invoice.discount_cents)
    gross = sum(line.gross_cents for line in lines)
    total = sum(line.total_cents for line in lines)
    payments = tuple(
        session.execute(
            select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id)
        ).scalars()
    )
    paid = sum(p.amount_cents for p in payments if p.reversed_at is None)
    tutor = session.get(Tutor, invoice.tutor_id)
    pet = session.get(Pet, invoice.pet_id) if invoice.pet_id else None
    return InvoiceView(
        id=invoice.id,
        shop_id=invoice.shop_id,
        number=invoice.number,
        kind=invoice.kind,
        status=invoice.status,
        tutor_id=invoice.tutor_id,
        tutor_name=tutor.name if tutor else "",
        pet_id=invoice.pet_id,
        pet_name=pet.name if pet else "",
        appointment_id=invoice.appointment_id,
        due_date=invoice.due_date,
        note=invoice.note,
        created_at=invoice.created_at,
        paid_at=invoice.paid_at,
        lines=tuple(lines),
        totals=Totals(gross, gross - total, total, paid),
        payments=payments,
    )


# --------------------------------------------------------------------------- writing helpers


def next_invoice_number(session: Session, shop_id: int) -> int:
    """The shop's next invoice number. Locks the shop row on PostgreSQL (SQLite: the unit of
    work holds the write lock), so two invoices created at once never share a number."""
    if _is_pg(session):
        session.execute(select(Shop.id).where(Shop.id == shop_id).with_for_update())
    last = session.execute(
        select(func.max(Invoice.number)).where(Invoice.shop_id == shop_id)
    ).scalar_one()
    return int(last or 0) + 1


def _check_item(item: ItemSpec) -> None:
    def bad(field: str, message: str) -> ValidationFailed:
        return ValidationFailed(message, details={"field": field, "item": item.name})

    def is_int(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if not isinstance(item.name, str) or not item.name.strip():
        raise bad("name", "Informe a descrição do item.")
    if item.kind not in set(InvoiceItemKind):
        raise bad("kind", "Tipo de item inválido.")
    if not is_int(item.unit_cents) or item.unit_cents < 0:
        raise bad("unit_cents", "Valor unitário inválido.")
    if not is_int(item.quantity) or item.quantity < 1:
        raise bad("quantity", "A quantidade deve ser pelo menos 1.")
    if not is_int(item.discount_cents) or item.discount_cents < 0:
        raise bad("discount_cents", "Desconto inválido.")
    if item.discount_cents > item.gross_cents:
        raise bad("discount_cents", "O desconto não pode ser maior que o valor do item.")
    if item.discount_cents and item.kind not in DISCOUNTABLE:
        raise bad("discount_cents", "Este tipo de item não aceita desconto.")


def _check_discount(items: Sequence[InvoiceItem | ItemSpec], discount_cents: int) -> None:
    if isinstance(discount_cents, bool) or not isinstance(discount_cents, int) or (
        discount_cents < 0
    ):
        raise ValidationFailed("Desconto inválido.", details={"field": "discount_cents"})
    room = sum(
        it.unit_cents * it.quantity - it.discount_cents for it in items if it.kind in DISCOUNTABLE
    )
    if discount_cents > room:
        raise ValidationFailed(
            "O desconto da fatura não pode ser maior que o valor dos serviços.",
            details={"field": "discount_cents", "max_cents": room},
        )


def refresh_status(session: Session, invoice: Invoice, now: datetime) -> Totals:
    """Recompute the invoice's status from its lines and payments (``paid_at`` follows)."""
    amounts = totals(session, invoice)
    status = status_for(
        current=invoice.status,
        total=amounts.total_cents,
        paid=amounts.paid_cents,
        due_date=invoice.due_date,
        today=shop_today(session, invoice.shop_id, now),
    )
    if status == S.PAGA and invoice.status != S.PAGA:
        invoice.paid_at = _utc(now)
    elif status != S.PAGA:
        invoice.paid_at = None
    invoice.status = status
    session.add(invoice)
    session.flush()
    return amounts


def _editable(invoice: Invoice, what: str) -> None:
    if invoice.status == S.PAGA:
        raise InvalidTransition(
            f"Esta fatura já está paga: não é possível {what}.", details={"invoice_id": invoice.id}
        )
    if invoice.status == S.CANCELADA:
        raise InvalidTransition(
            f"Esta fatura está cancelada: não é possível {what}.",
            details={"invoice_id": invoice.id},
        )


def _audit(
    session: Session, invoice: Invoice, action: str, *, actor: str, now: datetime,
    **details: object,
) -> None:
    record(
        session,
        actor=actor,
        action=action,
        entity="invoice",
        entity_id=invoice.id,
        shop_id=invoice.shop_id,
        at=now,
        details={"number": invoice.number, **details},
    )


# --------------------------------------------------------------------------- use cases


def create_invoice(
    session: Session,
    *,
    shop_id: int,
    tutor_id: int,
    kind: str,
    items: Sequence[ItemSpec],
    now: datetime,
    actor: str,
    due_date: date | None = None,
    pet_id: int | None = None,
    appointment_id: int | None = None,
    discount_cents: int = 0,
    note: str = "",
) -> Invoice:
    """A new invoice of ``kind`` (agendamento, plano, avulsa, voucher) with ``items``.

    ``due_date`` defaults to the shop's today. A voucher invoice holds voucher lines only (its
    total is the credit the tutor gets once it is paid). Refusals (pt-BR): unknown tutor or a
    tutor/pet of another shop, bad lines or discount, no line.
    """
    require_now(now)
    if kind not in set(InvoiceKind):
        raise ValidationFailed("Tipo de fatura inválido.", details={"field": "kind"})
    tutor = session.get(Tutor, tutor_id) if tutor_id is not None else None
    if tutor is None or tutor.shop_id != shop_id:
        raise NotFound("Tutor não encontrado.", details={"tutor_id": tutor_id})
    if pet_id is not None:
        pet = session.get(Pet, pet_id)
        if pet is None or pet.tutor_id != tutor.id:
            raise NotFound("Pet não encontrado.", details={"pet_id": pet_id})
    items = list(items)
    if not items:
        raise ValidationFailed("Adicione pelo menos um item à fatura.", details={"field": "items"})
    for item in items:
        _check_item(item)
    if kind == InvoiceKind.VOUCHER and any(it.kind != InvoiceItemKind.VOUCHER for it in items):
        raise ValidationFailed(
            "Uma fatura de voucher só tem itens de voucher.", details={"field": "items"}
        )
    if kind != InvoiceKind.VOUCHER and any(it.kind == InvoiceItemKind.VOUCHER for it in items):
        raise ValidationFailed(
            "Vouchers são vendidos numa fatura de voucher.", details={"field": "items"}
        )
    _check_discount(items, discount_cents)
    invoice = Invoice(
        shop_id=shop_id,
        number=next_invoice_number(session, shop_id),
        kind=kind,
        status=S.PENDENTE,
        tutor_id=tutor.id,
        pet_id=pet_id,
        appointment_id=appointment_id,
        due_date=due_date or shop_today(session, shop_id, now),
        discount_cents=discount_cents,
        note=note,
        created_at=_utc(now),
    )
    session.add(invoice)
    session.flush()
    for item in items:
        session.add(
            InvoiceItem(
                invoice_id=invoice.id,
                kind=item.kind,
                name=item.name.strip(),
                unit_cents=item.unit_cents,
                quantity=item.quantity,
                discount_cents=item.discount_cents,
                in_plan=item.in_plan,
            )
        )
    session.flush()
    amounts = refresh_status(session, invoice, now)
    _audit(
        session, invoice, "invoice.create", actor=actor, now=now, kind=kind,
        tutor_id=tutor.id, pet_id=pet_id, appointment_id=appointment_id,
        total_cents=amounts.total_cents, due_date=invoice.due_date,
    )
    session.flush()
    return invoice


def change_due_date(
    session: Session, invoice_id: int, due_date: date, *, now: datetime, actor: str
) -> Invoice:
    """Move the due date (an overdue invoice moved to today or later is open again)."""
    require_now(now)
    if not isinstance(due_date, date) or isinstance(due_date, datetime):
        raise ValidationFailed("Data de vencimento inválida.", details={"field": "due_date"})
    invoice = get_invoice(session, invoice_id, lock=True)
    _editable(invoice, "alterar o vencimento")
    before = invoice.due_date
    invoice.due_date = due_date
    refresh_status(session, invoice, now)
    _audit(session, invoice, "invoice.due_date", actor=actor, now=now, before=before,
           after=due_date)
    session.flush()
    return invoice


def add_item(
    session: Session, invoice_id: int, item: ItemSpec, *, now: datetime, actor: str
) -> InvoiceItem:
    """Add a line (the caller checked the permission "alterar faturas e itens")."""
    require_now(now)
    _check_item(item)
    invoice = get_invoice(session, invoice_id, lock=True)
    _editable(invoice, "adicionar itens")
    if (invoice.kind == InvoiceKind.VOUCHER) != (item.kind == InvoiceItemKind.VOUCHER):
        raise ValidationFailed(
            "Vouchers são vendidos numa fatura de voucher, sem outros itens.",
            details={"field": "kind"},
        )
    row = InvoiceItem(
        invoice_id=invoice.id,
        kind=item.kind,
        name=item.name.strip(),
        unit_cents=item.unit_cents,
        quantity=item.quantity,
        discount_cents=item.discount_cents,
        in_plan=item.in_plan,
    )
    session.add(row)
    session.flush()
    amounts = refresh_status(session, invoice, now)
    _audit(
        session, invoice, "invoice.item_add", actor=actor, now=now, item_id=row.id,
        name=row.name, unit_cents=row.unit_cents, quantity=row.quantity,
        discount_cents=row.discount_cents, total_cents=amounts.total_cents,
    )
    session.flush()
    return row


def remove_item(
    session: Session, invoice_id: int, item_id: int, *, now: datetime, actor: str
) -> Totals:
    """Remove a line; refused when it is the last one, when the invoice discount would no longer
    fit, or when what was already paid would exceed the new total."""
    require_now(now)
    invoice = get_invoice(session, invoice_id, lock=True)
    _editable(invoice, "remover itens")
    items = _items(session, invoice.id)
    row = next((it for it in items if it.id == item_id), None)
    if row is None:
        raise NotFound("Item não encontrado nesta fatura.", details={"item_id": item_id})
    rest = [it for it in items if it.id != item_id]
    if not rest:
        raise ValidationFailed(
            "A fatura precisa de pelo menos um item. Para desistir dela, cancele a fatura.",
            details={"item_id": item_id},
        )
    _check_discount(rest, invoice.discount_cents)
    new_total = sum(line.total_cents for line in lines_with_shares(rest, invoice.discount_cents))
    paid = paid_cents(session, invoice.id)
    if paid > new_total:
        raise ValidationFailed(
            f"Já foram pagos {format_brl(paid)} nesta fatura; sem este item o total seria "
            f"{format_brl(new_total)}. Estorne um pagamento antes de remover o item.",
            details={"item_id": item_id, "paid_cents": paid, "total_cents": new_total},
        )
    session.delete(row)
    session.flush()
    amounts = refresh_status(session, invoice, now)
    _audit(
        session, invoice, "invoice.item_remove", actor=actor, now=now, item_id=item_id,
        name=row.name, unit_cents=row.unit_cents, quantity=row.quantity,
        total_cents=amounts.total_cents,
    )
    session.flush()
    return amounts


def cancel_invoice(
    session: Session,
    invoice_id: int,
    *,
    now: datetime,
    actor: str,
    reason: str = "",
    paid_to_credit: bool = False,
) -> Invoice:
    """Cancel an invoice.

    An invoice with payments is cancelled only with ``paid_to_credit=True``: what was paid
    becomes tutor credit (``payment_converted``), so no money disappears; a paid voucher is
    cancelled by taking its credit back (refused beyond the tutor's balance). Cancelling twice
    is refused.
    """
    require_now(now)
    invoice = get_invoice(session, invoice_id, lock=True)
    if invoice.status == S.CANCELADA:
        raise InvalidTransition(
            "Esta fatura já está cancelada.", details={"invoice_id": invoice.id}
        )
    paid = paid_cents(session, invoice.id)
    converted = 0
    if invoice.kind == InvoiceKind.VOUCHER and invoice.status == S.PAGA:
        credit.voucher_cancelled(
            session, tutor_id=invoice.tutor_id, invoice_id=invoice.id,
            amount_cents=totals(session, invoice).total_cents, now=now, actor=actor,
        )
    elif paid > 0:
        if not paid_to_credit:
            raise InvalidTransition(
                f"Esta fatura tem {format_brl(paid)} em pagamentos. Para cancelar, transforme o "
                "valor pago em crédito do tutor.",
                details={"invoice_id": invoice.id, "paid_cents": paid},
            )
        credit.add_entry(
            session, tutor_id=invoice.tutor_id, delta_cents=paid,
            reason=credit.CreditReason.PAYMENT_CONVERTED,
            reason_text=f"Pagamento da fatura {number_label(invoice.number)} cancelada.",
            invoice_id=invoice.id, now=now, actor=actor,
        )
        converted = paid
    invoice.status = S.CANCELADA
    invoice.cancelled_at = _utc(now)
    invoice.cancel_reason = reason.strip()
    session.add(invoice)
    _audit(session, invoice, "invoice.cancel", actor=actor, now=now, reason=reason,
           paid_cents=paid, converted_to_credit_cents=converted)
    session.flush()
    return invoice


def mark_overdue(
    session: Session, today: date, *, shop_id: int | None = None, now: datetime | None = None
) -> list[int]:
    """The day-rollover job: open invoices (pendente, parcial) due before ``today`` (the shop's
    date) become ``vencida``. Returns their ids; idempotent. One audit row per shop. On
    PostgreSQL an invoice locked by a payment in progress is skipped (the payment re-evaluates
    its status; the next run catches it otherwise)."""
    stmt = (
        select(Invoice)
        .where(
            Invoice.status.in_([S.PENDENTE, S.PARCIAL]),
            Invoice.due_date.is_not(None),
            Invoice.due_date < today,
        )
        .order_by(Invoice.id)
        .execution_options(populate_existing=True)
    )
    if shop_id is not None:
        stmt = stmt.where(Invoice.shop_id == shop_id)
    if _is_pg(session):
        stmt = stmt.with_for_update(skip_locked=True)
    changed: dict[int, list[int]] = {}
    for invoice in session.execute(stmt).scalars():
        invoice.status = S.VENCIDA
        session.add(invoice)
        changed.setdefault(invoice.shop_id, []).append(invoice.id)
    for shop, ids in changed.items():
        record(
            session, actor="system:overdue", action="invoice.overdue", entity="invoice",
            shop_id=shop, at=now, details={"today": today, "invoice_ids": ids},
        )
    session.flush()
    return [i for ids in changed.values() for i in ids]


def invoice_for_visit(
    session: Session, appointment_id: int, now: datetime, *, actor: str = "system"
) -> Invoice:
    """The visit's invoice, created when the visit is finalised (module docstring); calling
    it again returns the same invoice. Refused before the visit is finalised."""
    require_now(now)
    stmt = select(Appointment).where(Appointment.id == appointment_id)
    if _is_pg(session):
        stmt = stmt.with_for_update()
    appt = session.execute(stmt).scalar_one_or_none() if appointment_id is not None else None
    if appt is None:
        raise NotFound("Agendamento não encontrado.", details={"appointment_id": appointment_id})
    existing = session.execute(
        select(Invoice)
        .where(
            Invoice.appointment_id == appt.id,
            Invoice.kind == InvoiceKind.AGENDAMENTO,
            Invoice.status != S.CANCELADA,
        )
        .order_by(Invoice.id)
    ).scalars().first()
    if existing is not None:
        return existing
    if appt.status not in (AppointmentStatus.FINALIZADO, AppointmentStatus.ENTREGUE):
        raise InvalidTransition(
            "A fatura do atendimento é gerada quando ele é finalizado.",
            details={"appointment_id": appt.id, "status": appt.status},
        )
    rows = session.execute(
        select(AppointmentItem, Service.name)
        .join(Service, Service.id == AppointmentItem.service_id)
        .where(AppointmentItem.appointment_id == appt.id)
        .order_by(AppointmentItem.position, AppointmentItem.id)
    ).all()
    items = [
        ItemSpec(name=name, unit_cents=it.price_cents, in_plan=it.in_plan)
        for it, name in rows
    ]
    if appt.leva_e_traz and appt.leva_e_traz_fee_cents > 0:
        items.append(
            ItemSpec(name="Leva e Traz", unit_cents=appt.leva_e_traz_fee_cents,
                     kind=InvoiceItemKind.LEVA_E_TRAZ)
        )
    tz = ZoneInfo(session.execute(select(Shop.timezone).where(Shop.id == appt.shop_id))
                  .scalar_one())
    start = appt.start if appt.start.tzinfo else appt.start.replace(tzinfo=UTC)
    return create_invoice(
        session,
        shop_id=appt.shop_id,
        tutor_id=appt.tutor_id,
        pet_id=appt.pet_id,
        appointment_id=appt.id,
        kind=InvoiceKind.AGENDAMENTO,
        items=items,
        discount_cents=appt.discount_cents,
        due_date=start.astimezone(tz).date(),
        now=now,
        actor=actor,
        note=appt.plan_note,
    )
