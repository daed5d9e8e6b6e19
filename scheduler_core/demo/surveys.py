"""A few survey answers on delivered demo visits, through the core's one writer
(``surveys.service.record_survey_answer``), so the Clientes and Funcionários panels show
scores. Sending the surveys is issue 13's; these stand in for tutors' answers."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.db.engine import write_session
from scheduler_core.surveys.service import record_survey_answer

ANSWERS = 12
SCORES = (5, 5, 5, 4, 4, 4, 3, 5, 4, 2, 5, 4)
COMMENTS = ("Adorei o atendimento!", "", "Voltou cheirosinho.", "", "Demorou um pouco.", "")


def answer_surveys(engine: Engine, shop_id: int, now: datetime, rng: random.Random) -> int:
    """Answers for the latest delivered visits (a day after each); returns how many."""
    with write_session(engine) as s:
        visits = s.exec(
            select(Appointment.id, Appointment.end).where(
                Appointment.shop_id == shop_id,
                Appointment.status == AppointmentStatus.ENTREGUE, Appointment.end < now)
            .order_by(Appointment.start.desc()).limit(ANSWERS)).all()
        for (visit, end), score in zip(visits, SCORES, strict=False):
            record_survey_answer(s, visit, score, now=min(now, end + timedelta(days=1)),
                                 comment=rng.choice(COMMENTS))
        return len(visits)
