"""Time helpers. The core never reads the clock: ``now`` is always passed in (aware, any zone).

Storage is UTC (aware datetimes, see ``scheduler_core.metadata``); rules use the shop's wall
clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import overload
from zoneinfo import ZoneInfo


def utc_now() -> datetime:
    """The clock, aware UTC. Only the edges (and the timestamp columns' default) read it."""
    return datetime.now(UTC)


@overload
def to_utc(moment: datetime) -> datetime: ...
@overload
def to_utc(moment: None) -> None: ...
def to_utc(moment: datetime | None) -> datetime | None:
    """Aware UTC, as the timestamp columns store it; a naive value is taken as UTC (never as
    the machine's zone). ``None`` stays ``None``."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def from_utc_naive(stored: datetime, tz: str | ZoneInfo) -> datetime:
    """A stored UTC datetime (aware, or naive meaning UTC) → aware datetime on the shop's clock."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return to_utc(stored).astimezone(zone)


def local(day: date, hhmm: str, tz: str | ZoneInfo) -> datetime:
    """Wall-clock "HH:MM" on ``day`` in the shop's zone, as an aware datetime."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return datetime.combine(day, parse_hhmm(hhmm), tzinfo=zone)


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    h, m = int(hours), int(minutes)
    if h == 24 and m == 0:
        return time(23, 59, 59)
    return time(h, m)


def minutes_of(value: str) -> int:
    """"HH:MM" → minutes since midnight ("24:00" → 1440)."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
