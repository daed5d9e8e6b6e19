"""Tables of catalog: services, prices by porte × pelagem or breed, combos, add-ons, Leva e Traz
zones.

Conventions: see scheduler_core/db/columns.py.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler_core.db.columns import json_field


class CategoryKind(StrEnum):
    BANHO = "banho"
    TOSA = "tosa"
    CLINICA = "clinica"
    CRECHE = "creche"
    HOTEL = "hotel"
    ADICIONAL = "adicional"
    OUTRO = "outro"
    LEVA_E_TRAZ = "leva_e_traz"


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
    species: list[str] = json_field(["cao", "gato"])
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
    species: list[str] = json_field(["cao", "gato"])
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
    neighborhoods: list[str] = json_field()
    cep_prefixes: list[str] = json_field()
    fee_cents: int = 0
