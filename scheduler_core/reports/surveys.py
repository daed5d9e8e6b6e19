"""Survey scores for the Clientes and Funcionários panels, read from
``scheduler_core.surveys`` (issue 13 sends the surveys and writes the answers).

Date basis: the answers about the period's visits (the visit's start, execution), whatever
their status; the segment and employee filters apply to the visits. Averages have one decimal.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.reports import rows
from scheduler_core.reports.period import ReportFilter
from scheduler_core.surveys.models import SurveyAnswer


@dataclass(frozen=True)
class Score:
    count: int
    total: int

    @property
    def average(self) -> float | None:
        return round(self.total / self.count, 1) if self.count else None


def _answers(f: ReportFilter):  # noqa: ANN202 - a SQLAlchemy select
    visits = rows.visit_columns(f, Appointment.id)
    return select(SurveyAnswer).where(SurveyAnswer.shop_id == f.shop_id,
                                      SurveyAnswer.appointment_id.in_(visits))


def shop_score(session: Session, f: ReportFilter) -> Score:
    sub = _answers(f).subquery()
    count, total = session.connection().execute(
        select(func.count(), func.coalesce(func.sum(sub.c.score), 0))).one()
    return Score(int(count), int(total))


def employee_scores(session: Session, f: ReportFilter) -> dict[int, Score]:
    sub = _answers(f).subquery()
    stmt = (select(sub.c.employee_id, func.count(), func.sum(sub.c.score))
            .where(sub.c.employee_id.is_not(None)).group_by(sub.c.employee_id))
    if f.employee_id is not None:
        stmt = stmt.where(sub.c.employee_id == f.employee_id)
    return {e: Score(int(n), int(t)) for e, n, t in session.connection().execute(stmt).all()}
