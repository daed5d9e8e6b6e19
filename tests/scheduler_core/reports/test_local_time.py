"""The shop-local date and hour computed by the database equal Python's ``zoneinfo`` answer,
also across daylight-saving changes (São Paulo still had them in 2018), on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import literal, select
from sqlmodel import Session, UTCDateTime

from scheduler_core.reports.local_time import as_date, local_day, local_hour
from scheduler_core.reports.period import ReportFilter


@pytest.mark.parametrize(("tz", "start", "end"), [
    ("America/Sao_Paulo", date(2018, 10, 1), date(2019, 3, 31)),  # DST 04/11/2018–17/02/2019
    ("America/New_York", date(2026, 3, 1), date(2026, 11, 30)),
    ("America/Sao_Paulo", date(2026, 3, 1), date(2026, 3, 31)),
])
def test_local_day_and_hour_match_zoneinfo_across_offset_changes(db_engine, tz, start, end):
    f = ReportFilter(shop_id=1, start=start, end=end, tz=tz)
    lo, hi = f.utc_bounds()
    moments, at = [], lo
    while at < hi:
        moments.append(at)
        at += timedelta(hours=7, minutes=13)
    moments += [datetime(2018, 11, 4, 2, 59, 59, tzinfo=UTC), datetime(2018, 11, 4, 3, tzinfo=UTC),
                datetime(2019, 2, 17, 1, 59, tzinfo=UTC), datetime(2019, 2, 17, 2, 0, tzinfo=UTC)]
    moments = [m for m in moments if lo <= m < hi]
    with Session(db_engine) as s:
        for m in moments:
            col = literal(m, UTCDateTime())
            day, hour = s.connection().execute(
                select(local_day(s, f, col), local_hour(s, f, col))).one()
            local = m.astimezone(f.zone)
            assert (as_date(day), hour) == (local.date(), local.hour), m
