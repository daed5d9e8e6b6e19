"""Tables of the admin panel: staff accounts, their sessions and login attempts.

Timestamps are aware UTC (SQLModel's UTCDateTime column type); enumerations are strings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel


class Role(StrEnum):
    DONO = "dono"
    ATENDENTE = "atendente"
    TOSADOR = "tosador"
    VETERINARIO = "veterinario"


class StaffUser(SQLModel, table=True):
    """A person who logs in to the panel. May be linked to an Employee (agenda column)."""

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int | None = Field(default=None, foreign_key="shop.id", index=True)
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    login: str = Field(unique=True, index=True)
    name: str = ""
    role: str = Role.ATENDENTE
    password_hash: str
    # Operator PIN (6 digits, argon2), asked again on sensitive actions.
    pin_hash: str = ""
    active: bool = True
    must_change_password: bool = False
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class StaffSession(SQLModel, table=True):
    """A logged-in browser. The cookie carries a random token; only its SHA-256 is stored."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, index=True)
    user_id: int = Field(foreign_key="staffuser.id", index=True)
    csrf_token: str
    created_at: datetime
    last_seen: datetime
    expires_at: datetime
    ip: str = ""
    user_agent: str = ""


class LoginAttempt(SQLModel, table=True):
    """One login attempt, kept for throttling (by login and by client address)."""

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(index=True)
    ip: str = Field(default="", index=True)
    at: datetime = Field(index=True)
    success: bool = False
