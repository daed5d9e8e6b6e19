"""Time helpers of the panel: shop-day bounds and values shaped for the datetime columns.

The core stores UTC. Depending on the column type a stored value is aware (SQLModel's
UTCDateTime) or naive UTC; :func:`for_column` shapes a bound value for the column at hand
(``scheduler_core.kernel.clock.to_utc`` reads either form back).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime

from scheduler_core.kernel.clock import from_utc_naive
from scheduler_core.kernel.forms import FieldError, parse_form_date


def for_column(column, moment: datetime) -> datetime:
    """An aware datetime as the given mapped column stores it (aware UTC or naive UTC)."""
    utc = moment.astimezone(UTC)
    sa_type = getattr(column, "type", None)
    if isinstance(sa_type, DateTime) and not getattr(sa_type, "timezone", False):
        # A plain DateTime column (not the UTCDateTime decorator) keeps naive UTC.
        return utc.replace(tzinfo=None)
    return utc


def to_local(value: datetime | None, tz: str) -> datetime | None:
    return None if value is None else from_utc_naive(value, tz)


def today(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def day_bounds(day: date, tz: str, days: int = 1) -> tuple[datetime, datetime]:
    """Aware UTC [start, end) of ``days`` wall-clock days from ``day`` in the shop's zone."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=days), datetime.min.time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def parse_date(value: str | None) -> date | None:
    """"2026-11-28" or "28/11/2026" (the core's parse_form_date) → date; None when empty or
    invalid (a query filter falls back to its default)."""
    if not (value or "").strip():
        return None
    try:
        return parse_form_date(value)
    except FieldError:
        return None
