"""Tables of shop: the shop: segments, opening hours, resources, employees and their shifts.

Conventions: see scheduler_core/db/columns.py.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Field, SQLModel

from scheduler_core.db.columns import json_field


class SegmentKind(StrEnum):
    PET_SHOP = "pet_shop"
    CLINICA = "clinica"
    CRECHE = "creche"
    HOTEL = "hotel"


class BillingMode(StrEnum):
    PORTE_PELAGEM = "porte_pelagem"
    RACA = "raca"


class Shop(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    whatsapp: str = ""  # E.164
    cnpj: str = ""
    description: str = ""
    timezone: str = "America/Sao_Paulo"
    billing_mode: str = BillingMode.PORTE_PELAGEM
    staff_horizon_days: int = 90
    # Address (CEP fills the rest in the admin).
    cep: str = ""
    street: str = ""
    number: str = ""
    complement: str = ""
    neighborhood: str = ""
    city: str = ""
    state: str = ""
    # The shop's Pix key (CPF, CNPJ, e-mail, +55 phone or random key) for the invoices' BR Code.
    pix_key: str = ""
    payment_methods: list[str] = json_field(["pix", "dinheiro", "cartao_credito", "cartao_debito"])
    # Portes the shop does not accept (Parâmetros de Cobrança).
    not_accepted_portes: list[str] = json_field()
    # Porte by weight: {"mini": [0, 3], "pequeno": [3, 15], ...} in kg (upper bound exclusive).
    porte_weights: dict = json_field(
        {
            "mini": [0, 3],
            "pequeno": [3, 15],
            "medio": [15, 30],
            "grande": [30, 45],
            "gigante": [45, 999],
        }
    )
    # Leva e Traz (pick-up & drop-off).
    leva_e_traz_enabled: bool = False
    leva_e_traz_flat_fee_cents: int = 0
    leva_e_traz_min_notice_hours: int = 24
    leva_e_traz_pickup_window_min: int = 60
    leva_e_traz_notice: str = ""
    # Sensitive tutor data (CPF, phones, e-mail, address): the staff roles that see it unmasked
    # by default (the owner always does; each employee can be granted or refused on top), and
    # whether opening a tutor's page asks for the operator PIN first (the opening is audited).
    sensitive_roles: list[str] = json_field(["atendente", "veterinario"])
    pin_to_open_tutor: bool = False
    # The staff roles that may move a visit's status backwards (the owner always may; each
    # employee can be granted it on top: Employee.can_revert_status).
    status_back_roles: list[str] = json_field([])


class Segment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    kind: str = SegmentKind.PET_SHOP
    name: str
    active: bool = True
    open_24h: bool = False
    slot_step_min: int = 15
    species: list[str] = json_field(["cao", "gato"])
    # Creche / hotel places per day (scheduler_core.scheduling.occupancy); unused by other kinds.
    daily_capacity: int | None = None
    # Optional places per day of one species on top of daily_capacity: {"cao": 6, "gato": 4}.
    species_capacity: dict[str, int] = json_field({})
    # Hotel stays (scheduler_core.scheduling.stays): check-in and check-out, shop wall clock.
    check_in_time: str = "14:00"
    check_out_time: str = "12:00"


class OpeningRange(SQLModel, table=True):
    """One open range of a segment on a weekday; the gaps between ranges are breaks (≤ 3)."""

    id: int | None = Field(default=None, primary_key=True)
    segment_id: int = Field(foreign_key="segment.id", index=True)
    weekday: int
    start: str  # "HH:MM"
    end: str


class Resource(SQLModel, table=True):
    """Shared equipment of a segment used by services (tubs, dryers), with a capacity."""

    id: int | None = Field(default=None, primary_key=True)
    segment_id: int = Field(foreign_key="segment.id", index=True)
    name: str
    capacity: int = 1


class Employee(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    name: str
    cpf: str = ""
    email: str = ""
    phone: str = ""
    has_calendar: bool = True
    active: bool = True
    species: list[str] = json_field(["cao", "gato"])
    operator_pin_hash: str = ""
    can_cancel: bool = False
    can_edit_invoices: bool = False
    can_edit_blocks: bool = False
    can_revert_status: bool = False  # move a card backwards on the service board
    can_see_sensitive: bool = False  # granted on top of the role
    deny_sensitive: bool = False  # refused although the role sees it


class EmployeeCategory(SQLModel, table=True):
    employee_id: int = Field(foreign_key="employee.id", primary_key=True)
    category_id: int = Field(foreign_key="servicecategory.id", primary_key=True)


class WorkingRange(SQLModel, table=True):
    """A working range of an employee on a weekday; several per weekday are allowed."""

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    weekday: int
    start: str
    end: str
