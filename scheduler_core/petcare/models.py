"""Tables of Pet Care: a shop's protocols and the doses of each pet.

Conventions: see scheduler_core/db/columns.py. Dates of doses are calendar days of the shop
(``date``), never timestamps: a vaccine is due "on 12/03", not at an hour.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from scheduler_core.db.columns import utc_now


class ProtocolKind(StrEnum):
    VACINA = "vacina"
    VERMIFUGO = "vermifugo"
    ANTIPARASITARIO = "antiparasitario"


class DoseStatus(StrEnum):
    """Derived, never stored: aplicada when the dose has an application date, atrasada when its
    due date has passed without one, agendada otherwise (:func:`.rules.dose_status`)."""

    AGENDADA = "agendada"
    ATRASADA = "atrasada"
    APLICADA = "aplicada"


class PetCareProtocol(SQLModel, table=True):
    """Configuração → Pet Care: e.g. "V10, cão, 3 doses a cada 21 dias, reforço anual"."""

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    kind: str = ProtocolKind.VACINA
    name: str
    species: str = ""  # a Species value, "" = every species
    doses: int = 1  # doses of the initial series
    interval_days: int = 0  # between two doses of the series
    repeat_days: int = 0  # booster after the series (and after each booster); 0 = none
    instructions: str = ""
    active: bool = True
    created_at: datetime = Field(default_factory=utc_now)


class PetCareDose(SQLModel, table=True):
    """One dose of a protocol for a pet: scheduled (``applied_on`` empty) or applied."""

    __table_args__ = (
        Index("ix_petcaredose_shop_due", "shop_id", "due_on"),
        Index("ix_petcaredose_pet_protocol", "pet_id", "protocol_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    pet_id: int = Field(foreign_key="pet.id")
    protocol_id: int = Field(foreign_key="petcareprotocol.id")
    number: int  # 1..doses = the series, above = boosters
    due_on: date | None = None  # None: recorded as applied without having been scheduled
    applied_on: date | None = None
    applied_by: str = ""  # who applied it (an employee's name, "outra clínica"…)
    manufacturer: str = ""
    batch: str = ""
    notes: str = ""
    reminder: bool = True  # send the tutor a WhatsApp reminder for this dose
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
