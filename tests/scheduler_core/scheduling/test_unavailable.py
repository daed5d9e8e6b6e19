"""The agenda grid's unavailable time of an employee: day off, outside the shift, breaks,
blocks."""

from __future__ import annotations

from scheduler_core.scheduling.unavailable import unavailable_intervals


def _spans(intervals):
    return [(u.start_min, u.end_min, u.label) for u in intervals]


def test_a_day_without_working_ranges_is_a_day_off():
    assert _spans(unavailable_intervals([])) == [(0, 1440, "Folga")]


def test_the_gap_between_two_ranges_is_a_break_and_outside_them_is_off_shift():
    spans = _spans(unavailable_intervals([(13 * 60, 18 * 60), (8 * 60, 12 * 60)]))
    assert spans == [(0, 480, "Fora do expediente"), (720, 780, "Intervalo"),
                     (1080, 1440, "Fora do expediente")]


def test_a_block_is_shown_with_its_reason():
    spans = _spans(unavailable_intervals([(480, 1080)], [(600, 660, "Dentista")]))
    assert (600, 660, "Bloqueado: Dentista") in spans
