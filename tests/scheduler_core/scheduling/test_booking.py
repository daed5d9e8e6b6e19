"""Booking: find a slot, book it, and what tutor and staff see afterwards (SQLite + PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from scheduler_core.catalog.models import PriceEntry
from scheduler_core.kernel.errors import (
    CoreError,
    NotFound,
    NoticeTooShort,
    PetNotBookable,
    SlotTaken,
    TokenExpired,
    TokenInvalid,
    ValidationFailed,
)
from scheduler_core.people.models import NotAcceptedBreed
from scheduler_core.scheduling import booking
from tests.scheduler_core.booking_helpers import (
    MONDAY,
    SECRET,
    audit_rows,
    book_at,
    count_appointments,
    history,
    items_of,
    offer,
    slot_at,
    starts,
)
from tests.scheduler_core.factories import NOW, at, build_shop


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


def test_booking_creates_a_scheduled_visit_with_price_snapshot_and_audit(world):
    appt = book_at(world, "10:00", notes="Cuidado com a orelha")

    assert appt.id is not None
    assert appt.status == "agendado"
    assert appt.is_encaixe is False
    assert appt.start == at(MONDAY, "10:00")
    assert appt.end == at(MONDAY, "11:00")
    assert appt.total_cents == 5000
    assert appt.notes == "Cuidado com a orelha"
    [item] = items_of(world, appt.id)
    assert (item.service_id, item.employee_id) == (world.services["banho"], world.employees["ana"])
    assert (item.price_cents, item.duration_min) == (5000, 60)
    assert history(world, appt.id) == [("", "agendado")]
    [row] = audit_rows(world, "appointment.book")
    assert row.entity_id == appt.id and row.actor == "staff:1"


def test_booked_slot_is_no_longer_offered_for_that_professional(world):
    book_at(world, "10:00")

    ana = starts(offer(world, employee="ana"))
    assert "10:00" not in ana
    assert "09:15" not in ana  # 09:15–10:15 would overlap
    assert "09:00" in ana and "11:00" in ana
    # Bruno is still free at 10:00: another pet's visit can go to him.
    luna = world.add_pet(name="Luna")
    assert "10:00" in starts(offer(world, employee="bruno", pet_id=luna))


def test_bath_and_grooming_are_chained_in_catalogue_order(world):
    appt = book_at(world, "10:00", services=("tosa", "banho"))

    items = items_of(world, appt.id)
    assert [i.service_id for i in items] == [world.services["banho"], world.services["tosa"]]
    assert items[0].end == items[1].start
    assert appt.end == at(MONDAY, "11:30")
    assert appt.total_cents == 9000


def test_a_token_cannot_book_the_same_slot_twice(world):
    result = offer(world, employee="ana")
    token = slot_at(result, "10:00").token
    booking.book(world.engine, token=token, now=NOW, secret=SECRET, origin="staff", actor="s")

    # Same pet, same time: the answer names the pet's existing visit.
    with pytest.raises(CoreError) as err:
        booking.book(world.engine, token=token, now=NOW, secret=SECRET, origin="staff", actor="s")
    assert err.value.code == "pet_busy"
    assert err.value.http_status == 409
    assert "Thor" in err.value.message and "horário" in err.value.message
    assert count_appointments(world) == 1


def test_idempotency_key_returns_the_same_appointment(world):
    token = slot_at(offer(world, employee="ana"), "10:00").token
    kwargs = dict(token=token, secret=SECRET, origin="bot", actor="bot", idempotency_key="wamid.1")

    first = booking.book(world.engine, now=NOW, **kwargs)
    again = booking.book(world.engine, now=NOW + timedelta(minutes=1), **kwargs)
    # Even a retry after the token expired still answers with the booking.
    late = booking.book(world.engine, now=NOW + timedelta(hours=3), **kwargs)

    assert first.id == again.id == late.id
    assert count_appointments(world) == 1
    assert first.origin == "bot"


def test_forged_or_expired_tokens_are_refused(world):
    token = slot_at(offer(world, employee="ana"), "10:00").token

    with pytest.raises(TokenInvalid) as bad:
        booking.book(
            world.engine, token=token[:-3] + "abc", now=NOW, secret=SECRET, origin="staff",
            actor="s",
        )
    assert bad.value.code == "token_invalid"
    with pytest.raises(TokenInvalid):
        booking.book(world.engine, token=token, now=NOW, secret="other", origin="staff", actor="s")
    with pytest.raises(TokenExpired) as old:
        booking.book(
            world.engine, token=token, now=NOW + timedelta(minutes=31), secret=SECRET,
            origin="staff", actor="s",
        )
    assert old.value.code == "token_expired" and old.value.http_status == 410
    assert count_appointments(world) == 0


def test_bot_booking_rechecks_the_minimum_notice_and_asks_for_another_time(world):
    world.update_bot_settings(min_notice_hours=2)
    today = NOW.date()
    # A staff search offers 10:00 today (1 h away); the bot may not book it.
    token = slot_at(offer(world, today, employee="ana"), "10:00").token

    with pytest.raises(SlotTaken) as err:
        booking.book(world.engine, token=token, now=NOW, secret=SECRET, origin="bot", actor="bot")
    assert "2 horas" in err.value.message
    assert err.value.details["reason"] == "min_notice"
    # Staff can.
    appt = booking.book(
        world.engine, token=token, now=NOW, secret=SECRET, origin="staff", actor="s"
    )
    assert appt.start == at(today, "10:00")


def test_bot_search_applies_notice_and_thinning(world):
    world.update_bot_settings(min_notice_hours=2, slot_display="60")
    result = offer(world, NOW.date(), channel="bot", employee="ana")
    assert starts(result)[:3] == ["11:00", "13:00", "14:00"]


def test_price_changes_after_the_search_do_not_change_the_booked_price(world):
    token = slot_at(offer(world, employee="ana"), "10:00").token
    with Session(world.engine) as s:
        stmt = select(PriceEntry).where(PriceEntry.service_id == world.services["banho"])
        for entry in s.exec(stmt):
            entry.price_cents = 9900
        s.commit()

    appt = booking.book(world.engine, token=token, now=NOW, secret=SECRET, origin="bot", actor="b")
    assert appt.total_cents == 5000
    assert items_of(world, appt.id)[0].price_cents == 5000


def test_pet_without_porte_gets_a_clear_reason_instead_of_slots(world):
    pet = world.add_pet(name="Mel", porte=None)
    result = offer(world, pet_id=pet)
    assert result.slots == ()
    assert result.reason == "pet_data_missing"
    assert "porte" in result.message


def test_breed_not_accepted_becomes_unbookable_even_with_a_token(world):
    token = slot_at(offer(world, employee="ana"), "10:00").token
    with Session(world.engine) as s:
        from scheduler_core.people.models import Breed, Pet

        breed = Breed(species="cao", name="Pit Bull")
        s.add(breed)
        s.flush()
        s.add(NotAcceptedBreed(shop_id=world.shop_id, breed_id=breed.id, message="Não atendemos."))
        s.get(Pet, world.pet_id).breed_id = breed.id
        s.commit()

    with pytest.raises(PetNotBookable) as err:
        booking.book(world.engine, token=token, now=NOW, secret=SECRET, origin="bot", actor="b")
    assert err.value.message == "Não atendemos."


def test_bad_requests_get_pt_br_errors(world):
    with pytest.raises(NotFound) as missing:
        offer(world, pet_id=999_999)
    assert missing.value.message == "Pet não encontrado."
    assert missing.value.to_dict()["code"] == "not_found"

    with pytest.raises(ValidationFailed):
        booking.find_slots(
            world.engine, shop_id=world.shop_id, pet_id=world.pet_id, service_ids=[],
            date_from=MONDAY, date_to=MONDAY, channel="staff", now=NOW, secret=SECRET,
        )
    with pytest.raises(ValidationFailed):
        offer(world, day=MONDAY, day_to=MONDAY - timedelta(days=1))
    with pytest.raises(NotFound):
        booking.find_slots(
            world.engine, shop_id=world.shop_id, pet_id=world.pet_id, service_ids=[424242],
            date_from=MONDAY, date_to=MONDAY, channel="staff", now=NOW, secret=SECRET,
        )
    with pytest.raises(ValidationFailed):
        offer(world, channel="telefone")
    with pytest.raises(ValidationFailed):
        offer(world, now=NOW.replace(tzinfo=None))
    with pytest.raises(CoreError):
        booking.book(world.engine, token="", now=NOW, secret=SECRET, origin="staff", actor="s")


def test_pets_of_another_shop_are_not_found(world, db_engine):
    other = build_shop(db_engine, shop={"name": "Outra Loja"})
    with pytest.raises(NotFound):
        offer(world, pet_id=other.pet_id)


def test_leva_e_traz_fee_comes_from_the_tutor_zone(world):
    from scheduler_core.catalog.models import LevaETrazZone
    from scheduler_core.people.models import Tutor
    from scheduler_core.shop.models import Shop

    with Session(world.engine) as s:
        shop = s.get(Shop, world.shop_id)
        shop.leva_e_traz_enabled = True
        shop.leva_e_traz_flat_fee_cents = 2000
        shop.leva_e_traz_min_notice_hours = 24
        s.add(LevaETrazZone(shop_id=world.shop_id, name="Centro", neighborhoods=["Centro"],
                            fee_cents=1200))
        s.get(Tutor, world.tutor_id).neighborhood = "centro"
        s.commit()

    appt = book_at(world, "10:00", leva_e_traz=True)
    assert (appt.leva_e_traz, appt.leva_e_traz_fee_cents) == (True, 1200)
    assert appt.total_cents == 5000  # services only; the fee is separate

    # The bot respects Leva e Traz's own minimum notice (24 h): today is too soon.
    token = slot_at(offer(world, NOW.date(), employee="ana"), "14:00").token
    with pytest.raises(NoticeTooShort):
        booking.book(
            world.engine, token=token, now=NOW, secret=SECRET, origin="bot", actor="bot",
            leva_e_traz=True,
        )


def test_a_slot_that_already_started_cannot_be_booked(world):
    token = slot_at(offer(world, NOW.date(), employee="ana"), "09:15").token
    with pytest.raises(SlotTaken) as err:
        booking.book(
            world.engine, token=token, now=NOW + timedelta(minutes=20), secret=SECRET,
            origin="staff", actor="s",
        )
    assert err.value.message == "Esse horário já passou. Vamos escolher outro horário?"


def test_an_api_booking_can_ask_for_the_bot_rules(world):
    world.update_bot_settings(min_notice_hours=2)
    token = slot_at(offer(world, NOW.date(), employee="ana"), "10:00").token
    with pytest.raises(SlotTaken):
        booking.book(
            world.engine, token=token, now=NOW, secret=SECRET, origin="api", actor="api:x",
            channel="bot",
        )
    appt = booking.book(
        world.engine, token=token, now=NOW, secret=SECRET, origin="api", actor="api:x"
    )
    assert appt.origin == "api"


def test_same_pet_cannot_be_in_two_visits_at_once(world):
    # The tutor opened two offers before booking either (two taps, two devices...).
    later = slot_at(offer(world, employee="bruno"), "10:30").token
    book_at(world, "10:00", employee="ana")
    with pytest.raises(CoreError) as err:
        booking.book(
            world.engine, token=later, now=NOW, secret=SECRET, origin="staff", actor="staff:1"
        )
    assert err.value.code == "pet_busy"
    assert "Thor" in err.value.message
    # Another pet of the same tutor can take that time.
    luna = world.add_pet(name="Luna")
    assert book_at(world, "10:30", employee="bruno", pet_id=luna).status == "agendado"


def test_rescheduling_a_visit_onto_the_pets_other_visit_is_refused(world):
    second = book_at(world, "14:00", employee="ana")
    token = slot_at(offer(world, moving=second.id, employee="bruno"), "10:30").token
    book_at(world, "10:00", employee="ana")  # meanwhile, Thor got a 10:00 bath
    with pytest.raises(CoreError) as err:
        booking.reschedule(
            world.engine, appointment_id=second.id, token=token, now=NOW, secret=SECRET,
            actor="staff:1", channel="staff",
        )
    assert err.value.code == "pet_busy"


def test_slots_overlapping_the_pets_own_visit_are_not_offered(world):
    book_at(world, "10:00", employee="ana")
    offered = starts(offer(world))  # Bruno is free, but Thor is busy 10:00–11:00
    assert "10:00" not in offered and "10:30" not in offered
    assert "09:00" in offered and "11:00" in offered
    luna = world.add_pet(name="Luna")
    assert "10:00" in starts(offer(world, pet_id=luna))
