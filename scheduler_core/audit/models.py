"""Tables of audit: the audit trail: one row per sensitive action.

Conventions: see scheduler_core/db/columns.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from scheduler_core.db.columns import json_field, utc_now


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int | None = Field(default=None, index=True)
    at: datetime = Field(default_factory=utc_now, index=True)
    actor: str = ""  # "staff:3", "bot", "api:client", ...
    action: str
    entity: str = ""
    entity_id: int | None = None
    details: dict = json_field({})
