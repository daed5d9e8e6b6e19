"""Leva e Traz: trips per day and zone, and the fees.

Date basis: the visit's start (execution), visits with Leva e Traz that were not cancelled nor
no-shows. One visit is two trips (pick-up and drop-off). A visit without a zone is counted as
"Taxa fixa" (the shop's flat fee).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.catalog.models import LevaETrazZone
from scheduler_core.reports import rows
from scheduler_core.reports.local_time import as_date, local_day
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
    """Visits and fees added up by the database per local day and per zone."""
    visit = rows.visit_columns(
        f, Appointment.start, Appointment.leva_e_traz_zone_id, Appointment.leva_e_traz_fee_cents,
    ).where(Appointment.leva_e_traz.is_(True),
            Appointment.status.not_in(sorted(rows.FREEING))).subquery()
    v = visit.c
    conn = session.connection()
    zones = dict(conn.execute(
        select(LevaETrazZone.id, LevaETrazZone.name).where(LevaETrazZone.shop_id == f.shop_id)
    ).all())
    day = local_day(session, f, v.start)
    fee = func.sum(v.leva_e_traz_fee_cents)
    days = {as_date(d): LevaDay(as_date(d), int(n), int(cents or 0)) for d, n, cents in
            conn.execute(select(day, func.count(), fee).group_by(day)).all()}
    per_zone: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for zone_id, n, cents in conn.execute(
            select(v.leva_e_traz_zone_id, func.count(), fee).group_by(v.leva_e_traz_zone_id)):
        z = per_zone[zones.get(zone_id, NO_ZONE) if zone_id else NO_ZONE]
        z[0] += int(n)
        z[1] += int(cents or 0)
    return LevaETraz(
        visits=sum(d.visits for d in days.values()),
        fee_cents=sum(d.fee_cents for d in days.values()),
        by_day=[days.get(d) or LevaDay(d, 0, 0) for d in f.days()],
        by_zone=sorted((LevaZone(z, c, cents) for z, (c, cents) in per_zone.items()),
                       key=lambda z: (-z.visits, z.zone)),
    )
