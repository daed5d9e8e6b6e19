"""Tables of the agenda: visits, items, status history, blocks, restrictions, recurring series.

Conventions: see scheduler_core/db/columns.py.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from scheduler_core.db.columns import json_field, utc_now


class AppointmentStatus(StrEnum):
    AGENDADO = "agendado"
    CONFIRMADO = "confirmado"
    RECEBIDO = "recebido"
    EM_ATENDIMENTO = "em_atendimento"
    FINALIZADO = "finalizado"
    ENTREGUE = "entregue"
    CANCELADO = "cancelado"
    NAO_COMPARECEU = "nao_compareceu"


FREEING_STATUSES = frozenset({AppointmentStatus.CANCELADO, AppointmentStatus.NAO_COMPARECEU})


class Origin(StrEnum):
    BOT = "bot"
    STAFF = "staff"
    API = "api"


class RestrictionScope(StrEnum):
    AGENDA = "agenda"
    ROBO = "robo"
    AMBOS = "ambos"


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
    # sha256 of what the keyed request asked for (scheduler_core.scheduling.idempotency); None: no
    # key.
    idempotency_fingerprint: str | None = None
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
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
    created_at: datetime = Field(default_factory=utc_now)


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
    at: datetime = Field(default_factory=utc_now)
    actor: str = ""


class Block(SQLModel, table=True):
    """A calendar block over several dates, for the shop (employee_id None) or one employee."""

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    dates: list[str] = json_field()  # ISO dates, shop wall clock
    all_day: bool = True
    start: str | None = None  # "HH:MM" when not all_day
    end: str | None = None
    reason: str = ""
    created_at: datetime = Field(default_factory=utc_now)


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
    conditions: dict = json_field({})
