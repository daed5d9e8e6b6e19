"""Answering a visit's checklist and moving its status in one call (the service board's and the
visit page's "answer and move"): the answers of the stages the move enters are stored first,
then :func:`scheduler_core.scheduling.visit_status.set_status` applies the required-item rule.
Answers stay saved when the move is refused (they are valid on their own)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from scheduler_core.agenda.models import Appointment
from scheduler_core.checklists import answers
from scheduler_core.db.engine import read_session
from scheduler_core.kernel.errors import NotFound
from scheduler_core.scheduling.visit_status import FLOW, set_status


def answer_and_set_status(
    engine: Engine, *, appointment_id: int, status: str, raw: Mapping[str, str],
    photos: Mapping[int, bytes] | None = None, photo_folder: Path | None = None,
    now: datetime, actor: str, allow_revert: bool = False, confirmed_revert: bool = False,
) -> Appointment:
    """Store the typed answers of every checklist stage the move enters, then move."""
    with read_session(engine) as session:
        appt = session.get(Appointment, appointment_id)
        if appt is None:
            raise NotFound("Agendamento não encontrado.")
        current = appt.status
    for stage in answers.stages_between(current, status, FLOW):
        answers.record_answers(engine, appointment_id=appointment_id, stage=stage, raw=raw,
                               photos=photos, photo_folder=photo_folder, now=now, actor=actor)
    return set_status(engine, appointment_id=appointment_id, status=status, now=now,
                      actor=actor, allow_revert=allow_revert,
                      confirmed_revert=confirmed_revert)
