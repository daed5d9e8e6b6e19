"""A tutor's answer to the satisfaction survey, typed in the chat (issue 13).

The survey (``Kind.PESQUISA_SATISFACAO``) asks for "uma nota de 1 (ruim) a 5 (ótimo) e, se
quiser, um comentário". The bot hands every message that is not part of a running flow to
:func:`answer_survey`; it answers only when

- the tutor has a survey that was sent (``enviada`` / ``entregue`` / ``lida``) less than
  ``ANSWER_WINDOW`` ago and is not answered yet, and
- the message reads as a score: "5", "nota 4", "4 - demorou um pouco", "5/5", "cinco", "⭐⭐⭐⭐"
  (the rest of the message, if any, is the comment).

Anything else returns ``None`` and the bot goes on as usual, so "5" typed to pick a menu entry
a week after a visit is never mistaken for a score. Decision: the comment travels with the
score in one message, as the survey's text asks; a separate comment message is not awaited
(a tutor who writes "adorei!" afterwards talks to the bot normally).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from scheduler_core.kernel.clock import to_utc
from scheduler_core.notifications.models import Notification, OutboxStatus
from scheduler_core.notifications.texts import Kind
from scheduler_core.surveys.models import SurveyAnswer
from scheduler_core.surveys.service import MAX_SCORE, MIN_SCORE, record_survey_answer

ANSWER_WINDOW = timedelta(hours=48)
_SENT = (OutboxStatus.ENVIADA, OutboxStatus.ENTREGUE, OutboxStatus.LIDA)
_WORDS = {"um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "três": 3, "quatro": 4,
          "cinco": 5}
# "nota 5", "5", "5/5", "5 de 5", "cinco estrelas", then the comment
_SCORE = re.compile(
    r"^\s*(?:(?:minha\s+)?nota\s*[:=]?\s*|dou\s+(?:um|uma|nota)?\s*)?"
    r"(?P<score>[1-5]|um|uma|dois|duas|tr[eê]s|quatro|cinco)(?![0-9]|[,.:][0-9]|\s*(?:h|hs|horas?|min|kg|pets?|dias?|anos?|meses)\b)"
    r"(?:\s*(?:/\s*5|de\s+5))?(?:\s*estrelas?)?\s*[-–—,.:!;)]*\s*(?P<comment>.*)$",
    re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class SurveyReply:
    """The answer stored: its score, comment and visit."""

    score: int
    comment: str
    appointment_id: int


def parse_score(text: str) -> tuple[int, str] | None:
    """The score (1–5) and the comment a survey reply carries, or None when it is not one."""
    text = (text or "").strip()
    stars = len(text) - len(text.lstrip("⭐★"))
    if stars:
        return (stars, text[stars:].strip(" -–—,.:!")) if MIN_SCORE <= stars <= MAX_SCORE \
            else None
    match = _SCORE.match(text)
    if match is None:
        return None
    raw = match["score"].lower()
    score = int(raw) if raw.isdigit() else _WORDS[raw]
    return score, match["comment"].strip()


def pending_survey(session: Session, tutor_id: int, *, now: datetime) -> Notification | None:
    """The tutor's latest survey sent within ``ANSWER_WINDOW`` whose visit has no answer."""
    since = to_utc(now) - ANSWER_WINDOW
    answered = select(SurveyAnswer.appointment_id).where(SurveyAnswer.tutor_id == tutor_id)
    return session.exec(
        select(Notification).where(
            Notification.tutor_id == tutor_id,
            Notification.kind == str(Kind.PESQUISA_SATISFACAO),
            Notification.status.in_([str(s) for s in _SENT]),
            Notification.sent_at >= since,
            Notification.appointment_id.is_not(None),
            Notification.appointment_id.not_in(answered))
        .order_by(Notification.sent_at.desc())).first()


def answer_survey(session: Session, tutor_id: int, text: str, *,
                  now: datetime) -> SurveyReply | None:
    """Store ``text`` as the answer to the tutor's pending survey (the caller commits), or
    return None when there is no pending survey or the text is not a score."""
    parsed = parse_score(text)
    if parsed is None:
        return None
    survey = pending_survey(session, tutor_id, now=now)
    if survey is None:
        return None
    score, comment = parsed
    record_survey_answer(session, survey.appointment_id, score, now=now, comment=comment)
    return SurveyReply(score, comment, survey.appointment_id)
