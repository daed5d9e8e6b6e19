"""Daily capacity of creche and hotel segments (scheduler_core.scheduling.occupancy): the days a
visit or stay occupies, bookings refused on a full day with a pt-BR reason, places freed by a
cancellation, the per-species cap and the agenda's "Creche: 8/10". SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from scheduler_core.db.engine import write_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.scheduling import booking, occupancy, visit_status
from scheduler_core.scheduling.agenda_types import NoSlotReason
from scheduler_core.shop.models import Segment
from tests.scheduler_core.booking_helpers import MONDAY, SECRET, book_at, offer, slot_at
from tests.scheduler_core.factories import NOW, TZ, build_shop

ZONE = ZoneInfo(TZ)


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


def _make(world, kind: str, capacity: int | None, species: dict | None = None) -> None:
    with Session(world.engine) as s:
        segment = s.get(Segment, world.segment_id)
        segment.kind, segment.daily_capacity = kind, capacity
        segment.species_capacity = species or {}
        s.add(segment)
        s.commit()


def _local(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=ZONE)


def test_a_day_visit_takes_its_day_and_a_stay_each_night_until_check_out():
    day = date(2026, 3, 10)
    assert occupancy.occupied_days(_local(day, "08:00"), _local(day, "18:00")) == [day]
    stay = occupancy.occupied_days(_local(day, "14:00"), _local(day + timedelta(days=3), "11:00"))
    assert stay == [day, day + timedelta(days=1), day + timedelta(days=2)]  # 3 nights


def test_creche_refuses_the_visit_beyond_its_daily_places_and_a_cancel_frees_one(world):
    _make(world, "creche", 2)
    pets = [world.pet_id, world.add_pet(name="Luna"), world.add_pet(name="Bolt")]
    first = book_at(world, "09:00", pet_id=pets[0], employee=None)
    late_token = slot_at(offer(world, pet_id=pets[2]), "11:00").token  # shown before it filled
    book_at(world, "10:00", pet_id=pets[1], employee=None)
    # A new search offers nothing on the full day, and says why.
    full = offer(world, pet_id=pets[2])
    assert full.slots == () and full.reason == NoSlotReason.FULL
    assert full.message == "Não há mais vagas nos dias procurados. Escolha outra data."
    # The time shown before the day filled is refused at booking.
    with pytest.raises(ValidationFailed) as exc:
        booking.book(world.engine, token=late_token, now=NOW, secret=SECRET, origin="staff",
                     actor="staff:1")
    assert exc.value.message == (
        f"Sem vagas em {_segment_name(world)} no dia {MONDAY:%d/%m}: 2 de 2 ocupadas. "
        "Escolha outra data.")
    # Another day has its own places; a cancellation gives the place back.
    book_at(world, "11:00", day=MONDAY + timedelta(days=1), pet_id=pets[2], employee=None)
    visit_status.cancel(world.engine, appointment_id=first.id, now=NOW, actor="staff:1",
                        channel="staff")
    assert book_at(world, "11:00", pet_id=pets[2], employee=None).id
    with Session(world.engine) as s:
        [today] = occupancy.day_occupancy(s, world.shop_id, MONDAY)
    assert (today.used, today.capacity, today.label) == (2, 2, f"{_segment_name(world)}: 2/2")


def test_a_species_cap_limits_that_species_only(world):
    _make(world, "hotel", 10, {"cao": 1})
    luna = world.add_pet(name="Luna")
    late_token = slot_at(offer(world, pet_id=luna), "10:00").token
    book_at(world, "09:00", employee=None)
    assert offer(world, pet_id=luna).slots == ()
    with pytest.raises(ValidationFailed, match=r"para cão no dia .*: 1 de 1 ocupadas"):
        booking.book(world.engine, token=late_token, now=NOW, secret=SECRET, origin="staff",
                     actor="staff:1")
    with write_session(world.engine) as s:  # a cat still has a place that day
        occupancy.check_capacity(s, segment_id=world.segment_id, species="gato",
                                 start=_local(MONDAY, "14:00"), end=_local(MONDAY, "15:00"))


def test_a_stay_over_a_full_night_is_refused_and_one_leaving_that_morning_is_not(world):
    _make(world, "hotel", 1)
    book_at(world, "10:00", day=MONDAY + timedelta(days=2), employee=None)  # Wednesday taken
    with write_session(world.engine) as s:
        # Check-in Monday, check-out Wednesday morning: Monday and Tuesday nights — free.
        occupancy.check_capacity(
            s, segment_id=world.segment_id, species="cao", start=_local(MONDAY, "14:00"),
            end=_local(MONDAY + timedelta(days=2), "11:00"))
        # Check-out Thursday: the Wednesday night is full.
        with pytest.raises(ValidationFailed, match=r"no dia \d\d/\d\d: 1 de 1 ocupadas"):
            occupancy.check_capacity(
                s, segment_id=world.segment_id, species="cao", start=_local(MONDAY, "14:00"),
                end=_local(MONDAY + timedelta(days=3), "11:00"))


def test_other_segment_kinds_are_not_counted(world):
    _make(world, "pet_shop", 1)
    book_at(world, "09:00", employee=None)
    assert book_at(world, "10:00", pet_id=world.add_pet(name="Luna"), employee=None).id


def _segment_name(world) -> str:
    with Session(world.engine) as s:
        return s.get(Segment, world.segment_id).name


def test_a_three_night_stay_takes_the_last_place_and_an_overlapping_one_is_refused(world):
    from scheduler_core.scheduling import stays

    _make(world, "hotel", 1)
    check_in = MONDAY + timedelta(days=7)
    stay = stays.book_stay(world.engine, pet_id=world.pet_id, service_id=world.services["banho"],
                           check_in=check_in, check_out=check_in + timedelta(days=3), now=NOW,
                           actor="staff:1")
    assert stay.total_cents == 3 * 5000  # three nights at the pet's price
    local_start = stay.start.astimezone(ZONE)
    assert (local_start.date(), f"{local_start:%H:%M}") == (check_in, "14:00")
    other = world.add_pet(name="Luna")
    with pytest.raises(ValidationFailed) as exc:  # its first night is the stay's last
        stays.book_stay(world.engine, pet_id=other, service_id=world.services["banho"],
                        check_in=check_in + timedelta(days=2),
                        check_out=check_in + timedelta(days=4), now=NOW, actor="staff:1")
    assert exc.value.message == (
        f"Sem vagas em {_segment_name(world)} no dia {check_in + timedelta(days=2):%d/%m}: "
        "1 de 1 ocupadas. Escolha outra data.")
    # Arriving on the check-out day is fine; a stay must have a night.
    assert stays.book_stay(world.engine, pet_id=other, service_id=world.services["banho"],
                           check_in=check_in + timedelta(days=3),
                           check_out=check_in + timedelta(days=4), now=NOW, actor="staff:1").id
    with pytest.raises(ValidationFailed, match="pelo menos um dia depois"):
        stays.book_stay(world.engine, pet_id=other, service_id=world.services["banho"],
                        check_in=check_in, check_out=check_in, now=NOW, actor="staff:1")
    with Session(world.engine) as s:
        nights = [o.used for d in range(5) for o in occupancy.day_occupancy(
            s, world.shop_id, check_in + timedelta(days=d))]
    assert nights == [1, 1, 1, 1, 0]


def test_two_stays_racing_for_the_last_place_book_exactly_one(world):
    from concurrent.futures import ThreadPoolExecutor

    from scheduler_core.kernel.errors import CoreError
    from scheduler_core.scheduling import stays

    _make(world, "hotel", 1)
    pets = [world.add_pet(name=f"Pet {i}") for i in range(4)]
    check_in = MONDAY + timedelta(days=14)

    def attempt(pet_id):
        try:
            return stays.book_stay(world.engine, pet_id=pet_id,
                                   service_id=world.services["banho"], check_in=check_in,
                                   check_out=check_in + timedelta(days=2), now=NOW,
                                   actor="staff:1").id
        except CoreError as exc:
            return exc.message

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(attempt, pets))
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert all("Sem vagas" in r for r in results if isinstance(r, str)), results
