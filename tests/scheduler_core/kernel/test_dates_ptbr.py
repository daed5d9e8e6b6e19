"""Typed pt-BR dates as tutors write them (pure: today is given)."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler_core.kernel.dates_ptbr import TypedDate, parse_date_ptbr, parse_day_range_ptbr

TUESDAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hoje", TypedDate(date(2026, 12, 1))),
        ("amanhã", TypedDate(date(2026, 12, 2))),
        ("Amanhã à tarde", TypedDate(date(2026, 12, 2), "tarde")),
        ("amanha de manha", TypedDate(date(2026, 12, 2), "manha")),
        ("depois de amanhã", TypedDate(date(2026, 12, 3))),
        ("sexta", TypedDate(date(2026, 12, 4))),
        ("sexta-feira de manhã", TypedDate(date(2026, 12, 4), "manha")),
        ("sexta que vem", TypedDate(date(2026, 12, 11))),
        ("próxima segunda", TypedDate(date(2026, 12, 7))),
        ("terça", TypedDate(date(2026, 12, 1))),
        ("no sábado", TypedDate(date(2026, 12, 5))),
        ("dia 15", TypedDate(date(2026, 12, 15))),
        ("dia 1", TypedDate(date(2026, 12, 1))),
        ("15/12", TypedDate(date(2026, 12, 15))),
        ("10/01", TypedDate(date(2027, 1, 10))),
        ("15/12/2026 à tarde", TypedDate(date(2026, 12, 15), "tarde")),
        ("22 de dezembro", TypedDate(date(2026, 12, 22))),
        ("semana que vem", TypedDate(date(2026, 12, 7))),
        ("quarta da semana que vem", TypedDate(date(2026, 12, 9))),
        ("de tarde", TypedDate(date(2026, 12, 1), "tarde")),
    ],
)
def test_typed_dates(text, expected):
    assert parse_date_ptbr(text, TUESDAY) == expected


def test_day_of_month_already_past_is_next_month():
    assert parse_date_ptbr("dia 10", date(2026, 12, 20)) == TypedDate(date(2027, 1, 10))


def test_day_31_skips_short_months():
    assert parse_date_ptbr("dia 31", date(2027, 2, 5)) == TypedDate(date(2027, 3, 31))


@pytest.mark.parametrize("text", ["Thor", "quero banho", "31/02", "", "dia 45", "poodle"])
def test_no_date(text):
    assert parse_date_ptbr(text, TUESDAY) is None


@pytest.mark.parametrize(("text", "first", "last"), [
    ("15/12", date(2026, 12, 15), date(2026, 12, 15)),
    ("amanhã", date(2026, 12, 2), date(2026, 12, 2)),
    ("de 15/12 a 19/12", date(2026, 12, 15), date(2026, 12, 19)),
    ("15 a 19/12", date(2026, 12, 15), date(2026, 12, 19)),
    ("dia 28/12 até 02/01", date(2026, 12, 28), date(2027, 1, 2)),
    ("14-18/12", date(2026, 12, 14), date(2026, 12, 18)),
    ("segunda até sexta", date(2026, 12, 7), date(2026, 12, 11)),
    ("sexta a segunda", date(2026, 12, 4), date(2026, 12, 7)),
])
def test_a_typed_day_or_range_of_days(text, first, last) -> None:
    assert parse_day_range_ptbr(text, date(2026, 12, 1)) == (first, last)  # a Tuesday


@pytest.mark.parametrize("text", ["quero creche", "sei lá", "", "19/12 a 15/12"])
def test_no_range_is_read_from_other_words(text) -> None:
    assert parse_day_range_ptbr(text, date(2026, 12, 1)) is None


def test_a_bare_period_is_told_apart_from_a_day_with_a_period():
    from scheduler_core.kernel.dates_ptbr import parse_bare_period_ptbr

    assert parse_bare_period_ptbr("de tarde") == "tarde"
    assert parse_bare_period_ptbr("pela manhã") == "manha"
    assert parse_bare_period_ptbr("sexta à tarde") is None  # a day: a date
    assert parse_bare_period_ptbr("quero tosa") is None
