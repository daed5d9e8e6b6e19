"""Day care over a range of days (scheduler_core.scheduling.day_care) and creche / hotel
visits that hold their pet but not their professional's calendar. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.scheduling import day_care, stays
from scheduler_core.shop.models import Segment
from tests.scheduler_core.booking_helpers import MONDAY, count_appointments, offer, starts
from tests.scheduler_core.factories import NOW, TZ, build_shop

ZONE = ZoneInfo(TZ)


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0},
                      employees={"ana": ["banho", "tosa"]})


def _make(world, kind: str, capacity: int | None) -> str:
    with Session(world.engine) as s:
        segment = s.get(Segment, world.segment_id)
        segment.kind, segment.daily_capacity = kind, capacity
        s.add(segment)
        s.commit()
        return segment.name


def _range(world, pet_id, first, last):
    return day_care.book_days(world.engine, pet_id=pet_id, service_id=world.services["banho"],
                              first=first, last=last, now=NOW, actor="staff:1")


def test_a_range_books_each_open_day_from_opening_to_closing_and_skips_sunday(world):
    _make(world, "creche", 2)
    result = _range(world, world.pet_id, MONDAY + timedelta(days=3), MONDAY + timedelta(days=7))
    days = [a.start.astimezone(ZONE).date() for a in result.appointments]
    assert days == [MONDAY + timedelta(days=d) for d in (3, 4, 5, 7)]  # Thu, Fri, Sat, Mon
    assert result.skipped == (MONDAY + timedelta(days=6),)  # Sunday: closed
    first = result.appointments[0]
    assert (f"{first.start.astimezone(ZONE):%H:%M}", f"{first.end.astimezone(ZONE):%H:%M}") == (
        "08:00", "18:00")
    assert all(a.total_cents == 5000 for a in result.appointments)  # the pet's price per day


def test_a_range_over_full_days_is_refused_naming_them_and_books_nothing(world):
    name = _make(world, "creche", 1)
    luna = world.add_pet(name="Luna")
    _range(world, luna, MONDAY + timedelta(days=1), MONDAY + timedelta(days=1))  # Tuesday
    _range(world, luna, MONDAY + timedelta(days=3), MONDAY + timedelta(days=3))  # Thursday
    before = count_appointments(world)
    with pytest.raises(ValidationFailed) as exc:
        _range(world, world.pet_id, MONDAY, MONDAY + timedelta(days=4))
    tue, thu = MONDAY + timedelta(days=1), MONDAY + timedelta(days=3)
    assert exc.value.message == (
        f"Sem vagas em {name} nos dias {tue:%d/%m} e {thu:%d/%m}. "
        "Nada foi agendado: escolha outras datas.")
    assert count_appointments(world) == before
    # One full day only: the singular; the free days of the week still book.
    with pytest.raises(ValidationFailed, match=rf"no dia {tue:%d/%m}\. Nada foi agendado"):
        _range(world, world.pet_id, MONDAY, MONDAY + timedelta(days=2))
    assert len(_range(world, world.pet_id, MONDAY + timedelta(days=4),
                      MONDAY + timedelta(days=5)).appointments) == 2


def test_a_day_the_pet_already_has_day_care_and_bad_ranges_are_refused(world):
    _make(world, "creche", None)
    _range(world, world.pet_id, MONDAY + timedelta(days=2), MONDAY + timedelta(days=2))
    with pytest.raises(ValidationFailed, match=r"Thor já tem .* em \d\d/\d\d\. Nada foi"):
        _range(world, world.pet_id, MONDAY, MONDAY + timedelta(days=4))
    with pytest.raises(ValidationFailed, match="O último dia deve ser"):
        _range(world, world.pet_id, MONDAY + timedelta(days=2), MONDAY)
    with pytest.raises(ValidationFailed, match="no máximo 31 dias"):
        _range(world, world.pet_id, MONDAY, MONDAY + timedelta(days=40))
    with pytest.raises(ValidationFailed, match="já passou"):
        _range(world, world.pet_id, NOW.date() - timedelta(days=1), MONDAY)
    sunday = MONDAY + timedelta(days=6)
    with pytest.raises(ValidationFailed, match="não abre nesses dias"):
        _range(world, world.pet_id, sunday, sunday)


def test_a_holiday_is_skipped_and_a_hotel_service_is_not_day_care(world):
    _make(world, "creche", None)
    world.add_block([MONDAY + timedelta(days=1)], reason="Feriado")
    result = _range(world, world.pet_id, MONDAY, MONDAY + timedelta(days=2))
    assert result.skipped == (MONDAY + timedelta(days=1),)
    _make(world, "hotel", None)
    with pytest.raises(ValidationFailed, match="não é de creche"):
        _range(world, world.pet_id, MONDAY + timedelta(days=7), MONDAY + timedelta(days=7))


def test_day_care_and_a_stay_do_not_hold_the_professional_responsible(world):
    """The pet sleeps / spends the day at the shop; Ana is not busy for those hours."""
    _make(world, "creche", None)
    luna = world.add_pet(name="Luna")
    free = starts(offer(world, pet_id=luna, employee="ana"))
    result = _range(world, world.pet_id, MONDAY, MONDAY)
    assert {it.employee_id for a in result.appointments
            for it in _items(world, a.id)} == {world.employees["ana"]}
    assert starts(offer(world, pet_id=luna, employee="ana")) == free
    _make(world, "hotel", None)
    day = MONDAY + timedelta(days=7)
    before = starts(offer(world, day + timedelta(days=1), pet_id=luna, employee="ana"))
    stays.book_stay(world.engine, pet_id=world.pet_id, service_id=world.services["banho"],
                    check_in=day, check_out=day + timedelta(days=3), now=NOW, actor="staff:1")
    assert starts(offer(world, day + timedelta(days=1), pet_id=luna, employee="ana")) == before
    assert before  # the middle day of the stay still has Ana's whole day


def _items(world, appointment_id):
    from tests.scheduler_core.booking_helpers import items_of

    return items_of(world, appointment_id)
