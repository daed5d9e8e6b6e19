"""The shop-local date and hour of a stored UTC timestamp, computed by the database, so the
panels group by day (or hour) in SQL and read a row per day instead of a row per visit.

Decision (issue 14): the local date is computed in SQL, exactly, on both databases.
- PostgreSQL: ``timezone(<shop zone>, column)`` turns the ``timestamptz`` into the shop's wall
  clock with the server's time-zone rules; its date and hour are the local ones.
- SQLite has no time-zone rules, only fixed modifiers (``date(column, '-10800 seconds')``). The
  period is cut at the zone's offset changes (found with ``zoneinfo`` for the period's UTC
  bounds) and each piece gets its own fixed offset: ``CASE WHEN column < <first change> THEN
  date(column, '<offset before>') ... END``. America/Sao_Paulo has had no change since 2019,
  so its expression is a single ``date(column, '-10800 seconds')``; a zone with DST gets one
  branch per change (two a year). The result equals ``column.astimezone(zone).date()`` for
  every timestamp of the period.

Rejected: grouping by UTC hour in SQL and folding hours into local days in Python (correct for
whole-hour zones only, and up to 24 rows per day to fold).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, String, case, cast, extract, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from scheduler_core.db.engine import is_postgres
from scheduler_core.reports.period import ReportFilter

#: The SQLite offset of a piece: the first moment it no longer applies (None: open end) and the
#: offset in seconds.
Piece = tuple[datetime | None, int]


def _offset(zone: ZoneInfo, moment: datetime) -> int:
    return int(moment.astimezone(zone).utcoffset().total_seconds())


@lru_cache(maxsize=128)
def offset_pieces(tz: str, lo: datetime, hi: datetime) -> tuple[Piece, ...]:
    """The zone's fixed offsets over [lo, hi) (aware UTC), in order: each offset with the
    instant it stops applying. Offset changes are found day by day, then to the second."""
    zone = ZoneInfo(tz)
    pieces: list[Piece] = []
    step = timedelta(days=1)
    a, current = lo, _offset(zone, lo)
    while a < hi:
        b = min(a + step, hi)
        if _offset(zone, b) != current:
            low, high = a, b  # offset(low) == current != offset(high)
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                if _offset(zone, mid) == current:
                    low = mid
                else:
                    high = mid
            change = high.replace(microsecond=0)
            if _offset(zone, change) == current:
                change += timedelta(seconds=1)
            pieces.append((change, current))
            a, current = change, _offset(zone, change)
            continue
        a = b
    pieces.append((None, current))
    return tuple(pieces)


def _piecewise(f: ReportFilter, column, shifted) -> ColumnElement:  # noqa: ANN001
    lo, hi = f.utc_bounds()
    pieces = offset_pieces(f.tz, lo.astimezone(UTC), hi.astimezone(UTC))
    if len(pieces) == 1:
        return shifted(pieces[0][1])
    whens = [(column < until, shifted(seconds)) for until, seconds in pieces[:-1]]
    return case(*whens, else_=shifted(pieces[-1][1]))


def local_day(session: Session, f: ReportFilter, column) -> ColumnElement:  # noqa: ANN001
    """The shop-local date of ``column`` (a UTC timestamp) as SQL; read it with :func:`as_date`
    (PostgreSQL returns a date, SQLite ``YYYY-MM-DD`` text)."""
    if is_postgres(session):
        return cast(func.timezone(f.tz, column), Date)
    return _piecewise(f, column,
                      lambda s: func.date(column, f"{s:+d} seconds", type_=String()))


def local_hour(session: Session, f: ReportFilter, column) -> ColumnElement:  # noqa: ANN001
    """The shop-local hour (0–23) of ``column`` (a UTC timestamp) as SQL."""
    if is_postgres(session):
        return cast(extract("hour", func.timezone(f.tz, column)), Integer)
    return _piecewise(f, column, lambda s: cast(
        func.strftime("%H", column, f"{s:+d} seconds", type_=String()), Integer))


@lru_cache(maxsize=4096)
def as_date(value: date | str) -> date:
    """A :func:`local_day` value as a date (cached: a period has few distinct days)."""
    return value if isinstance(value, date) else date.fromisoformat(value)
