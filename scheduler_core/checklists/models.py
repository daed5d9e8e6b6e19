"""Tables of the checklists: the items of a segment's stage and the answers of a visit.

Conventions: see scheduler_core/db/columns.py.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler_core.db.columns import json_field, utc_now


class ChecklistStage(StrEnum):
    """The visit statuses that have a checklist (same values as AppointmentStatus)."""

    AGENDADO = "agendado"
    RECEBIDO = "recebido"
    FINALIZADO = "finalizado"
    ENTREGUE = "entregue"


class ItemKind(StrEnum):
    SIM_NAO = "sim_nao"
    TEXTO = "texto"
    ESCOLHA = "escolha"
    NUMERO = "numero"
    FOTO = "foto"


class ChecklistItem(SQLModel, table=True):
    """One question of a segment's checklist at one stage. Removed items stay (``active``
    False) so that old answers keep their question."""

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    segment_id: int = Field(foreign_key="segment.id", index=True)
    stage: str = ChecklistStage.AGENDADO
    label: str
    kind: str = ItemKind.SIM_NAO
    options: list[str] = json_field([])  # the choices of an "escolha" item
    required: bool = False
    position: int = 0
    active: bool = True


class ChecklistAnswer(SQLModel, table=True):
    """The answer of a visit to one item: the last one wins; who and when are kept."""

    __table_args__ = (UniqueConstraint("appointment_id", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    item_id: int = Field(foreign_key="checklistitem.id")
    stage: str
    value: str = ""  # "sim" / "nao", the text, the option, the number ("6,5"), the photo path
    answered_by: str = ""
    answered_at: datetime = Field(default_factory=utc_now)
