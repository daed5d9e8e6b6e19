"""One cell of a service's price table (porte × pelagem, or breed): plain data, no database."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PriceCell:
    """The price and duration of a service for one pet's key (porte × pelagem or breed)."""

    price_cents: int
    duration_min: int
