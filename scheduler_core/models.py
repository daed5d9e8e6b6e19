"""Domain tables (SQLModel) for one pet shop.

Conventions used everywhere in the core:
- money is integer centavos (``*_cents``);
- timestamps are stored in UTC; the installed SQLModel maps ``datetime`` fields to its
  ``UTCDateTime`` type, which only accepts AWARE datetimes (converted to UTC on write) and returns
  aware UTC datetimes on read — never assign a naive datetime. Rules convert to the shop's wall
  clock (``scheduler_core.clock``);
- weekdays are 0 = Monday ... 6 = Sunday (Python's ``date.weekday()``);
- times of day are "HH:MM" strings (wall clock of the shop);
- enumerations are stored as plain strings (values of the ``StrEnum`` classes below), so
  migrations never have to alter database enum types.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


def _utcnow() -> datetime:
    """Aware UTC now: the default of every timestamp column (naive values are refused)."""
    return datetime.now(UTC)


def _json(default: Any = None) -> Any:
    """A JSON column whose default is a fresh copy of ``default`` (a list unless given)."""
    is_dict = isinstance(default, dict)
    factory = (lambda: dict(default)) if is_dict else (lambda: list(default or []))
    return Field(default_factory=factory, sa_column=Column(JSON, nullable=False))


# --------------------------------------------------------------------------- enumerations


class SegmentKind(StrEnum):
    PET_SHOP = "pet_shop"
    CLINICA = "clinica"
    CRECHE = "creche"
    HOTEL = "hotel"


class Species(StrEnum):
    CAO = "cao"
    GATO = "gato"
    ROEDOR = "roedor"


class Porte(StrEnum):
    MINI = "mini"
    PEQUENO = "pequeno"
    MEDIO = "medio"
    GRANDE = "grande"
    GIGANTE = "gigante"


class Pelagem(StrEnum):
    CURTA = "curta"
    MEDIA = "media"
    LONGA = "longa"


class CategoryKind(StrEnum):
    BANHO = "banho"
    TOSA = "tosa"
    CLINICA = "clinica"
    CRECHE = "creche"
    HOTEL = "hotel"
    ADICIONAL = "adicional"
    OUTRO = "outro"
    LEVA_E_TRAZ = "leva_e_traz"


class BillingMode(StrEnum):
    PORTE_PELAGEM = "porte_pelagem"
    RACA = "raca"


class PetStatus(StrEnum):
    ATIVO = "ativo"
    INATIVO = "inativo"
    FALECIDO = "falecido"


class AppointmentStatus(StrEnum):
    AGENDADO = "agendado"
    CONFIRMADO = "confirmado"
    RECEBIDO = "recebido"
    EM_ATENDIMENTO = "em_atendimento"
    FINALIZADO = "finalizado"
    ENTREGUE = "entregue"
    CANCELADO = "cancelado"
    NAO_COMPARECEU = "nao_compareceu"


# Statuses that no longer hold capacity (spec/scheduling.md §3.7).
FREEING_STATUSES = frozenset({AppointmentStatus.CANCELADO, AppointmentStatus.NAO_COMPARECEU})


class Origin(StrEnum):
    BOT = "bot"
    STAFF = "staff"
    API = "api"


class RestrictionScope(StrEnum):
    AGENDA = "agenda"
    ROBO = "robo"
    AMBOS = "ambos"


class Channel(StrEnum):
    STAFF = "staff"
    BOT = "bot"


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


class InvoiceKind(StrEnum):
    AGENDAMENTO = "agendamento"
    PLANO = "plano"
    AVULSA = "avulsa"
    VOUCHER = "voucher"


class InvoiceStatus(StrEnum):
    PENDENTE = "pendente"
    PAGA = "paga"
    VENCIDA = "vencida"
    CANCELADA = "cancelada"
    SEM_COBRANCA = "sem_cobranca"


class InvoiceItemKind(StrEnum):
    PRODUTO = "produto"
    SERVICO = "servico"
    VOUCHER = "voucher"
    LEVA_E_TRAZ = "leva_e_traz"
    OUTRO = "outro"


class PaymentMethod(StrEnum):
    PIX = "pix"
    DINHEIRO = "dinheiro"
    CARTAO_CREDITO = "cartao_credito"
    CARTAO_DEBITO = "cartao_debito"
    CREDITO_TUTOR = "credito_tutor"


class CreditReason(StrEnum):
    OVERPAYMENT = "overpayment"
    VOUCHER = "voucher"
    PAYMENT_CONVERTED = "payment_converted"
    MANUAL = "manual"
    INVOICE_PAYMENT = "invoice_payment"
    REVERSAL = "reversal"


class BotMode(StrEnum):
    OFF = "off"
    AUTO_REPLY = "auto_reply"
    SIMULATION = "simulation"
    LIVE = "live"


class SlotDisplay(StrEnum):
    TODOS = "todos"
    A_CADA_30 = "30"
    A_CADA_60 = "60"


class PriceDisplay(StrEnum):
    A_PARTIR = "a_partir"
    EXATO = "exato"
    OCULTO = "oculto"


# --------------------------------------------------------------------------- shop


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
    payment_methods: list[str] = _json(["pix", "dinheiro", "cartao_credito", "cartao_debito"])
    # Portes the shop does not accept (Parâmetros de Cobrança).
    not_accepted_portes: list[str] = _json()
    # Porte by weight: {"mini": [0, 3], "pequeno": [3, 15], ...} in kg (upper bound exclusive).
    porte_weights: dict = _json(
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


class Segment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    kind: str = SegmentKind.PET_SHOP
    name: str
    active: bool = True
    open_24h: bool = False
    slot_step_min: int = 15
    species: list[str] = _json(["cao", "gato"])
    # Day-care capacity (pets per day); unused by other segments.
    daily_capacity: int | None = None


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


# --------------------------------------------------------------------------- staff


class Employee(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    name: str
    cpf: str = ""
    email: str = ""
    phone: str = ""
    has_calendar: bool = True
    active: bool = True
    species: list[str] = _json(["cao", "gato"])
    operator_pin_hash: str = ""
    can_cancel: bool = False
    can_edit_invoices: bool = False
    can_edit_blocks: bool = False
    can_see_sensitive: bool = False


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


# --------------------------------------------------------------------------- catalogue


class ServiceCategory(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    segment_id: int = Field(foreign_key="segment.id", index=True)
    name: str
    kind: str = CategoryKind.BANHO
    display_order: int = 0


class Service(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(foreign_key="servicecategory.id", index=True)
    name: str
    show_on_bot: bool = True
    active: bool = True
    is_addon: bool = False
    species: list[str] = _json(["cao", "gato"])
    description: str = ""
    guidance: str = ""
    commission_pct: int = 0
    # Catalogue order: a visit's services are chained by (category order, display order).
    display_order: int = 0


class PriceEntry(SQLModel, table=True):
    """One cell of a service's price & duration table: by porte × pelagem, or by breed."""

    __table_args__ = (UniqueConstraint("service_id", "porte", "pelagem", "breed_id"),)
    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="service.id", index=True)
    porte: str | None = None
    pelagem: str | None = None
    breed_id: int | None = Field(default=None, foreign_key="breed.id")
    price_cents: int
    duration_min: int


class ServiceResource(SQLModel, table=True):
    service_id: int = Field(foreign_key="service.id", primary_key=True)
    resource_id: int = Field(foreign_key="resource.id", primary_key=True)
    units: int = 1


class Combo(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    segment_id: int = Field(foreign_key="segment.id", index=True)
    name: str
    show_on_bot: bool = True
    active: bool = True
    species: list[str] = _json(["cao", "gato"])
    description: str = ""
    # "valor" (discount_value in centavos) or "percentual" (discount_value in percent).
    discount_kind: str = "percentual"
    discount_value: int = 0


class ComboItem(SQLModel, table=True):
    combo_id: int = Field(foreign_key="combo.id", primary_key=True)
    service_id: int = Field(foreign_key="service.id", primary_key=True)


class LevaETrazZone(SQLModel, table=True):
    """A Leva e Traz fee zone: a neighbourhood name or a CEP prefix."""

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    name: str
    neighborhoods: list[str] = _json()
    cep_prefixes: list[str] = _json()
    fee_cents: int = 0


class Breed(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    species: str = Field(index=True)
    name: str
    default_porte: str | None = None
    default_pelagem: str | None = None


class NotAcceptedBreed(SQLModel, table=True):
    shop_id: int = Field(foreign_key="shop.id", primary_key=True)
    breed_id: int = Field(foreign_key="breed.id", primary_key=True)
    message: str = ""


# --------------------------------------------------------------------------- tutors and pets


class Tutor(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    name: str
    cpf: str = Field(default="", index=True)
    whatsapp: str = Field(default="", index=True)  # E.164, e.g. +5511987654321
    wa_user_id: str | None = Field(default=None, index=True)  # Meta business-scoped user id
    phone2: str = ""
    email: str = ""
    birth_date: date | None = None
    notes: str = ""
    allow_bot: bool = True
    cep: str = ""
    street: str = ""
    number: str = ""
    complement: str = ""
    neighborhood: str = ""
    city: str = ""
    state: str = ""
    created_at: datetime = Field(default_factory=_utcnow)


class Pet(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    tutor_id: int = Field(foreign_key="tutor.id", index=True)
    name: str
    species: str = Species.CAO
    breed_id: int | None = Field(default=None, foreign_key="breed.id")
    porte: str | None = None
    pelagem: str | None = None
    sex: str | None = None  # "macho" | "femea"
    birth_date: date | None = None
    weight_grams: int | None = None
    status: str = PetStatus.ATIVO
    microchip: str = ""
    notes: str = ""
    created_at: datetime = Field(default_factory=_utcnow)


# --------------------------------------------------------------------------- agenda


class Appointment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    segment_id: int = Field(foreign_key="segment.id", index=True)
    tutor_id: int = Field(foreign_key="tutor.id", index=True)
    pet_id: int = Field(foreign_key="pet.id", index=True)
    start: datetime = Field(index=True)  # UTC
    end: datetime
    status: str = Field(default=AppointmentStatus.AGENDADO, index=True)
    is_encaixe: bool = False
    origin: str = Origin.STAFF
    pet_plan_id: int | None = Field(default=None, foreign_key="petplan.id")
    combo_id: int | None = Field(default=None, foreign_key="combo.id")
    total_cents: int = 0
    discount_cents: int = 0
    leva_e_traz: bool = False
    leva_e_traz_fee_cents: int = 0
    leva_e_traz_zone_id: int | None = Field(default=None, foreign_key="levaetrazzone.id")
    notes: str = ""
    idempotency_key: str | None = Field(default=None, unique=True)
    # sha256 of what the keyed request asked for (scheduler_core.idempotency); None: no key.
    idempotency_fingerprint: str | None = None
    created_at: datetime = Field(default_factory=_utcnow)
    updated_at: datetime = Field(default_factory=_utcnow)
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    # pt-BR note when a plan booking fell back to the normal price (allowance used up).
    plan_note: str = ""
    series_id: int | None = Field(default=None, foreign_key="recurrenceseries.id", index=True)


class RecurrenceSeries(SQLModel, table=True):
    """Appointments repeated every N weeks outside a plan (scheduling.md §3.6)."""

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    pet_id: int = Field(foreign_key="pet.id", index=True)
    every_weeks: int = 1
    count: int | None = None  # occurrences asked for (the first included)
    until: date | None = None  # last possible date (shop wall clock)
    created_by: str = ""
    created_at: datetime = Field(default_factory=_utcnow)


class AppointmentItem(SQLModel, table=True):
    """One service of a visit, with its professional, its own times and a price snapshot."""

    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    service_id: int = Field(foreign_key="service.id")
    employee_id: int = Field(foreign_key="employee.id", index=True)
    start: datetime = Field(index=True)  # UTC
    end: datetime
    position: int = 0
    price_cents: int = 0
    duration_min: int = 0
    in_plan: bool = False


class StatusChange(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    from_status: str
    to_status: str
    at: datetime = Field(default_factory=_utcnow)
    actor: str = ""


class Block(SQLModel, table=True):
    """A calendar block over several dates, for the shop (employee_id None) or one employee."""

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    dates: list[str] = _json()  # ISO dates, shop wall clock
    all_day: bool = True
    start: str | None = None  # "HH:MM" when not all_day
    end: str | None = None
    reason: str = ""
    created_at: datetime = Field(default_factory=_utcnow)


class Restriction(SQLModel, table=True):
    """A booking guard: blocks when all of its conditions match (AND).

    ``conditions`` keys (all optional): service_ids, segment_ids, weekdays, species, portes,
    pelagens, breed_ids, sexes, pet_statuses, age_min_months, age_max_months.
    """

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    name: str
    scope: str = RestrictionScope.AMBOS
    active: bool = True
    description: str = ""  # shown to the tutor as the reason
    conditions: dict = _json({})


# --------------------------------------------------------------------------- plans and packages


class PlanTemplate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    name: str
    kind: str = PlanKind.MENSAL
    show_on_bot: bool = False
    active: bool = True
    species: list[str] = _json(["cao"])
    description: str = ""
    price_cents: int = 0
    # Optional price by porte: {"pequeno": 19900, ...}; falls back to price_cents.
    price_by_porte: dict = _json({})
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
    created_at: datetime = Field(default_factory=_utcnow)


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
    """One allowance unit taken by one service of one appointment (scheduler_core.plans)."""

    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    allowance_id: int = Field(foreign_key="allowance.id", index=True)
    service_id: int = Field(foreign_key="service.id")
    state: str = PlanUsageState.HELD
    created_at: datetime = Field(default_factory=_utcnow)
    updated_at: datetime = Field(default_factory=_utcnow)


class PlanLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    pet_plan_id: int = Field(foreign_key="petplan.id", index=True)
    kind: str  # sell, cancel, invoice_payment, new_booking, canceled_booking, manual_editing, ...
    at: datetime = Field(default_factory=_utcnow)
    note: str = ""
    actor: str = ""
    appointment_id: int | None = None
    invoice_id: int | None = None


# --------------------------------------------------------------------------- billing


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
    created_at: datetime = Field(default_factory=_utcnow)
    paid_at: datetime | None = None


class InvoiceItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    kind: str = InvoiceItemKind.SERVICO
    name: str
    unit_cents: int
    quantity: int = 1
    in_plan: bool = False


class Payment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    method: str = PaymentMethod.PIX
    amount_cents: int
    at: datetime = Field(default_factory=_utcnow)
    actor: str = ""
    reversed_at: datetime | None = None


class CreditEntry(SQLModel, table=True):
    """Tutor credit ledger row; the balance is the sum of ``delta_cents``."""

    id: int | None = Field(default=None, primary_key=True)
    tutor_id: int = Field(foreign_key="tutor.id", index=True)
    delta_cents: int
    reason: str = CreditReason.MANUAL
    reason_text: str = ""
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id")
    actor: str = ""
    created_at: datetime = Field(default_factory=_utcnow)


# --------------------------------------------------------------------------- bot settings, audit


class BotSettings(SQLModel, table=True):
    """Per-shop WhatsApp bot settings (spec/chatbot.md §14 with our defaults)."""

    shop_id: int = Field(foreign_key="shop.id", primary_key=True)
    mode: str = BotMode.SIMULATION
    auto_reply_text: str = "Olá! No momento não estamos atendendo por aqui. Retornaremos em breve."
    greeting_new: str = "Olá! Eu sou o assistente virtual do {shop}. Vamos começar seu cadastro?"
    greeting_known: str = "Olá, {tutor}! Que bom te ver de novo no {shop}. Como posso ajudar?"
    # Ordered menu actions; each {"key": ..., "enabled": bool}.
    menu: list = _json(
        [
            {"key": "agendar_banho_tosa", "enabled": True},
            {"key": "agendar_clinica", "enabled": True},
            {"key": "meus_agendamentos", "enabled": True},
            {"key": "repetir_ultimo", "enabled": True},
            {"key": "falar_atendente", "enabled": True},
        ]
    )
    # Keyword triggers, in order: {"text", "match": "exata" | "contem", "action": menu key}
    # (scheduler_core.triggers).
    triggers: list = _json([])
    # Which pet data to collect on registration.
    ask_species: bool = True
    ask_breed: bool = True
    ask_porte: bool = True
    ask_pelagem: bool = True
    ask_sex: bool = False
    ask_birth_date: bool = False
    ask_weight: bool = False
    allow_pet_registration: bool = True
    price_display: str = PriceDisplay.A_PARTIR
    addons_enabled: bool = True
    choose_employee: bool = True
    same_service_other_pet: bool = True
    slot_display: str = SlotDisplay.TODOS
    min_notice_hours: int = 2
    cancel_enabled: bool = True
    cancel_min_notice_hours: int = 24
    reschedule_enabled: bool = True
    reschedule_min_notice_hours: int = 12
    horizon_days: int = 10
    page_days: int = 2
    handoff_timeout_min: int = 30
    misunderstand_limit: int = 2
    msg_in_hours: str = "Um atendente vai falar com você em instantes. 😊"
    msg_out_hours: str = (
        "Estamos fora do horário de atendimento agora. Um atendente responde assim que abrirmos."
    )


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int | None = Field(default=None, index=True)
    at: datetime = Field(default_factory=_utcnow, index=True)
    actor: str = ""  # "staff:3", "bot", "api:client", ...
    action: str
    entity: str = ""
    entity_id: int | None = None
    details: dict = _json({})
