"""Financeiro: billed vs received, by payment method, open and overdue, average ticket,
month over month.

Date basis per figure:
- *Faturado* (billed), the invoice count, the average ticket, *em aberto* and *vencido*: the
  invoices placed in the period by the filter's basis — execution (the visit's start; the
  creation for an invoice without a visit), due date (the creation without one) or payment
  (the day it was fully paid). Cancelled invoices are left out of billed and open and counted
  apart.
- *Recebido* (received) and the split by method: the payments made in the period (payment
  date, whatever the basis), reversed ones excluded. Paying with tutor credit moves no money:
  it is listed by method ("Crédito do tutor") but not added to received. The payments of an
  invoice cancelled later stay received (the money came in; it became tutor credit).
- *Vencido*: open invoices whose due date is before ``today`` (passed in).
- The segment filter keeps the invoices of that segment's visits (an invoice without a visit
  has no segment); the employee filter does not apply to money.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, type_coerce, union_all
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.billing.invoices import DISCOUNTABLE
from scheduler_core.billing.models import (
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    Payment,
    PaymentMethod,
)
from scheduler_core.reports.local_time import as_date, local_day
from scheduler_core.reports.period import Basis, ReportFilter, pct
from scheduler_core.shop.labels import PAYMENT_METHOD_LABELS


@dataclass(frozen=True)
class MethodTotal:
    method: str
    label: str
    count: int
    amount_cents: int
    in_received: bool


@dataclass(frozen=True)
class DayMoney:
    day: date
    billed_cents: int
    received_cents: int


@dataclass(frozen=True)
class Financeiro:
    billed_cents: int
    invoice_count: int
    average_ticket_cents: int
    received_cents: int
    settled_cents: int  # paid so far on the period's invoices (any payment date)
    open_cents: int
    overdue_cents: int
    overdue_count: int
    cancelled_count: int
    cancelled_paid_cents: int  # paid on cancelled invoices (became tutor credit)
    by_method: list[MethodTotal]
    by_day: list[DayMoney]
    previous_billed_cents: int
    previous_received_cents: int

    @property
    def billed_change_pct(self) -> float:
        return _change(self.billed_cents, self.previous_billed_cents)

    @property
    def received_change_pct(self) -> float:
        return _change(self.received_cents, self.previous_received_cents)


def _change(now: int, before: int) -> float:
    return pct(now - before, before) if before else 0.0


def _scope(f: ReportFilter):  # noqa: ANN202 - a SQLAlchemy selectable of invoice ids
    """The period's invoices by basis: (id, at) with ``at`` the moment placing an invoice in
    the period by execution (the visit's start, else the creation) or payment (paid_at); by
    due date it is the creation (the day is the due date, or the creation without one). A
    UNION of plain range queries (an OR across an outer join would scan every invoice);
    carrying ``at`` spares the totals a second join to every visit."""
    lo, hi = f.utc_bounds()
    shop = Invoice.shop_id == f.shop_id
    segment = [Appointment.segment_id == f.segment_id] if f.segment_id is not None else []

    def restrict(stmt):  # noqa: ANN001, ANN202
        if not segment:
            return stmt
        return stmt.join(Appointment, Appointment.id == Invoice.appointment_id).where(*segment)

    def ids(at):  # noqa: ANN001, ANN202
        return select(Invoice.id.label("id"), at.label("at"))

    if f.basis == Basis.VENCIMENTO:
        parts = [
            restrict(ids(Invoice.created_at).where(shop, Invoice.due_date >= f.start,
                                                   Invoice.due_date <= f.end)),
            restrict(ids(Invoice.created_at).where(shop, Invoice.due_date.is_(None),
                                                   Invoice.created_at >= lo,
                                                   Invoice.created_at < hi)),
        ]
    elif f.basis == Basis.PAGAMENTO:
        parts = [restrict(ids(Invoice.paid_at).where(shop, Invoice.paid_at >= lo,
                                                     Invoice.paid_at < hi))]
    else:
        parts = [
            ids(Appointment.start).join(Appointment, Appointment.id == Invoice.appointment_id)
            .where(shop, Appointment.shop_id == f.shop_id, Appointment.start >= lo,
                   Appointment.start < hi, *segment),
        ]
        if not segment:
            parts.append(ids(Invoice.created_at).where(
                shop, Invoice.appointment_id.is_(None), Invoice.created_at >= lo,
                Invoice.created_at < hi))
    return union_all(*parts) if len(parts) > 1 else parts[0]


@dataclass(frozen=True)
class InvoiceFigures:
    id: int
    number: int
    kind: str
    status: str
    tutor_id: int
    due_date: date | None
    day: date  # the date placing it in the period (by basis)
    total_cents: int
    paid_cents: int

    @property
    def open_cents(self) -> int:
        return 0 if self.status == InvoiceStatus.CANCELADA else max(
            0, self.total_cents - self.paid_cents)


def invoices(session: Session, f: ReportFilter) -> list[InvoiceFigures]:
    """The period's invoices (by basis) with their totals and what was paid on them. The
    three reads (lines, payments, invoices) join the period's ids, a CTE the database
    computes once (it was a subquery evaluated three times: bench/reports.py)."""
    return sorted(_figures(session, f, _scope(f).cte("scope")), key=lambda i: i.number)


def _per_invoice(session: Session, f: ReportFilter, scope):  # noqa: ANN001, ANN202
    """A select of the period's invoices with their total, what was paid on them and the
    local date placing them in the period (by basis): id, number, kind, status, tutor_id,
    due_date, day, total, paid. Totals: lines less line discounts less the invoice discount
    (capped at the discountable lines), as ``billing.invoices`` computes them."""
    discountable = sorted(DISCOUNTABLE)
    items = (
        select(InvoiceItem.invoice_id,
               func.sum(InvoiceItem.unit_cents * InvoiceItem.quantity).label("gross"),
               func.sum(InvoiceItem.discount_cents).label("lines"),
               func.sum(case((InvoiceItem.kind.in_(discountable),
                              InvoiceItem.unit_cents * InvoiceItem.quantity
                              - InvoiceItem.discount_cents), else_=0)).label("weight"))
        .join(scope, scope.c.id == InvoiceItem.invoice_id)
        .group_by(InvoiceItem.invoice_id)
    ).subquery()
    paid = (
        select(Payment.invoice_id, func.sum(Payment.amount_cents).label("paid"))
        .join(scope, scope.c.id == Payment.invoice_id)
        .where(Payment.reversed_at.is_(None))
        .group_by(Payment.invoice_id)
    ).subquery()
    if f.basis == Basis.VENCIMENTO:
        day = func.coalesce(Invoice.due_date, local_day(session, f, Invoice.created_at))
    else:
        day = local_day(session, f, type_coerce(scope.c.at, Invoice.created_at.type))
    weight = func.coalesce(items.c.weight, 0)
    discount = func.coalesce(Invoice.discount_cents, 0)
    total = (func.coalesce(items.c.gross, 0) - func.coalesce(items.c.lines, 0)
             - case((discount < weight, discount), else_=weight))
    return (
        select(Invoice.id, Invoice.number, Invoice.kind, Invoice.status, Invoice.tutor_id,
               Invoice.due_date, day.label("day"), total.label("total"),
               func.coalesce(paid.c.paid, 0).label("paid"))
        .select_from(scope)
        .join(Invoice, Invoice.id == scope.c.id)
        .outerjoin(items, items.c.invoice_id == Invoice.id)
        .outerjoin(paid, paid.c.invoice_id == Invoice.id)
    )


def _figures(session: Session, f: ReportFilter, scope) -> list[InvoiceFigures]:  # noqa: ANN001
    return [
        InvoiceFigures(id=iid, number=number, kind=kind, status=status, tutor_id=tutor,
                       due_date=due, day=as_date(day), total_cents=int(total),
                       paid_cents=int(paid))
        for iid, number, kind, status, tutor, due, day, total, paid
        in session.connection().execute(_per_invoice(session, f, scope)).all()
    ]


@dataclass(frozen=True)
class _Billed:
    """The period's invoice sums, added up by the database per local day."""

    by_day: dict[date, int]  # billed (not cancelled) per day
    count: int
    settled: int
    open: int
    overdue: int
    overdue_count: int
    cancelled_count: int
    cancelled_paid: int

    @property
    def billed(self) -> int:
        return sum(self.by_day.values())


def _billed(session: Session, f: ReportFilter, today: date) -> _Billed:
    inv = _per_invoice(session, f, _scope(f).cte("scope")).subquery()
    c = inv.c
    live = c.status != InvoiceStatus.CANCELADA
    dead = c.status == InvoiceStatus.CANCELADA
    left = c.total - c.paid
    open_ = case((live & (left > 0), left), else_=0)
    overdue = live & (left > 0) & c.due_date.is_not(None) & (c.due_date < today)

    def total(cond, value=1):  # noqa: ANN001, ANN202
        return func.sum(case((cond, value), else_=0))

    stmt = select(c.day, total(live, c.total), total(live), total(live, c.paid),
                  func.sum(open_), total(overdue, left), total(overdue), total(dead),
                  total(dead, c.paid)).group_by(c.day)
    by_day: dict[date, int] = {}
    sums = [0] * 7
    for day, billed, *rest in session.connection().execute(stmt).all():
        if billed:
            by_day[as_date(day)] = int(billed)
        sums = [a + int(b or 0) for a, b in zip(sums, rest, strict=True)]
    return _Billed(by_day, *sums)


def payments(session: Session, f: ReportFilter) -> list[tuple[str, int, int, date]]:
    """(method, count, amount, local date) of the payments made in the period, reversed
    excluded, added up by the database per method and day."""
    lo, hi = f.utc_bounds()
    day = local_day(session, f, Payment.at)
    stmt = (
        select(Payment.method, func.count(), func.sum(Payment.amount_cents), day)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Invoice.shop_id == f.shop_id, Payment.at >= lo, Payment.at < hi,
               Payment.reversed_at.is_(None))
        .group_by(Payment.method, day)
    )
    if f.segment_id is not None:
        stmt = stmt.join(Appointment, Appointment.id == Invoice.appointment_id).where(
            Appointment.segment_id == f.segment_id)
    return [(m, int(n), int(a), as_date(d))
            for m, n, a, d in session.connection().execute(stmt).all()]


def _received(pays: list[tuple[str, int, int, date]]) -> int:
    return sum(a for m, _, a, _ in pays if m != PaymentMethod.CREDITO_TUTOR)


def financeiro(session: Session, f: ReportFilter, today: date) -> Financeiro:
    cur = _billed(session, f, today)
    pays = payments(session, f)
    methods: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    got_day: dict[date, int] = defaultdict(int)
    for m, n, a, d in pays:
        methods[m][0] += n
        methods[m][1] += a
        if m != PaymentMethod.CREDITO_TUTOR:
            got_day[d] += a
    by_method = [
        MethodTotal(m, PAYMENT_METHOD_LABELS.get(m, m), c, a, m != PaymentMethod.CREDITO_TUTOR)
        for m, (c, a) in sorted(methods.items(), key=lambda kv: (-kv[1][1], kv[0]))
    ]
    prev = f.previous()
    billed = cur.billed
    return Financeiro(
        billed_cents=billed, invoice_count=cur.count,
        average_ticket_cents=billed // cur.count if cur.count else 0,
        received_cents=_received(pays), settled_cents=cur.settled,
        open_cents=cur.open, overdue_cents=cur.overdue, overdue_count=cur.overdue_count,
        cancelled_count=cur.cancelled_count, cancelled_paid_cents=cur.cancelled_paid,
        by_method=by_method,
        by_day=[DayMoney(d, cur.by_day.get(d, 0), got_day.get(d, 0)) for d in f.days()],
        previous_billed_cents=_billed(session, prev, today).billed,
        previous_received_cents=_received(payments(session, prev)),
    )
