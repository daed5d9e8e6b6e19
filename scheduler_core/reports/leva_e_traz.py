"""Leva e Traz: trips per day and zone, and the fees.

Date basis: the visit's start (execution), visits with Leva e Traz that were not cancelled nor
no-shows. One visit is two trips (pick-up and drop-off). A visit without a zone is counted as
"Taxa fixa" (the shop's flat fee).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from scheduler_core.catalog.models import LevaETrazZone
from scheduler_core.reports import rows
from scheduler_core.reports.period import ReportFilter

NO_ZONE = "Taxa fixa"


@dataclass(frozen=True)
class LevaDay:
    day: date
    visits: int
    fee_cents: int

    @property
    def trips(self) -> int:
        return 2 * self.visits


@dataclass(frozen=True)
class LevaZone:
    zone: str
    visits: int
    fee_cents: int

    @property
    def trips(self) -> int:
        return 2 * self.visits


@dataclass(frozen=True)
class LevaETraz:
    visits: int
    fee_cents: int
    by_day: list[LevaDay]
    by_zone: list[LevaZone]

    @property
    def trips(self) -> int:
        return 2 * self.visits


def leva_e_traz(session: Session, f: ReportFilter) -> LevaETraz:
    visits = rows.visits(session, f, leva_e_traz_only=True)
    zones = dict(session.connection().execute(
        select(LevaETrazZone.id, LevaETrazZone.name).where(LevaETrazZone.shop_id == f.shop_id)
    ).all())
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    per_zone: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for v in visits:
        d = days[f.local_date(v.start)]
        d[0] += 1
        d[1] += v.fee_cents
        z = per_zone[zones.get(v.zone_id, NO_ZONE) if v.zone_id else NO_ZONE]
        z[0] += 1
        z[1] += v.fee_cents
    return LevaETraz(
        visits=len(visits), fee_cents=sum(v.fee_cents for v in visits),
        by_day=[LevaDay(d, *days[d]) if d in days else LevaDay(d, 0, 0) for d in f.days()],
        by_zone=sorted((LevaZone(z, c, fee) for z, (c, fee) in per_zone.items()),
                       key=lambda z: (-z.visits, z.zone)),
    )
