"""Recurring appointments outside plans (scheduling.md §3.6): dates, booking a series with
conflicts per occurrence, retries, and "cancel this and following"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentItem, AppointmentStatus
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.scheduling import recurrence
from scheduler_core.shop.models import Shop
from tests.scheduler_core.booking_helpers import MONDAY, SECRET, book_at, offer, slot_at
from tests.scheduler_core.factories import (
    NOW,
    at,
    build_shop,
    create_block,
    create_pet,
    create_tutor,
)


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


def _series(world, hhmm="10:00", key=None, token=None, **rule):
    token = token or slot_at(offer(world, MONDAY, employee="ana"), hhmm).token
    rule = rule or {"every_weeks": 1, "count": 4}
    return recurrence.book_series(world.engine, token=token, now=NOW, secret=SECRET,
                                  actor="staff:1", idempotency_key=key, **rule)


def test_dates_every_n_weeks_by_count_or_until():
    assert recurrence.occurrence_dates(MONDAY, 2, count=3) == [
        MONDAY, MONDAY + timedelta(weeks=2), MONDAY + timedelta(weeks=4)]
    until = MONDAY + timedelta(weeks=3, days=1)
    assert recurrence.occurrence_dates(MONDAY, 1, until=until) == [
        MONDAY + timedelta(weeks=k) for k in range(4)]
    for bad in ({"every_weeks": 0, "count": 3}, {"every_weeks": 1},
                {"every_weeks": 1, "count": 1}, {"every_weeks": 1, "until": MONDAY}):
        with pytest.raises(ValidationFailed):
            recurrence.occurrence_dates(MONDAY, **bad)


def test_weekly_series_books_same_time_and_professional_each_week(world):
    result = _series(world)
    assert result.conflicts == ()
    starts = [a.start for a in result.appointments]
    assert starts == [at(MONDAY + timedelta(weeks=k), "10:00") for k in range(4)]
    with Session(world.engine) as s:
        rows = s.exec(select(Appointment).where(Appointment.series_id == result.series_id)).all()
        employees = {i.employee_id for i in s.exec(select(AppointmentItem).where(
            AppointmentItem.appointment_id.in_([r.id for r in rows]))).all()}
    assert len(rows) == 4 and employees == {world.employees["ana"]}
    assert all(r.status == AppointmentStatus.AGENDADO and r.total_cents == 5000 for r in rows)


def test_a_taken_or_blocked_week_is_a_conflict_and_the_rest_is_booked(world):
    week2, week3 = MONDAY + timedelta(weeks=1), MONDAY + timedelta(weeks=2)
    with Session(world.engine) as s:
        create_block(s, world.shop_id, [week2], start="09:30", end="11:30", reason="Dedetização")
        create_block(s, world.shop_id, [week3], reason="Feriado")
        s.commit()
    result = _series(world)
    assert [c.day for c in result.conflicts] == [week2, week3]
    assert all(c.message for c in result.conflicts)
    assert [a.start.date() for a in result.appointments] == [
        MONDAY, MONDAY + timedelta(weeks=3)]


def test_other_professional_when_the_same_one_is_busy(world):
    week2 = MONDAY + timedelta(weeks=1)
    with Session(world.engine) as s:
        other = create_pet(s, create_tutor(s, s.get(Shop, world.shop_id), whatsapp=None),
                           name="Mel")
        s.commit()
        other_id = other.id
    book_at(world, "10:00", day=week2, employee="ana", pet_id=other_id)  # Ana is busy
    result = _series(world, count=2, every_weeks=1)
    with Session(world.engine) as s:
        second = result.appointments[1]
        item = s.exec(select(AppointmentItem).where(
            AppointmentItem.appointment_id == second.id)).one()
    assert result.conflicts == () and item.employee_id == world.employees["bruno"]


def test_a_retried_request_books_nothing_twice(world):
    token = slot_at(offer(world, MONDAY, employee="ana"), "10:00").token
    first = _series(world, key="serie-1", token=token, every_weeks=2, count=3)
    again = _series(world, key="serie-1", token=token, every_weeks=2, count=3)  # form resent
    assert again.series_id == first.series_id
    assert [a.id for a in again.appointments] == [a.id for a in first.appointments]
    with Session(world.engine) as s:
        assert len(s.exec(select(Appointment).where(
            Appointment.series_id == first.series_id)).all()) == 3


def test_cancel_this_and_following_keeps_the_earlier_ones(world):
    result = _series(world)
    third = result.appointments[2]
    cancelled = recurrence.cancel_following(world.engine, appointment_id=third.id, now=NOW,
                                            actor="staff:1")
    assert cancelled == [third.id, result.appointments[3].id]
    with Session(world.engine) as s:
        statuses = [s.get(Appointment, a.id).status for a in result.appointments]
    assert statuses == ["agendado", "agendado", "cancelado", "cancelado"]
    # The freed Monday is offered again.
    assert slot_at(offer(world, third.start.date(), employee="ana"), "10:00")
    single = book_at(world, "14:00")
    with pytest.raises(ValidationFailed):
        recurrence.cancel_following(world.engine, appointment_id=single.id, now=NOW,
                                    actor="staff:1")


def test_a_series_booked_by_a_package_uses_its_sessions_then_the_normal_price(world):
    from scheduler_core.plans import service as plans

    template = world.add_plan_template("Pacote 3", kind="pacote", services={"banho": 3},
                                       months=3)
    plan = plans.sell_plan(world.engine, pet_id=world.pet_id, template_id=template,
                           start_date=NOW.date(), now=NOW, actor="staff:1")
    token = slot_at(offer(world, MONDAY, employee="ana"), "10:00").token
    result = recurrence.book_series(world.engine, token=token, now=NOW, secret=SECRET,
                                    actor="staff:1", every_weeks=1, count=4,
                                    pet_plan_id=plan.id)
    assert [a.total_cents for a in result.appointments] == [0, 0, 0, 5000]
    assert all(a.pet_plan_id == plan.id for a in result.appointments[:3])
