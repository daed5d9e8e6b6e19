"""Booking a combo: the offered slot already has the combo price (R$ or % discount), the token
carries it, the appointment stores it and keeps it when moved. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from scheduler_core.catalog import offers as catalog
from scheduler_core.catalog.models import PriceEntry
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.plans import service as plans
from scheduler_core.scheduling import appointments, booking
from tests.scheduler_core.booking_helpers import MONDAY, SECRET, items_of, slot_at
from tests.scheduler_core.factories import NOW, at, build_shop


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


def _offer(world, combo_id, *, extra=(), channel="staff", day=MONDAY, moving=None):
    return booking.find_slots(
        world.engine, shop_id=world.shop_id, pet_id=world.pet_id,
        service_ids=[world.services[s] for s in extra], date_from=day, date_to=day,
        channel=channel, now=NOW, secret=SECRET, combo_id=combo_id,
        moving_appointment_id=moving,
    )


def _book(world, slot, **kwargs):
    return booking.book(world.engine, token=slot.token, now=NOW, secret=SECRET,
                        origin="staff", actor="staff:1", **kwargs)


@pytest.mark.parametrize(
    ("kind", "value", "discount"),
    [("percentual", 10, 900), ("valor", 1500, 1500), ("valor", 20000, 9000)],
)
def test_combo_slot_and_booking_carry_the_combo_price(world, kind, value, discount):
    combo = world.add_combo("Banho e tosa", ["tosa", "banho"], discount_kind=kind,
                            discount_value=value)
    result = _offer(world, combo)
    assert result.combo_id == combo
    assert result.service_ids == (world.services["banho"], world.services["tosa"])
    slot = slot_at(result, "10:00")
    assert slot.discount_cents == discount and slot.combo_id == combo
    assert slot.total_cents == 9000 - discount
    # The catalogue shows the same price for this pet.
    with Session(world.engine) as s:
        [offer] = catalog.services_for_pet(s, world.shop_id, world.pet_id, channel="staff").combos
    assert offer.price_cents == slot.total_cents

    appt = _book(world, slot)
    assert (appt.combo_id, appt.discount_cents, appt.total_cents) == (
        combo, discount, 9000 - discount,
    )
    assert [i.price_cents for i in items_of(world, appt.id)] == [5000, 4000]
    with Session(world.engine) as s:
        summary = appointments.appointment_summary(s, appt.id)
    assert (summary.combo_id, summary.discount_cents, summary.total_cents) == (
        combo, discount, 9000 - discount,
    )


def test_the_price_shown_is_the_price_booked_even_if_prices_change(world):
    combo = world.add_combo("Banho e tosa", ["banho", "tosa"], discount_value=10)
    slot = slot_at(_offer(world, combo), "10:00")
    with Session(world.engine) as s:
        for entry in s.exec(select(PriceEntry)):
            entry.price_cents += 1000
        s.commit()
    appt = _book(world, slot)
    assert appt.total_cents == 8100 and appt.discount_cents == 900


def test_extra_services_are_added_at_their_normal_price(world):
    world.add_service("hidratacao", price_cents=2000, duration_min=15, is_addon=True)
    combo = world.add_combo("Banho e tosa", ["banho", "tosa"], discount_value=10)
    slot = slot_at(_offer(world, combo, extra=("hidratacao",)), "10:00")
    assert slot.total_cents == 9000 + 2000 - 900
    appt = _book(world, slot)
    assert appt.total_cents == 10100 and appt.discount_cents == 900
    assert len(items_of(world, appt.id)) == 3


def test_reschedule_keeps_the_combo_and_its_discount(world):
    combo = world.add_combo("Banho e tosa", ["banho", "tosa"], discount_kind="valor",
                            discount_value=1000)
    appt = _book(world, slot_at(_offer(world, combo), "10:00"))
    day = MONDAY + timedelta(days=1)
    moving = booking.find_slots(
        world.engine, shop_id=world.shop_id, pet_id=world.pet_id, service_ids=[],
        date_from=day, date_to=day, channel="staff", now=NOW, secret=SECRET,
        moving_appointment_id=appt.id,
    )
    moved = booking.reschedule(world.engine, appointment_id=appt.id,
                               token=slot_at(moving, "14:00").token, now=NOW, secret=SECRET,
                               actor="staff:1", channel="staff")
    assert moved.start == at(day, "14:00")
    assert (moved.combo_id, moved.discount_cents, moved.total_cents) == (combo, 1000, 8000)
    with pytest.raises(ValidationFailed, match="remarcação"):
        _offer(world, combo, moving=appt.id)


def test_a_plan_line_inside_a_combo_is_free_and_the_discount_applies_to_the_rest(world):
    template = world.add_plan_template(services={"banho": 4})
    plan = plans.sell_plan(world.engine, pet_id=world.pet_id, template_id=template,
                           start_date=NOW.date(), now=NOW, actor="staff:1")
    combo = world.add_combo("Banho e tosa", ["banho", "tosa"], discount_value=10)
    appt = _book(world, slot_at(_offer(world, combo), "10:00"), pet_plan_id=plan.id)
    assert [(i.price_cents, i.in_plan) for i in items_of(world, appt.id)] == [
        (0, True), (4000, False),
    ]
    assert (appt.discount_cents, appt.total_cents) == (400, 3600)


def test_combos_that_cannot_be_booked_get_a_clear_answer(world):
    for_cats = world.add_combo("Gatos", ["banho"], species=["gato"])
    with pytest.raises(ValidationFailed, match="não está disponível para Thor"):
        _offer(world, for_cats)
    inactive = world.add_combo("Antigo", ["banho"], active=False)
    with pytest.raises(ValidationFailed, match="Este combo não está disponível"):
        _offer(world, inactive)
    hidden = world.add_combo("Só balcão", ["banho", "tosa"], show_on_bot=False)
    assert _offer(world, hidden).slots  # staff may book it
    with pytest.raises(ValidationFailed, match="Este combo não está disponível"):
        _offer(world, hidden, channel="bot")
    with pytest.raises(NotFound, match="Combo não encontrado"):
        _offer(world, 9999)
