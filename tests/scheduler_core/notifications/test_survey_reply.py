"""A tutor answering the satisfaction survey in the chat: the score and comment are stored for
the visit the survey was about, once, and only while a survey is waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from scheduler_core.notifications.survey_reply import answer_survey, parse_score
from scheduler_core.scheduling import visit_status
from scheduler_core.surveys.models import SurveyAnswer
from tests.scheduler_core.booking_helpers import MONDAY, book_at
from tests.scheduler_core.factories import at, build_shop
from tests.scheduler_core.notifications.helpers import FakeChannel, rows, tick


@pytest.mark.parametrize(("text", "expected"), [
    ("5", (5, "")),
    ("nota 4", (4, "")),
    ("4 - demorou um pouco", (4, "demorou um pouco")),
    ("5/5 adorei o corte", (5, "adorei o corte")),
    ("cinco estrelas!", (5, "")),
    ("⭐⭐⭐", (3, "")),
    ("Minha nota: 2, a tosa ficou torta", (2, "a tosa ficou torta")),
])
def test_score_replies_are_read(text, expected) -> None:
    assert parse_score(text) == expected


@pytest.mark.parametrize("text", ["quero marcar banho", "15h", "6", "10", "5,5", "10:30", "",
                                  "1 hora", "3 pets", "2 kg", "4h"])
def test_other_messages_are_not_scores(text) -> None:
    assert parse_score(text) is None


def _delivered_with_survey_sent(world):
    appt = book_at(world, "10:00")
    visit_status.set_status(world.engine, appointment_id=appt.id, status="entregue",
                            now=at(MONDAY, "11:30"), actor="staff:1")
    channel = FakeChannel()
    tick(world.engine, at(MONDAY, "11:31"), channel)
    tick(world.engine, at(MONDAY, "13:31"), channel)
    assert channel.kinds(world.engine)[-1] == "pesquisa_satisfacao"
    return appt


def test_the_answer_is_stored_for_the_surveyed_visit_once(db_engine) -> None:
    world = build_shop(db_engine)
    appt = _delivered_with_survey_sent(world)
    [survey] = rows(db_engine, kind="pesquisa_satisfacao")
    with Session(db_engine) as s:
        reply = answer_survey(s, survey.tutor_id, "4 - ótimo, mas demorou", now=at(MONDAY, "14:00"))
        s.commit()
        assert reply is not None and reply.appointment_id == appt.id and reply.score == 4
        [stored] = s.exec(select(SurveyAnswer)).all()
        assert (stored.score, stored.comment) == (4, "ótimo, mas demorou")
        # answered: a later "5" is an ordinary message again
        assert answer_survey(s, survey.tutor_id, "5", now=at(MONDAY, "14:05")) is None


def test_no_pending_survey_means_no_answer(db_engine) -> None:
    world = build_shop(db_engine)
    _delivered_with_survey_sent(world)
    [survey] = rows(db_engine, kind="pesquisa_satisfacao")
    with Session(db_engine) as s:
        # two days later the survey is stale: "5" is left to the bot's menu
        late = at(MONDAY, "13:31") + timedelta(hours=49)
        assert answer_survey(s, survey.tutor_id, "5", now=late) is None
        # another tutor never answers this survey
        assert answer_survey(s, survey.tutor_id + 999, "5", now=at(MONDAY, "14:00")) is None
        assert s.exec(select(SurveyAnswer)).all() == []
