"""Time helpers. The core never reads the clock: ``now`` is always passed in (aware, any zone).

Storage is UTC (aware datetimes, see ``scheduler_core.metadata``); rules use the shop's wall
clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def from_utc_naive(stored: datetime, tz: str | ZoneInfo) -> datetime:
    """A stored UTC datetime (aware, or naive meaning UTC) → aware datetime on the shop's clock."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=UTC)
    return stored.astimezone(zone)


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
