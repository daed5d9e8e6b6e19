"""Shared helpers of the billing tests: invoices through the real core, one unit of work each."""

from __future__ import annotations

from datetime import date, datetime

from scheduler_core.billing import credit, invoices, payments
from scheduler_core.billing.invoices import InvoiceView, ItemSpec
from scheduler_core.billing.models import InvoiceKind
from scheduler_core.db.engine import read_session, write_session
from tests.scheduler_core.factories import NOW, ShopWorld


def new_invoice(
    world: ShopWorld,
    *lines: tuple[str, int] | ItemSpec,
    kind: str = InvoiceKind.AVULSA,
    due: date | None = None,
    discount: int = 0,
    tutor_id: int | None = None,
    now: datetime = NOW,
) -> int:
    """An invoice with ``lines`` ((name, unit cents) or ItemSpec); returns its id."""
    items = [ln if isinstance(ln, ItemSpec) else ItemSpec(ln[0], ln[1]) for ln in lines]
    with write_session(world.engine) as s:
        invoice = invoices.create_invoice(
            s, shop_id=world.shop_id, tutor_id=tutor_id or world.tutor_id, kind=kind,
            items=items or [ItemSpec("Banho", 5000)], now=now, actor="staff:1", due_date=due,
            discount_cents=discount,
        )
        return invoice.id


def view(world: ShopWorld, invoice_id: int) -> InvoiceView:
    with read_session(world.engine) as s:
        return invoices.invoice_view(s, invoice_id)


def pay(world: ShopWorld, *invoice_ids: int, amount: int, method: str = "pix",
        now: datetime = NOW, **kwargs) -> payments.Receipt:
    with write_session(world.engine) as s:
        return payments.pay(
            s, invoice_ids=invoice_ids, method=method, amount_cents=amount, now=now,
            actor="staff:1", **kwargs,
        )


def balance(world: ShopWorld, tutor_id: int | None = None) -> int:
    with read_session(world.engine) as s:
        return credit.balance(s, tutor_id or world.tutor_id)
