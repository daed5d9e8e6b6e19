"""Tables of the WhatsApp notifications (issue 13, spec/chatbot.md §13, backoffice.md §3.6).

Conventions: see scheduler_core/db/columns.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class NotificationOptOut(SQLModel, table=True):
    """A tutor who answered "parar": no notification is sent to them until they opt back in.
    One row per tutor; deleting the row (opting back in) keeps no history here, the audit log
    and the outbox's ``descartada`` rows do."""

    tutor_id: int = Field(foreign_key="tutor.id", primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    opted_out_at: datetime  # UTC
