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
from scheduler_core.billing.payments import METHOD_LABELS
from scheduler_core.reports.period import Basis, ReportFilter, pct


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
    """The ids of the period's invoices by basis: a UNION of plain range queries (an OR across
    an outer join would scan every invoice)."""
    lo, hi = f.utc_bounds()
    shop = Invoice.shop_id == f.shop_id
    segment = [Appointment.segment_id == f.segment_id] if f.segment_id is not None else []

    def restrict(stmt):  # noqa: ANN001, ANN202
        if not segment:
            return stmt
        return stmt.join(Appointment, Appointment.id == Invoice.appointment_id).where(*segment)

    if f.basis == Basis.VENCIMENTO:
        parts = [
            restrict(select(Invoice.id).where(shop, Invoice.due_date >= f.start,
                                              Invoice.due_date <= f.end)),
            restrict(select(Invoice.id).where(shop, Invoice.due_date.is_(None),
                                              Invoice.created_at >= lo, Invoice.created_at < hi)),
        ]
    elif f.basis == Basis.PAGAMENTO:
        parts = [restrict(select(Invoice.id).where(shop, Invoice.paid_at >= lo,
                                                   Invoice.paid_at < hi))]
    else:
        parts = [
            select(Invoice.id).join(Appointment, Appointment.id == Invoice.appointment_id).where(
                shop, Appointment.shop_id == f.shop_id, Appointment.start >= lo,
                Appointment.start < hi, *segment),
        ]
        if not segment:
            parts.append(select(Invoice.id).where(
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
    three reads (lines, payments, invoices) take the period's ids as a subquery."""
    return sorted(_figures(session, f, _scope(f).subquery()), key=lambda i: i.number)


def _figures(session: Session, f: ReportFilter, scope) -> list[InvoiceFigures]:  # noqa: ANN001
    ids = select(scope.c.id)
    discountable = sorted(DISCOUNTABLE)
    gross = func.sum(InvoiceItem.unit_cents * InvoiceItem.quantity)
    lines = func.sum(InvoiceItem.discount_cents)
    weight = func.sum(case(
        (InvoiceItem.kind.in_(discountable),
         InvoiceItem.unit_cents * InvoiceItem.quantity - InvoiceItem.discount_cents),
        else_=0))
    items = {
        row[0]: row[1:]
        for row in session.connection().execute(
            select(InvoiceItem.invoice_id, gross, lines, weight)
            .where(InvoiceItem.invoice_id.in_(ids))
            .group_by(InvoiceItem.invoice_id)
        ).all()
    }
    paid = dict(session.connection().execute(
        select(Payment.invoice_id, func.sum(Payment.amount_cents))
        .where(Payment.invoice_id.in_(ids), Payment.reversed_at.is_(None))
        .group_by(Payment.invoice_id)
    ).all())
    if f.basis == Basis.PAGAMENTO:
        when = Invoice.paid_at
    elif f.basis == Basis.VENCIMENTO:
        when = Invoice.created_at
    else:
        when = func.coalesce(Appointment.start, Invoice.created_at)
    rows = session.connection().execute(
        select(Invoice.id, Invoice.number, Invoice.kind, Invoice.status, Invoice.tutor_id,
               Invoice.due_date, Invoice.discount_cents, type_coerce(when, Invoice.created_at.type))
        .outerjoin(Appointment, Appointment.id == Invoice.appointment_id)
        .where(Invoice.id.in_(ids))
    ).all()
    out = []
    for iid, number, kind, status, tutor, due, disc, moment in rows:
        g, ld, w = items.get(iid, (0, 0, 0))
        total = (g or 0) - (ld or 0) - min(disc or 0, w or 0)
        day = due if f.basis == Basis.VENCIMENTO and due is not None else f.local_date(moment)
        out.append(InvoiceFigures(
            id=iid, number=number, kind=kind, status=status, tutor_id=tutor, due_date=due,
            day=day, total_cents=total, paid_cents=int(paid.get(iid) or 0)))
    return out


def payments(session: Session, f: ReportFilter) -> list[tuple[str, int, date]]:
    """(method, amount, local date) of the payments made in the period, reversed excluded."""
    lo, hi = f.utc_bounds()
    stmt = (
        select(Payment.method, Payment.amount_cents, Payment.at)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Invoice.shop_id == f.shop_id, Payment.at >= lo, Payment.at < hi,
               Payment.reversed_at.is_(None))
    )
    if f.segment_id is not None:
        stmt = stmt.join(Appointment, Appointment.id == Invoice.appointment_id).where(
            Appointment.segment_id == f.segment_id)
    return [(m, a, f.local_date(at)) for m, a, at in session.connection().execute(stmt).all()]


def _received(pays: list[tuple[str, int, date]]) -> int:
    return sum(a for m, a, _ in pays if m != PaymentMethod.CREDITO_TUTOR)


def financeiro(session: Session, f: ReportFilter, today: date) -> Financeiro:
    invs = invoices(session, f)
    pays = payments(session, f)
    live = [i for i in invs if i.status != InvoiceStatus.CANCELADA]
    dead = [i for i in invs if i.status == InvoiceStatus.CANCELADA]
    billed = sum(i.total_cents for i in live)
    overdue = [i for i in live if i.open_cents and i.due_date is not None and i.due_date < today]
    methods: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for m, a, _ in pays:
        methods[m][0] += 1
        methods[m][1] += a
    by_method = [
        MethodTotal(m, METHOD_LABELS.get(m, m), c, a, m != PaymentMethod.CREDITO_TUTOR)
        for m, (c, a) in sorted(methods.items(), key=lambda kv: -kv[1][1])
    ]
    billed_day: dict[date, int] = defaultdict(int)
    for i in live:
        billed_day[i.day] += i.total_cents
    got_day: dict[date, int] = defaultdict(int)
    for m, a, d in pays:
        if m != PaymentMethod.CREDITO_TUTOR:
            got_day[d] += a
    prev = f.previous()
    prev_billed = sum(i.total_cents for i in invoices(session, prev)
                      if i.status != InvoiceStatus.CANCELADA)
    return Financeiro(
        billed_cents=billed, invoice_count=len(live),
        average_ticket_cents=billed // len(live) if live else 0,
        received_cents=_received(pays), settled_cents=sum(i.paid_cents for i in live),
        open_cents=sum(i.open_cents for i in live),
        overdue_cents=sum(i.open_cents for i in overdue), overdue_count=len(overdue),
        cancelled_count=len(dead), cancelled_paid_cents=sum(i.paid_cents for i in dead),
        by_method=by_method,
        by_day=[DayMoney(d, billed_day.get(d, 0), got_day.get(d, 0)) for d in f.days()],
        previous_billed_cents=prev_billed,
        previous_received_cents=_received(payments(session, prev)),
    )
