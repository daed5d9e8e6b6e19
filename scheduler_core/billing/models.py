"""Tables of billing: cycles, invoices (faturas), payments and tutor credit.

Conventions: see scheduler_core/db/columns.py.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from scheduler_core.db.columns import utc_now
from scheduler_core.shop.models import PaymentMethod as PaymentMethod  # its home is the shop


class InvoiceKind(StrEnum):
    AGENDAMENTO = "agendamento"
    PLANO = "plano"
    AVULSA = "avulsa"
    VOUCHER = "voucher"


class InvoiceStatus(StrEnum):
    PENDENTE = "pendente"
    PAGA = "paga"
    PARCIAL = "parcial"
    VENCIDA = "vencida"
    CANCELADA = "cancelada"
    SEM_COBRANCA = "sem_cobranca"


class InvoiceItemKind(StrEnum):
    PRODUTO = "produto"
    SERVICO = "servico"
    VOUCHER = "voucher"
    LEVA_E_TRAZ = "leva_e_traz"
    OUTRO = "outro"


class CreditReason(StrEnum):
    OVERPAYMENT = "overpayment"
    VOUCHER = "voucher"
    PAYMENT_CONVERTED = "payment_converted"
    MANUAL = "manual"
    INVOICE_PAYMENT = "invoice_payment"
    REVERSAL = "reversal"


class BillingCycle(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    pet_plan_id: int = Field(foreign_key="petplan.id", index=True)
    seq: int
    period_start: date
    period_end: date
    due_date: date | None = None
    amount_cents: int = 0
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id")
    is_current: bool = False


class Invoice(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    number: int = Field(index=True)
    kind: str = InvoiceKind.AGENDAMENTO
    status: str = InvoiceStatus.PENDENTE
    tutor_id: int = Field(foreign_key="tutor.id", index=True)
    pet_id: int | None = Field(default=None, foreign_key="pet.id")
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id", index=True)
    due_date: date | None = None
    discount_cents: int = 0
    note: str = ""
    created_at: datetime = Field(default_factory=utc_now)
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str = ""


class InvoiceItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    kind: str = InvoiceItemKind.SERVICO
    name: str
    unit_cents: int
    quantity: int = 1
    in_plan: bool = False
    # Discount on this line (centavos, whole line); the invoice's own discount_cents is split
    # over the lines by scheduler_core.billing.invoices.split_discount.
    discount_cents: int = 0


class Payment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    method: str = PaymentMethod.PIX
    amount_cents: int
    at: datetime = Field(default_factory=utc_now)
    actor: str = ""
    reversed_at: datetime | None = None
    # One payment the tutor made (one receipt) may settle several invoices: one row per invoice,
    # all with the same batch; the change credited to the tutor carries it too (CreditEntry).
    batch: str = Field(default="", index=True)


class CreditEntry(SQLModel, table=True):
    """Tutor credit ledger row; the balance is the sum of ``delta_cents``."""

    id: int | None = Field(default=None, primary_key=True)
    tutor_id: int = Field(foreign_key="tutor.id", index=True)
    delta_cents: int
    reason: str = CreditReason.MANUAL
    reason_text: str = ""
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id")
    actor: str = ""
    created_at: datetime = Field(default_factory=utc_now)
    batch: str = Field(default="", index=True)  # the Payment.batch it belongs to, if any
