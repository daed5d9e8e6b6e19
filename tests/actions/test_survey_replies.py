"""A tutor answering the satisfaction survey in the chat, the dialogue called directly: a typed
score after the survey was sent is stored for that visit and thanked, once; with no survey
waiting "5" is the menu's fifth entry as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.notifications.models import Notification
from scheduler_core.people.models import Tutor
from scheduler_core.surveys.models import SurveyAnswer
from tests.actions.test_notice_replies import NOW, Chat


@pytest.fixture
def shop(demo_sqlite):
    return demo_sqlite(NOW)


def _surveyed(engine) -> tuple[str, int]:
    """A WhatsApp tutor with a past visit whose survey was sent two hours ago."""
    with Session(engine) as s:
        answered = select(SurveyAnswer.appointment_id)
        visit = s.exec(select(Appointment).join(Tutor, Tutor.id == Appointment.tutor_id).where(
            Appointment.start < NOW - timedelta(days=1), Tutor.whatsapp.is_not(None),
            Tutor.allow_bot, Appointment.id.not_in(answered))
            .order_by(Appointment.start.desc())).first()
        tutor = s.get(Tutor, visit.tutor_id)
        phone, visit_id = tutor.whatsapp, visit.id
        s.add(Notification(shop_id=visit.shop_id, kind="pesquisa_satisfacao",
                           event_key=f"appointment:{visit.id}", recipient=tutor.whatsapp,
                           tutor_id=tutor.id, appointment_id=visit.id, due_at=NOW,
                           status="enviada", sent_at=NOW - timedelta(hours=2)))
        s.commit()
        return phone, visit_id


def _answers(engine, visit_id: int) -> list[SurveyAnswer]:
    with Session(engine) as s:
        return list(s.exec(select(SurveyAnswer).where(
            SurveyAnswer.appointment_id == visit_id)).all())


def test_a_typed_score_answers_the_survey_once_even_at_the_menu(shop):
    phone, visit_id = _surveyed(shop)
    chat = Chat(shop, phone)
    chat.say("oi", "cumprimentar")  # the menu is on screen: "5" could be its fifth entry
    chat.say("5 adorei, o banho ficou ótimo", "nlu_fallback", 0.4)
    assert "Obrigado pela avaliação" in chat.text and "Nota 5" in chat.text, chat.text
    [answer] = _answers(shop, visit_id)
    assert (answer.score, answer.comment) == (5, "adorei, o banho ficou ótimo")
    chat.say("4", "nlu_fallback", 0.4)  # answered: an ordinary message again
    assert "Obrigado pela avaliação" not in chat.text
    assert [a.score for a in _answers(shop, visit_id)] == [5]


def test_a_low_score_is_met_with_an_apology_and_the_way_to_a_person(shop):
    phone, visit_id = _surveyed(shop)
    chat = Chat(shop, phone)
    chat.say("nota 2 - demorou muito", "nlu_fallback", 0.4)
    assert "Sentimos muito" in chat.text and "*atendente*" in chat.text, chat.text
    assert [a.score for a in _answers(shop, visit_id)] == [2]
    assert chat.handoff is None


def test_without_a_survey_waiting_a_number_is_not_a_score(shop):
    with Session(shop) as s:
        phone = s.exec(select(Tutor.whatsapp).where(Tutor.whatsapp.is_not(None), Tutor.allow_bot)
                       .order_by(Tutor.id)).first()
        before = len(s.exec(select(SurveyAnswer)).all())
    chat = Chat(shop, phone)
    chat.say("oi", "cumprimentar")
    chat.say("5", "nlu_fallback", 0.4)
    assert "Obrigado pela avaliação" not in chat.text and chat.text, chat.text
    with Session(shop) as s:
        assert len(s.exec(select(SurveyAnswer)).all()) == before
