"""The demo agenda: every visit is a slot the availability engine offered and the booking
service stored.

For the whole demo period, one :class:`~scheduler_core.scheduling.agenda_types.AgendaSnapshot`
per segment is loaded by :func:`scheduler_core.scheduling.snapshot.load_snapshot`; each visit is
then asked of the engine (:func:`scheduler_core.scheduling.availability.find_slots`) for one pet,
its services (a combo priced by :func:`scheduler_core.scheduling.booking.price_as_combo`) and
one day, "as of" the moment it was booked (a few days before, never after the demo's ``now``),
on the channel it came from (the bot's rules for visits booked by the bot); one offered slot is
stored by :func:`scheduler_core.scheduling.booking.store_booking`, the insert path of
``booking.book`` (plan units, Leva e Traz fee, combo discount, items, audit), and its items are
added to the snapshots' busy list exactly as ``load_busy`` would read them back. So no visit
breaks a rule the product enforces (hours, breaks, categories, species, resources, the
restriction, one visit per pet at a time), and the prices are the catalogue's.

Why not ``booking.find_slots`` + ``booking.book`` for each visit: each call reloads the agenda
snapshot (about 50 ms on SQLite), which for ~450 visits would take most of a minute at every
first start and in every test that loads the demo; the engine and the insert path are the
same, only the re-reading is skipped.

The step that decides a visit's status only draws it here (same random sequence for a given
``now``); :mod:`scheduler_core.demo.statuses` applies it through the status flow.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from scheduler_core.agenda.models import AppointmentStatus, Origin
from scheduler_core.catalog.combos import combo_services
from scheduler_core.catalog.models import Combo
from scheduler_core.demo.seed import data
from scheduler_core.demo.shop import Built
from scheduler_core.kernel.clock import minutes_of
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.scheduling import availability, booking, tokens
from scheduler_core.scheduling.agenda_types import AvailabilityQuery, BusyItem, Slot
from scheduler_core.scheduling.snapshot import load_snapshot, pet_info
from scheduler_core.shop.models import Employee

S = AppointmentStatus
Pick = Callable[[Sequence[Slot]], Slot | None]


@dataclass(frozen=True)
class Visit:
    """A booked demo visit and the status it ends up in."""

    appointment_id: int
    start: datetime
    end: datetime
    booked_at: datetime
    status: str
    employee_id: int
    pet_plan_id: int | None = None


@dataclass(frozen=True)
class Ask:
    """One request to the engine: a pet, its services or combo, a day, the channel."""

    pet: Pet
    keys: tuple[str, ...]  # services (keys of data/shop.yml)
    day: date
    as_of: datetime
    origin: str = Origin.STAFF
    combo: str | None = None
    employee: Employee | None = None  # every service by this professional
    leva_e_traz: bool = False
    pet_plan_id: int | None = None
    notes: str = ""


class Agenda:
    """The demo period's snapshots and the visits placed on them."""

    def __init__(
        self, session: Session, built: Built, tutors: list[Tutor], now: datetime,
        rng: random.Random,
    ) -> None:
        seed = data("agenda")
        self.session, self.built, self.now, self.rng = session, built, now, rng
        self.zone = ZoneInfo(built.shop.timezone)
        self.today = now.astimezone(self.zone).date()
        self.first_day = self.today - timedelta(days=seed["past_days"])
        self.last_day = self.today + timedelta(days=seed["future_days"])
        self.tutors = {t.id: t for t in tutors}
        self.snapshots = {
            seg.id: load_snapshot(session, built.shop.id, seg.id, self.first_day, self.last_day)
            for seg in built.segments.values()
        }
        self.services_of = {
            sid: info for snap in self.snapshots.values() for sid, info in snap.services.items()
        }
        self.segment_of = {
            sid: seg_id for seg_id, snap in self.snapshots.items() for sid in snap.services
        }
        self.visits: list[Visit] = []
        self._combo_members: dict[int, list[int]] = {}

    # ----------------------------------------------------------------------- one visit

    def book(self, ask: Ask, pick: Pick, status: Callable[[Slot], str]) -> Slot | None:
        """Ask the engine, store the slot ``pick`` chooses; None when nothing fits."""
        built = self.built
        combo: Combo | None = built.combos[ask.combo] if ask.combo else None
        ids = [built.services[k].id for k in ask.keys]
        if combo is not None:
            if combo.id not in self._combo_members:
                self._combo_members[combo.id] = combo_services(self.session, combo.id)
            members = self._combo_members[combo.id]
            ids = list(dict.fromkeys([*members, *ids]))  # as catalog.combos.visit_services
        segment_id = self.segment_of[ids[0]]
        pin = {}
        if ask.employee is not None:
            pin = {self.services_of[sid].category_id: ask.employee.id for sid in ids}
        channel = "bot" if ask.origin == Origin.BOT else "staff"
        query = AvailabilityQuery(
            pet=pet_info(ask.pet), service_ids=tuple(ids), date_from=ask.day, date_to=ask.day,
            now=ask.as_of, channel=channel, employee_by_category=pin,
        )
        slot = pick(availability.find_slots(self.snapshots[segment_id], query).slots)
        if slot is None:
            return None
        grant_combo = None
        if combo is not None:
            grant_combo, slot = booking.price_as_combo(combo, members, slot)
        grant = tokens.SlotGrant(
            shop_id=built.shop.id, pet_id=ask.pet.id, segment_id=segment_id, day=ask.day,
            slot=slot, expires_at=ask.as_of + timedelta(minutes=30), combo=grant_combo,
        )
        appt = booking.store_booking(
            self.session, grant=grant, pet=ask.pet, tutor=self.tutors[ask.pet.tutor_id],
            now=ask.as_of, origin=ask.origin,
            actor="bot" if ask.origin == Origin.BOT else "staff:demo", channel=channel,
            notes=ask.notes, leva_e_traz=ask.leva_e_traz, pet_plan_id=ask.pet_plan_id,
        )
        self._hold(appt.id, ask.pet.id, slot)
        self.visits.append(
            Visit(appt.id, slot.start, slot.end, ask.as_of, status(slot),
                  slot.items[0].employee_id, appt.pet_plan_id)
        )
        return slot

    def _hold(self, appointment_id: int, pet_id: int, slot: Slot) -> None:
        """The new visit's items on every segment's snapshot, as ``load_busy`` reads them."""
        new = tuple(
            BusyItem(
                appointment_id=appointment_id, employee_id=it.employee_id,
                service_id=it.service_id, start=it.start, end=it.end,
                resources=dict(self.services_of[it.service_id].resources), pet_id=pet_id,
            )
            for it in slot.items
        )
        for seg_id, snap in self.snapshots.items():
            self.snapshots[seg_id] = replace(snap, busy=snap.busy + new)

    # ----------------------------------------------------------------------- helpers

    def booked_at(self, day: date) -> datetime:
        """When a visit on ``day`` was booked: one to seven days before (or before now)."""
        start_of_day = datetime.combine(day, datetime.min.time(), tzinfo=self.zone)
        base = min(self.now, start_of_day)
        return base - timedelta(days=self.rng.randrange(1, 8), hours=self.rng.randrange(9))

    def status_for(self, slot: Slot, *, may_cancel: bool = True) -> str:
        """The status a visit ends up in, drawn from ``data/agenda.yml`` rates."""
        rates = data("agenda")["rates"]
        roll = self.rng.random()
        if slot.end <= self.now:
            if may_cancel and roll < rates["cancelled"]:
                return S.CANCELADO
            if may_cancel and roll < rates["cancelled"] + rates["no_show"]:
                return S.NAO_COMPARECEU
            return S.ENTREGUE
        if slot.start <= self.now:
            return S.EM_ATENDIMENTO
        if may_cancel and roll < rates["cancelled"]:
            return S.CANCELADO
        soon = slot.start - self.now < timedelta(days=1)
        if soon or roll < rates["cancelled"] + rates["confirmed"]:
            return S.CONFIRMADO
        return S.AGENDADO


def first_from(minute: int) -> Pick:
    """The earliest slot starting at or after ``minute`` (of the day)."""

    def pick(slots: Sequence[Slot]) -> Slot | None:
        for slot in slots:
            if slot.start.hour * 60 + slot.start.minute >= minute:
                return slot
        return None

    return pick


def day_window(agenda: Agenda, employee: Employee, day: date) -> tuple[int, int] | None:
    """First and last minute the professional works on ``day`` (None when off)."""
    for snap in agenda.snapshots.values():
        for info in snap.employees:
            if info.id == employee.id:
                ranges = info.working.get(day.weekday(), ())
                if ranges:
                    return minutes_of(ranges[0].start), minutes_of(ranges[-1].end)
    return None
