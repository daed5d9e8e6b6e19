"""The clock helpers every package shares (scheduler_core.kernel.clock)."""

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from scheduler_core.kernel.clock import from_utc_naive, to_utc, utc_now


@pytest.fixture
def machine_in_sao_paulo(monkeypatch):
    """The process's local zone is not UTC (as on a developer's machine in Brazil)."""
    monkeypatch.setenv("TZ", "America/Sao_Paulo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_naive_value_is_utc_whatever_the_machine_zone(machine_in_sao_paulo):
    assert to_utc(datetime(2026, 12, 1, 12, 0)) == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert to_utc(datetime(2026, 12, 1, 12, 0)).tzinfo is UTC


def test_aware_values_convert_and_none_stays_none():
    brt = timezone(timedelta(hours=-3))
    noon_utc = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert to_utc(datetime(2026, 12, 1, 9, 0, tzinfo=brt)) == noon_utc
    assert to_utc(None) is None
    assert utc_now().tzinfo is UTC
    assert from_utc_naive(datetime(2026, 12, 1, 12, 0), "America/Sao_Paulo").hour == 9
