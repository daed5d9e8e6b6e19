"""Tables of the WhatsApp notifications (issue 13, spec/chatbot.md §13, backoffice.md §3.6).

Conventions: see scheduler_core/db/columns.py.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler_core.db.columns import json_field, utc_now


class NotificationOptOut(SQLModel, table=True):
    """A tutor who answered "parar": no notification is sent to them until they opt back in.
    One row per tutor; deleting the row (opting back in) keeps no history here, the audit log
    and the outbox's ``descartada`` rows do."""

    tutor_id: int = Field(foreign_key="tutor.id", primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    opted_out_at: datetime  # UTC


class NotificationSetting(SQLModel, table=True):
    """A shop's choices for one notification kind (Configurações → Notificações). A kind with no
    row uses the defaults of :mod:`scheduler_core.notifications.texts`."""

    __table_args__ = (UniqueConstraint("shop_id", "kind", name="uq_notificationsetting_shop_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    kind: str  # texts.Kind
    enabled: bool = True
    text: str = ""
    template_name: str = ""
    template_language: str = "pt_BR"
    template_params: list[str] = json_field()  # variable names, Meta's {{1}}, {{2}}, … in order
    offset_hours: int = 0
    offset_days: int = 0
    send_time: str = ""  # "HH:MM" shop wall clock, for the kinds sent on a date
    updated_at: datetime = Field(default_factory=utc_now)


class NotificationPrefs(SQLModel, table=True):
    """A shop's sending rules: quiet hours (shop wall clock; a window across midnight when start >
    end) and how late a due notification may still go out."""

    shop_id: int = Field(foreign_key="shop.id", primary_key=True)
    quiet_start: str = "20:00"
    quiet_end: str = "08:00"
    late_drop_hours: int = 6


class OutboxStatus(StrEnum):
    PLANEJADA = "planejada"
    ENVIANDO = "enviando"
    ENVIADA = "enviada"
    ENTREGUE = "entregue"
    LIDA = "lida"
    FALHOU = "falhou"
    DESCARTADA = "descartada"


class Notification(SQLModel, table=True):
    """One planned WhatsApp notification: the outbox row. ``(event_key, kind, recipient)`` is
    unique, so the planner can run any number of times, in any number of workers, and a
    notification is planned once; the sender claims a row by moving it from ``planejada`` to
    ``enviando`` in one conditional UPDATE (see :mod:`scheduler_core.notifications.outbox`)."""

    __table_args__ = (
        UniqueConstraint("event_key", "kind", "recipient", name="uq_notification_event_kind_to"),
        Index("ix_notification_status_due", "status", "due_at"),
        Index("ix_notification_shop_due", "shop_id", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    kind: str  # texts.Kind
    event_key: str  # what it is about, e.g. "appointment:12@2026-03-05T13:00"
    recipient: str  # E.164 phone
    tutor_id: int | None = Field(default=None, foreign_key="tutor.id", index=True)
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id", index=True)
    pet_id: int | None = Field(default=None, foreign_key="pet.id")
    due_at: datetime  # UTC; may be moved forward by quiet hours
    values: dict = json_field({})  # variable name → text, frozen at planning
    extra_text: str = ""  # appended after the rendered text (e.g. the service guidance)
    buttons: list = json_field()  # [{"id": "/confirmar_agendamento{...}", "title": "Confirmar"}]
    status: str = Field(default=OutboxStatus.PLANEJADA)
    reason: str = ""  # pt-BR: why descartada / Meta's error when falhou
    sent_as: str = ""  # "texto" | "modelo"
    wa_message_id: str | None = Field(default=None, index=True)
    attempts: int = 0
    created_at: datetime = Field(default_factory=utc_now)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    status_at: datetime | None = None  # the last delivery status from Meta
