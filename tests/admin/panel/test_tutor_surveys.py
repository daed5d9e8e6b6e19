"""The tutor page shows the tutor's answers to the satisfaction survey (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.surveys.service import record_survey_answer

from .conftest import logged_in


async def test_the_tutor_page_lists_the_survey_answers(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as s:
        visit = s.exec(select(Appointment).order_by(Appointment.id)).first()
        record_survey_answer(s, visit.id, 4, now=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
                             comment="Adorei o laço, só demorou")
        s.commit()
        tutor_id = visit.tutor_id
    await logged_in(client, panel_db)
    page = await (await client.get(f"/admin/tutores/{tutor_id}")).text()
    surveys = page.split('id="surveys"', 1)[1].split("</ul>", 1)[0]
    assert "nota 4</strong> de 5" in surveys and "Adorei o laço, só demorou" in surveys
    assert f"/admin/agendamentos/{visit.id}" in surveys
