"""The demo shop's seed data: the YAML files under ``scheduler_core/demo/data/`` (the shop and its
catalogue, the people pools, how the agenda is filled, the plans sold) and their small readers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from sqlalchemy import Column
from sqlmodel import SQLModel

PORTES = ("mini", "pequeno", "medio", "grande", "gigante")
PELAGENS = ("curta", "media", "longa")
SATURDAY = 5

# (porte, pelagem) → (price in centavos, minutes)
PriceTable = dict[tuple[str, str], tuple[int, int]]


@cache
def data(name: str) -> Mapping[str, Any]:
    """One data file (``shop``, ``people``, ``agenda``, ``plans``), parsed once; read only."""
    text = (files("scheduler_core.demo") / "data" / f"{name}.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def price_table(spec: Mapping[str, Any]) -> PriceTable:
    """A service's table from its ``flat``, ``by_porte`` or ``by_coat`` entry (reais, minutes)."""
    if "flat" in spec:
        reais, minutes = spec["flat"]
        return {(p, c): (reais * 100, minutes) for p in PORTES for c in PELAGENS}
    if "by_porte" in spec:
        return {
            (p, c): (spec["by_porte"][p][0] * 100, spec["by_porte"][p][1])
            for p in PORTES
            for c in PELAGENS
        }
    return {
        (p, c): (spec["by_coat"][p][i][0] * 100, spec["by_coat"][p][i][1])
        for p in PORTES
        for i, c in enumerate(PELAGENS)
    }


def week(spec: Mapping[str, Any]) -> dict[int, list[tuple[str, str]]]:
    """Weekday → ranges from ``weekdays`` (on ``days``, default Monday–Friday) and ``saturday``."""
    out: dict[int, list[tuple[str, str]]] = {
        day: [tuple(r) for r in spec["weekdays"]] for day in spec.get("days", range(5))
    }
    if spec.get("saturday"):
        out[SATURDAY] = [tuple(r) for r in spec["saturday"]]
    return out


def stamp(column: Column, moment: datetime) -> datetime:
    """A datetime as the column stores it (aware UTC, or naive UTC for a naive column)."""
    utc = moment.astimezone(UTC)
    return utc if getattr(column.type, "timezone", False) else utc.replace(tzinfo=None)


def col(model: type[SQLModel], name: str) -> Column:
    return model.__table__.c[name]
