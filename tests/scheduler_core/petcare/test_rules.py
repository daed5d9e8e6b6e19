"""Pet Care's dose rules on hand-computed dates (no database)."""

from __future__ import annotations

from datetime import date

from scheduler_core.petcare.models import DoseStatus
from scheduler_core.petcare.rules import (
    NextDose,
    Schedule,
    dose_label,
    dose_status,
    next_dose,
    reminder_day,
)

V10 = Schedule(doses=3, interval_days=21, repeat_days=365)
RAIVA = Schedule(doses=1, interval_days=0, repeat_days=365)
GIARDIA = Schedule(doses=2, interval_days=15, repeat_days=0)


def test_the_series_doses_come_interval_days_after_the_previous_one_was_applied():
    # 10/01/2026 + 21 days = 31/01/2026; 31/01 + 21 = 21/02.
    assert next_dose(V10, 1, date(2026, 1, 10)) == NextDose(2, date(2026, 1, 31))
    assert next_dose(V10, 2, date(2026, 1, 31)) == NextDose(3, date(2026, 2, 21))


def test_a_dose_applied_late_moves_the_rest_of_the_schedule():
    # Dose 2 was due 31/01 but applied on 05/02: dose 3 is 05/02 + 21 = 26/02.
    assert next_dose(V10, 2, date(2026, 2, 5)) == NextDose(3, date(2026, 2, 26))


def test_after_the_series_the_booster_comes_repeat_days_later_and_again_after_each_booster():
    # 21/02/2026 + 365 = 21/02/2027; the booster of 21/02/2027 + 365 = 21/02/2028.
    assert next_dose(V10, 3, date(2026, 2, 21)) == NextDose(4, date(2027, 2, 21))
    assert next_dose(V10, 4, date(2027, 2, 21)) == NextDose(5, date(2028, 2, 21))
    # A leap year: 01/03/2027 + 365 days = 29/02/2028.
    assert next_dose(RAIVA, 1, date(2027, 3, 1)) == NextDose(2, date(2028, 2, 29))


def test_a_protocol_without_booster_ends_after_its_last_dose():
    assert next_dose(GIARDIA, 1, date(2026, 3, 1)) == NextDose(2, date(2026, 3, 16))
    assert next_dose(GIARDIA, 2, date(2026, 3, 16)) is None


def test_the_status_is_applied_late_or_scheduled():
    today = date(2026, 5, 10)
    assert dose_status(date(2026, 5, 1), date(2026, 5, 3), today) == DoseStatus.APLICADA
    assert dose_status(date(2026, 5, 9), None, today) == DoseStatus.ATRASADA
    assert dose_status(date(2026, 5, 10), None, today) == DoseStatus.AGENDADA  # due today
    assert dose_status(date(2026, 6, 1), None, today) == DoseStatus.AGENDADA


def test_dose_labels_name_the_series_and_the_boosters():
    assert [dose_label(V10, n) for n in (1, 3, 4, 5)] == [
        "1ª dose de 3", "3ª dose de 3", "Reforço", "2º reforço"]
    assert dose_label(RAIVA, 1) == "Dose única"


def test_the_reminder_is_days_before_the_due_date_across_a_month():
    assert reminder_day(date(2026, 3, 2), 3) == date(2026, 2, 27)
    assert reminder_day(date(2026, 3, 2), 0) == date(2026, 3, 2)
