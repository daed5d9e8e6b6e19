"""What the availability engine gets from the database (scheduler_core.scheduling.snapshot)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from scheduler_core.agenda.models import Appointment, AppointmentItem, Restriction
from scheduler_core.catalog.models import Service
from scheduler_core.catalog.segments import services_segment
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.people.models import Breed, NotAcceptedBreed
from scheduler_core.scheduling import booking
from scheduler_core.scheduling.agenda_types import TimeRange
from scheduler_core.scheduling.snapshot import load_snapshot, pet_info
from scheduler_core.shop.models import Employee, Shop
from tests.scheduler_core.booking_helpers import MONDAY, book_at, offer, starts
from tests.scheduler_core.factories import (
    NOW,
    at,
    build_shop,
    create_category,
    create_segment,
    create_service,
)


@pytest.fixture
def world(db_engine):
    return build_shop(
        db_engine,
        shop={"staff_horizon_days": 30, "not_accepted_portes": ["gigante"]},
        bot_settings={"min_notice_hours": 3, "slot_display": "30", "horizon_days": 7,
                      "page_days": 3},
        resources={"banheira": 1},
        service_resources={"banho": {"banheira": 1}},
    )


def _snapshot(world, day_from=MONDAY, day_to=None):
    with Session(world.engine) as s:
        return load_snapshot(s, world.shop_id, world.segment_id, day_from, day_to or day_from)


def _raw_appointment(world, start, minutes=60, status="agendado", employee="ana", shop_id=None,
                     segment_id=None):
    """Insert a visit directly (bypassing the rules) to test what the loader picks up."""
    with Session(world.engine) as s:
        appt = Appointment(
            shop_id=shop_id or world.shop_id, segment_id=segment_id or world.segment_id,
            tutor_id=world.tutor_id, pet_id=world.pet_id, start=start,
            end=start + timedelta(minutes=minutes), status=status,
        )
        s.add(appt)
        s.flush()
        s.add(AppointmentItem(
            appointment_id=appt.id, service_id=world.services["banho"],
            employee_id=world.employees[employee], start=appt.start, end=appt.end,
            duration_min=minutes,
        ))
        s.commit()
        return appt.id


def test_snapshot_carries_hours_staff_catalogue_and_channel_rules(world):
    snap = _snapshot(world)

    assert snap.timezone == "America/Sao_Paulo"
    assert snap.segment.slot_step_min == 15
    assert snap.segment.opening[0] == (TimeRange("08:00", "12:00"), TimeRange("13:00", "18:00"))
    assert 6 not in snap.segment.opening  # closed on Sunday
    ana = next(e for e in snap.employees if e.name == "Ana")
    assert ana.category_ids == {world.categories["banho"], world.categories["tosa"]}
    assert ana.working[2] == (TimeRange("08:00", "12:00"), TimeRange("13:00", "18:00"))
    banho = snap.services[world.services["banho"]]
    assert len(banho.by_size_coat) == 15
    assert banho.by_size_coat[("pequeno", "curta")].price_cents == 5000
    assert banho.resources == {world.resources["banheira"]: 1}
    assert snap.resource_capacity == {world.resources["banheira"]: 1}
    assert snap.not_accepted_portes == {"gigante"}
    assert (snap.bot_rules.min_notice_min, snap.bot_rules.display) == (180, "30")
    assert (snap.bot_rules.horizon_days, snap.bot_rules.page_days) == (7, 3)
    assert (snap.staff_rules.min_notice_min, snap.staff_rules.horizon_days) == (0, 30)
    assert snap.staff_rules.display == "todos"


def test_inactive_staff_and_services_are_left_out(world):
    with Session(world.engine) as s:
        s.get(Employee, world.employees["bruno"]).active = False
        s.get(Service, world.services["tosa"]).active = False
        s.commit()
    snap = _snapshot(world)
    assert [e.name for e in snap.employees] == ["Ana"]
    assert set(snap.services) == {world.services["banho"]}


def test_only_active_visits_in_the_range_hold_capacity(world):
    active = _raw_appointment(world, at(MONDAY, "10:00"))
    _raw_appointment(world, at(MONDAY, "11:00"), status="cancelado")
    _raw_appointment(world, at(MONDAY, "14:00"), status="nao_compareceu")
    done = _raw_appointment(world, at(MONDAY, "15:00"), status="finalizado")
    late = _raw_appointment(world, at(MONDAY, "23:00"))  # 02:00 UTC on Tuesday: still Monday
    _raw_appointment(world, at(MONDAY + timedelta(days=1), "00:30"))  # Tuesday: out of range
    _raw_appointment(world, at(MONDAY - timedelta(days=1), "10:00"))  # Sunday: out of range

    busy = _snapshot(world).busy

    assert sorted(b.appointment_id for b in busy) == sorted([active, done, late])
    first = next(b for b in busy if b.appointment_id == active)
    assert first.start == at(MONDAY, "10:00") and first.end == at(MONDAY, "11:00")
    assert first.employee_id == world.employees["ana"]
    assert first.resources == {world.resources["banheira"]: 1}


def test_a_visit_in_another_segment_still_holds_the_professional(world):
    with Session(world.engine) as s:
        shop = s.get(Shop, world.shop_id)
        clinic = create_segment(s, shop, name="Clínica", kind="clinica")
        s.commit()
        clinic_id = clinic.id
    other_shop = build_shop(world.engine, shop={"name": "Vizinha"})
    mine = _raw_appointment(world, at(MONDAY, "10:00"), segment_id=clinic_id)
    _raw_appointment(other_shop, at(MONDAY, "10:00"))

    assert [b.appointment_id for b in _snapshot(world).busy] == [mine]
    assert "10:00" not in starts(offer(world, employee="ana"))


def test_blocks_restrictions_and_breeds(world):
    tuesday = MONDAY + timedelta(days=1)
    world.add_block([MONDAY, tuesday, MONDAY + timedelta(days=20)], reason="Reforma")
    world.add_block([MONDAY], employee_id=world.employees["ana"], start="14:00", end="15:00")
    world.add_restriction(name="Ativa", conditions={"species": ["gato"]})
    with Session(world.engine) as s:
        s.add(Restriction(shop_id=world.shop_id, name="Desligada", active=False,
                          conditions={"species": ["cao"]}))
        breed = Breed(species="cao", name="Fila")
        s.add(breed)
        s.flush()
        s.add(NotAcceptedBreed(shop_id=world.shop_id, breed_id=breed.id, message="Não atendemos."))
        s.commit()
        breed_id = breed.id

    snap = _snapshot(world, MONDAY, tuesday)

    assert {(b.day, b.employee_id, b.all_day) for b in snap.blocks} == {
        (MONDAY, None, True),
        (tuesday, None, True),
        (MONDAY, world.employees["ana"], False),
    }
    assert [r.name for r in snap.restrictions] == ["Ativa"]
    assert snap.not_accepted_breeds == {breed_id: "Não atendemos."}


def test_shared_resource_capacity_limits_parallel_visits(world):
    # One bathtub: Ana bathing at 10:00 means Bruno cannot bathe at 10:00 either.
    book_at(world, "10:00", employee="ana")
    bruno = starts(offer(world, employee="bruno"))
    assert "10:00" not in bruno and "09:30" not in bruno
    assert "11:00" in bruno


def test_services_segment_and_pet_info(world):
    with Session(world.engine) as s:
        shop = s.get(Shop, world.shop_id)
        clinic = create_segment(s, shop, name="Clínica", kind="clinica")
        consult = create_service(s, create_category(s, clinic, "Consulta", kind="clinica"),
                                 "Consulta")
        s.commit()
        assert services_segment(s, [world.services["banho"], world.services["tosa"]]) == (
            world.segment_id
        )
        with pytest.raises(ValidationFailed) as mixed:
            services_segment(s, [world.services["banho"], consult.id])
        assert "setores diferentes" in mixed.value.message
        with pytest.raises(NotFound):
            services_segment(s, [987654])
        with pytest.raises(ValidationFailed):
            services_segment(s, [])
        from scheduler_core.people.models import Pet

        info = pet_info(s.get(Pet, world.pet_id))
        assert (info.species, info.porte, info.pelagem) == ("cao", "pequeno", "curta")


def test_missing_bot_settings_fall_back_to_the_defaults(db_engine):
    world = build_shop(db_engine)
    with Session(db_engine) as s:
        from scheduler_core.chatbot.models import BotSettings

        s.delete(s.get(BotSettings, world.shop_id))
        s.commit()
    snap = _snapshot(world)
    assert snap.bot_rules.min_notice_min == 120
    assert snap.bot_rules.horizon_days == 10
    # And the bot still gets slots.
    assert booking.find_slots(
        db_engine, shop_id=world.shop_id, pet_id=world.pet_id,
        service_ids=[world.services["banho"]], date_from=MONDAY, date_to=MONDAY,
        channel="bot", now=NOW, secret="x",
    ).slots
