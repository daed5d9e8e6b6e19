"""The rules of a protocol's doses, pure functions of dates (no database, no clock).

- A protocol is an initial series of ``doses`` doses, ``interval_days`` apart, then, when
  ``repeat_days`` is set, a booster ``repeat_days`` after the last dose, and again after each
  booster (the yearly V10, the quarterly dewormer).
- The next dose is counted from the day the previous one was APPLIED, not from the day it
  was due: a dose given late moves the rest of the schedule, as vets do.
- A dose's status is aplicada once it has an application date; atrasada when its due date
  is before today and it was not applied; agendada otherwise (due today is still agendada).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scheduler_core.petcare.models import DoseStatus


@dataclass(frozen=True)
class Schedule:
    """What of a protocol the rules need."""

    doses: int
    interval_days: int
    repeat_days: int


@dataclass(frozen=True)
class NextDose:
    number: int
    due_on: date


def next_dose(schedule: Schedule, number: int, applied_on: date) -> NextDose | None:
    """The dose after dose ``number`` applied on ``applied_on``, or None when the protocol
    ends there (series done, no booster)."""
    if number < schedule.doses:
        return NextDose(number + 1, applied_on + timedelta(days=schedule.interval_days))
    if schedule.repeat_days > 0:
        return NextDose(number + 1, applied_on + timedelta(days=schedule.repeat_days))
    return None


def dose_status(due_on: date | None, applied_on: date | None, today: date) -> DoseStatus:
    if applied_on is not None:
        return DoseStatus.APLICADA
    if due_on is not None and due_on < today:
        return DoseStatus.ATRASADA
    return DoseStatus.AGENDADA


def dose_label(schedule: Schedule, number: int) -> str:
    """"1ª dose de 3", "Dose única", "Reforço", "2º reforço"."""
    if number <= schedule.doses:
        return "Dose única" if schedule.doses == 1 else f"{number}ª dose de {schedule.doses}"
    booster = number - schedule.doses
    return "Reforço" if booster == 1 else f"{booster}º reforço"


def reminder_day(due_on: date, days_before: int) -> date:
    """The day the tutor is reminded of a dose due on ``due_on``."""
    return due_on - timedelta(days=max(0, days_before))
