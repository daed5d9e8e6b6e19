"""Tables of plans: planos & Pacotes: templates, sold plans, allowances and their usage.

Conventions: see scheduler_core/db/columns.py.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from scheduler_core.billing.models import PaymentMethod
from scheduler_core.db.columns import json_field, utc_now


class PlanKind(StrEnum):
    MENSAL = "mensal"
    TRIMESTRAL = "trimestral"
    SEMESTRAL = "semestral"
    ANUAL = "anual"
    PACOTE = "pacote"


class PetPlanStatus(StrEnum):
    ATIVO = "ativo"
    EXPIRADO = "expirado"
    CANCELADO = "cancelado"
    ESGOTADO = "esgotado"
    FINALIZADO = "finalizado"


class PlanTemplate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    name: str
    kind: str = PlanKind.MENSAL
    show_on_bot: bool = False
    active: bool = True
    species: list[str] = json_field(["cao"])
    breed_ids: list[int] = json_field([])  # empty: every breed of the species
    description: str = ""
    price_cents: int = 0
    # Optional price by porte: {"pequeno": 19900, ...}; falls back to price_cents.
    price_by_porte: dict = json_field({})
    # Optional finer prices (scheduler_core.plans.pricing.price_for_pet):
    # {"porte|pelagem": cents, "breed:<id>": cents}.
    price_table: dict = json_field({})
    discount_pct: int = 0
    payment_method: str = PaymentMethod.PIX
    charge_every_n: int | None = None  # packages: one cycle invoice per N appointments
    allow_rollover: bool = False
    months: int = 1  # validity (packages) or period length (plans)


class PlanTemplateService(SQLModel, table=True):
    template_id: int = Field(foreign_key="plantemplate.id", primary_key=True)
    service_id: int = Field(foreign_key="service.id", primary_key=True)
    quantity: int = 1  # per billing cycle
    reserve: str | None = None  # None | "semanal" | "quinzenal"
    per_week: int = 1
    weekday: int | None = None  # fixed slot: 0 = Monday … 6 = Sunday
    start_time: str | None = None  # fixed slot: "HH:MM" (shop time)


class PetPlan(SQLModel, table=True):
    """A plan or package sold to one pet."""

    id: int | None = Field(default=None, primary_key=True)
    tutor_id: int = Field(foreign_key="tutor.id", index=True)
    pet_id: int = Field(foreign_key="pet.id", index=True)
    template_id: int = Field(foreign_key="plantemplate.id")
    segment_id: int = Field(foreign_key="segment.id")
    start_date: date
    end_date: date
    price_cents: int
    status: str = PetPlanStatus.ATIVO
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    leva_e_traz: bool = False
    notes: str = ""
    created_at: datetime = Field(default_factory=utc_now)


class Allowance(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="billingcycle.id", index=True)
    service_id: int = Field(foreign_key="service.id")
    included_qty: int
    used_qty: int = 0


class PlanUsageState(StrEnum):
    HELD = "held"  # booked: the unit is taken
    RETURNED = "returned"  # cancelled in time: the unit went back
    CONSUMED = "consumed"  # late cancellation or no-show: the unit is spent


class PlanUsage(SQLModel, table=True):
    """One allowance unit taken by one service of one appointment (scheduler_core.plans.service)."""

    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    allowance_id: int = Field(foreign_key="allowance.id", index=True)
    service_id: int = Field(foreign_key="service.id")
    state: str = PlanUsageState.HELD
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)


class PlanLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    pet_plan_id: int = Field(foreign_key="petplan.id", index=True)
    kind: str  # sell, cancel, invoice_payment, new_booking, canceled_booking, manual_editing, ...
    at: datetime = Field(default_factory=utc_now)
    note: str = ""
    actor: str = ""
    appointment_id: int | None = None
    invoice_id: int | None = None
