"""The answers to the satisfaction survey sent after a visit (spec/backoffice.md §5,
"Satisfaction"). Issue 13 sends the surveys and writes the answers through
:func:`scheduler_core.surveys.service.record_survey_answer`; the reports (Clientes,
Funcionários) read them. One answer per visit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class SurveyAnswer(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("appointment_id", name="uq_surveyanswer_appointment"),
        Index("ix_surveyanswer_shop_answered", "shop_id", "answered_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    appointment_id: int = Field(foreign_key="appointment.id")
    tutor_id: int = Field(foreign_key="tutor.id", index=True)
    employee_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    score: int  # 1–5
    comment: str = ""
    answered_at: datetime  # UTC
