"""Daily capacity of day care (creche) and hotel segments: the places a day has, how many are
taken, and the check every booking passes (issue 12, "Creche and hotel").

Decisions:

- Only segments of kind ``creche`` and ``hotel`` have a daily capacity; other kinds are
  limited by professionals and resources only (the availability engine).
- ``Segment.daily_capacity`` caps all pets of the segment on a day; ``Segment.species_capacity``
  (``{"cao": 6, "gato": 4}``, optional) caps one species on top of it. A segment with neither
  set is not limited. Both are checked; the first full one refuses with its pt-BR reason.
- What a visit occupies (:func:`occupied_days`), on the shop's wall clock: a visit that ends
  on the day it starts (a day-care day) takes a place on that day; a visit that ends on a later
  day (a hotel stay from check-in to check-out) takes a place on each night, from the check-in
  day to the day before the check-out day — a pet that leaves on the morning of the 12th frees
  the place for a pet arriving on the 12th.
- Cancelled and no-show visits (``FREEING_STATUSES``) free their places.
- :func:`check_capacity` runs inside the booking's write transaction (``booking.store_booking``,
  the one insert path of the API, the panel and the bot; ``stays.book_stay``), after the
  slot's locks: on PostgreSQL a limited segment's row is locked ``FOR UPDATE`` so two
  bookings of the last place serialise and the second one counts the first (segments without
  a capacity take no lock); on SQLite the transaction holds the write lock already.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from scheduler_core.agenda.models import FREEING_STATUSES, Appointment
from scheduler_core.db.engine import is_postgres
from scheduler_core.kernel.clock import from_utc_naive
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.people.labels import SPECIES_LABELS
from scheduler_core.people.models import Pet
from scheduler_core.shop.models import Segment, SegmentKind, Shop

#: Segment kinds whose places are counted per day.
DAILY_KINDS = frozenset({SegmentKind.CRECHE, SegmentKind.HOTEL})


@dataclass(frozen=True)
class DayOccupancy:
    """One segment on one day: places taken out of its capacity (None: not limited)."""

    segment_id: int
    name: str
    kind: str
    day: date
    used: int
    capacity: int | None

    @property
    def label(self) -> str:
        """"Creche: 8/10 hoje" without the day word: "Creche: 8/10"."""
        return f"{self.name}: {self.used}/{self.capacity}" if self.capacity else (
            f"{self.name}: {self.used}")


def occupied_days(start: datetime, end: datetime) -> list[date]:
    """The days a visit from ``start`` to ``end`` (shop wall clock) takes a place on (module
    docstring): its own day, or each night of a stay, check-out day excluded."""
    first, last = start.date(), end.date()
    if last <= first:
        return [first]
    return [first + timedelta(days=i) for i in range((last - first).days)]


def _counts(
    session: Session, segment_id: int, days: Iterable[date], zone: ZoneInfo,
    species: str | None = None,
) -> Counter[date]:
    """Places taken per day of ``days`` in the segment (only pets of ``species`` when given)."""
    wanted = sorted(set(days))
    if not wanted:
        return Counter()
    lo = datetime.combine(wanted[0], time.min, tzinfo=zone).astimezone(UTC)
    hi = datetime.combine(wanted[-1] + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    stmt = (
        select(Appointment.start, Appointment.end)
        .where(
            Appointment.segment_id == segment_id,
            Appointment.status.not_in(list(FREEING_STATUSES)),
            Appointment.start < hi,
            Appointment.end > lo,
        )
    )
    if species is not None:
        stmt = stmt.join(Pet, Pet.id == Appointment.pet_id).where(Pet.species == species)
    keep = set(wanted)
    counts: Counter[date] = Counter()
    for start, end in session.execute(stmt).all():
        for day in occupied_days(from_utc_naive(start, zone), from_utc_naive(end, zone)):
            if day in keep:
                counts[day] += 1
    return counts


def _limits(segment: Segment | None, species: str) -> list[tuple[int, str | None]]:
    """(capacity, species or None for the whole segment) of each limit a pet of ``species``
    meets in ``segment``; empty when nothing limits it."""
    if segment is None or segment.kind not in DAILY_KINDS:
        return []
    limits: list[tuple[int, str | None]] = []
    if segment.daily_capacity is not None:
        limits.append((int(segment.daily_capacity), None))
    per_species = (segment.species_capacity or {}).get(species)
    if per_species is not None:
        limits.append((int(per_species), species))
    return limits


def full_days(session: Session, *, segment_id: int, species: str, days: Iterable[date],
              lock: bool = False) -> set[date]:
    """The days of ``days`` (shop dates) with no place left for a pet of ``species``: the
    slot search leaves them out (``booking.find_slots``), as :func:`check_capacity` would
    refuse a visit there. With ``lock`` (a write transaction booking several days at once:
    ``day_care.book_days``) a limited segment's row is locked first, as in
    :func:`check_capacity`."""
    segment = session.get(Segment, segment_id)
    limits = _limits(segment, species)
    wanted = list(days)
    if not limits or not wanted:
        return set()
    if lock:
        _lock(session, segment)
    zone = ZoneInfo(session.get(Shop, segment.shop_id).timezone)
    full: set[date] = set()
    for capacity, only in limits:
        counts = _counts(session, segment.id, wanted, zone, only)
        full |= {day for day in wanted if counts[day] >= capacity}
    return full


def _lock(session: Session, segment: Segment) -> None:
    """Serialise the bookings of a limited segment (PostgreSQL; SQLite's write transaction
    holds its lock already)."""
    if is_postgres(session):
        session.execute(select(Segment.id).where(Segment.id == segment.id)
                        .with_for_update()).all()


def check_capacity(
    session: Session, *, segment_id: int, species: str, start: datetime, end: datetime
) -> None:
    """Refuse (pt-BR ValidationFailed) a visit of a pet of ``species`` from ``start`` to
    ``end`` when one of its days is full (module docstring). Call it in the booking's write
    transaction, before the visit is inserted."""
    segment = session.get(Segment, segment_id)
    limits = _limits(segment, species)
    if not limits:
        return
    _lock(session, segment)
    zone = ZoneInfo(session.get(Shop, segment.shop_id).timezone)
    days = occupied_days(from_utc_naive(start, zone), from_utc_naive(end, zone))
    for capacity, only in limits:
        counts = _counts(session, segment.id, days, zone, only)
        for day in days:
            if counts[day] >= capacity:
                what = f"{segment.name}" if only is None else (
                    f"{segment.name} para {SPECIES_LABELS.get(only, only).lower()}")
                raise ValidationFailed(
                    f"Sem vagas em {what} no dia {day:%d/%m}: {counts[day]} de {capacity} "
                    "ocupadas. Escolha outra data.",
                    details={"segment_id": segment.id, "day": day.isoformat(),
                             "used": counts[day], "capacity": capacity, "species": only},
                )


def day_occupancy(session: Session, shop_id: int, day: date) -> list[DayOccupancy]:
    """The shop's active creche and hotel segments on ``day`` (shop date), for the agenda and
    the wizard ("Creche: 8/10 hoje")."""
    zone = ZoneInfo(session.get(Shop, shop_id).timezone)
    segments = session.execute(
        select(Segment)
        .where(Segment.shop_id == shop_id, Segment.active.is_(True),
               Segment.kind.in_(list(DAILY_KINDS)))
        .order_by(Segment.id)
    ).scalars().all()
    return [
        DayOccupancy(
            segment_id=s.id, name=s.name, kind=s.kind, day=day,
            used=_counts(session, s.id, [day], zone)[day], capacity=s.daily_capacity,
        )
        for s in segments
    ]
