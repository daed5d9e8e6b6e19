"""Domain tables (SQLModel) for one pet shop.

Conventions used everywhere in the core:
- money is integer centavos (``*_cents``);
- timestamps are stored in UTC; the installed SQLModel maps ``datetime`` fields to its
  ``UTCDateTime`` type, which only accepts AWARE datetimes (converted to UTC on write) and returns
  aware UTC datetimes on read — never assign a naive datetime. Rules convert to the shop's wall
  clock (``scheduler_core.kernel.clock``);
- weekdays are 0 = Monday ... 6 = Sunday (Python's ``date.weekday()``);
- times of day are "HH:MM" strings (wall clock of the shop);
- enumerations are stored as plain strings (values of the ``StrEnum`` classes below), so
  migrations never have to alter database enum types.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

from scheduler_core.kernel.clock import utc_now as utc_now  # the timestamp columns' default


def json_field(default: dict | list | None = None) -> Any:  # noqa: ANN401 - sqlmodel's Field()
    """A JSON column whose default is a fresh copy of ``default`` (a list unless given)."""
    is_dict = isinstance(default, dict)
    factory = (lambda: dict(default)) if is_dict else (lambda: list(default or []))
    return Field(default_factory=factory, sa_column=Column(JSON, nullable=False))
