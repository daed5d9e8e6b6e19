"""Tables of people: tutors and pets: records, lookup by phone or WhatsApp id, breeds, name reading.

Conventions: see scheduler_core/db/columns.py.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from scheduler_core.db.columns import utc_now


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


class PetStatus(StrEnum):
    ATIVO = "ativo"
    INATIVO = "inativo"
    FALECIDO = "falecido"


class Breed(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    species: str = Field(index=True)
    name: str
    default_porte: str | None = None
    default_pelagem: str | None = None


class BreedAlias(SQLModel, table=True):
    """A nickname staff added to a breed (Configuração → Raças); the bot's fuzzy match uses it
    beside the shipped aliases of breeds.csv."""

    id: int | None = Field(default=None, primary_key=True)
    breed_id: int = Field(foreign_key="breed.id", index=True)
    alias: str
    created_at: datetime = Field(default_factory=utc_now)


class NotAcceptedBreed(SQLModel, table=True):
    shop_id: int = Field(foreign_key="shop.id", primary_key=True)
    breed_id: int = Field(foreign_key="breed.id", primary_key=True)
    message: str = ""


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
    created_at: datetime = Field(default_factory=utc_now)


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
    created_at: datetime = Field(default_factory=utc_now)
