"""Availability engine: example cases from spec/scheduling.md §3, §6, §8 and chatbot.md §8.4."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler_core.catalog.prices import PriceCell
from scheduler_core.scheduling.agenda_types import (
    AgendaSnapshot,
    AvailabilityQuery,
    BlockInfo,
    BusyItem,
    ChannelRules,
    EmployeeInfo,
    NoSlotReason,
    PetInfo,
    RestrictionInfo,
    SegmentInfo,
    ServiceInfo,
    TimeRange,
)
from scheduler_core.scheduling.availability import (
    NotBookable,
    bot_window,
    check_restrictions,
    find_slots,
    is_open_now,
    resolve_items,
)

TZ = "America/Sao_Paulo"
Z = ZoneInfo(TZ)
MON = date(2026, 12, 7)  # a Monday
SUN = date(2026, 12, 6)
BANHO, TOSA, CLINICA = 1, 2, 3
BATH, GROOM, HYDRATION = 10, 20, 30
BATHTUB = 100


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=Z)


def hm(moment: datetime) -> str:
    return moment.astimezone(Z).strftime("%H:%M")


def ranges(*spans: str) -> tuple[TimeRange, ...]:
    return tuple(TimeRange(*span.split("-")) for span in spans)


def service(
    sid: int,
    category: int,
    *,
    minutes: int = 60,
    price: int = 5000,
    order: int | None = None,
    display: int = 0,
    resources: dict[int, int] | None = None,
    species=("cao", "gato"),
) -> ServiceInfo:
    cell = PriceCell(price_cents=price, duration_min=minutes)
    return ServiceInfo(
        id=sid,
        name=f"Serviço {sid}",
        category_id=category,
        category_order=category if order is None else order,
        display_order=display,
        species=frozenset(species),
        show_on_bot=True,
        by_size_coat={("pequeno", "curta"): cell, ("medio", "longa"): replace(cell)},
        by_breed={7: cell},
        resources=resources or {},
    )


def employee(
    eid: int,
    categories=(BANHO, TOSA),
    *,
    hours=("08:00-18:00",),
    days=range(7),
    species=("cao", "gato"),
    has_calendar: bool = True,
) -> EmployeeInfo:
    return EmployeeInfo(
        id=eid,
        name=f"Func {eid}",
        category_ids=frozenset(categories),
        species=frozenset(species),
        working={d: ranges(*hours) for d in days},
        has_calendar=has_calendar,
    )


def shop(
    *,
    employees=None,
    services=None,
    opening=("08:00-12:00", "13:00-18:00"),
    open_days=range(6),  # Sunday closed
    open_24h: bool = False,
    step: int = 15,
    blocks=(),
    busy=(),
    restrictions=(),
    capacity=None,
    bot=None,
    staff=None,
    billing_mode: str = "porte_pelagem",
    not_accepted_breeds=None,
    not_accepted_portes=(),
    segment_species=("cao", "gato"),
) -> AgendaSnapshot:
    services = services or [service(BATH, BANHO), service(GROOM, TOSA, minutes=30, price=3000)]
    return AgendaSnapshot(
        shop_id=1,
        timezone=TZ,
        billing_mode=billing_mode,
        segment=SegmentInfo(
            id=5,
            kind="pet_shop",
            slot_step_min=step,
            open_24h=open_24h,
            species=frozenset(segment_species),
            opening={d: ranges(*opening) for d in open_days},
        ),
        employees=tuple(employees if employees is not None else [employee(1)]),
        services={s.id: s for s in services},
        resource_capacity=capacity or {},
        blocks=tuple(blocks),
        busy=tuple(busy),
        restrictions=tuple(restrictions),
        not_accepted_breeds=not_accepted_breeds or {},
        not_accepted_portes=frozenset(not_accepted_portes),
        staff_rules=staff or ChannelRules(),
        bot_rules=bot or ChannelRules(min_notice_min=0, horizon_days=10, display="todos"),
    )


PET = PetInfo(id=9, species="cao", breed_id=7, porte="pequeno", pelagem="curta", sex="femea")


def ask(snapshot, *, services=(BATH,), day=MON, to=None, now=None, pet=PET, **kw):
    query = AvailabilityQuery(
        pet=pet,
        service_ids=tuple(services),
        date_from=day,
        date_to=to or day,
        now=now or at(day - timedelta(days=1), "12:00"),
        **kw,
    )
    return find_slots(snapshot, query)


def starts(result) -> list[str]:
    return [hm(s.start) for s in result.slots]


def busy(appointment: int, emp: int, day: date, start: str, end: str, sid=BATH, res=None):
    return BusyItem(appointment, emp, sid, at(day, start), at(day, end), res or {})


# --------------------------------------------------------------------------- windows


def test_bot_offers_no_slot_across_lunch_break():
    snap = shop(services=[service(BATH, BANHO, minutes=90)])
    got = starts(ask(snap, channel="bot"))
    assert got[0] == "08:00"
    assert "10:30" in got  # ends exactly at 12:00
    for forbidden in ("10:45", "11:00", "11:45", "12:00", "12:30", "12:45"):
        assert forbidden not in got
    assert "13:00" in got
    assert got[-1] == "16:30"  # 16:30 + 90 min = 18:00 closing


def test_visit_never_crosses_shift_end():
    snap = shop(employees=[employee(1, hours=("08:00-16:00",))])
    got = starts(ask(snap))
    assert got[-1] == "15:00"
    assert "15:15" not in got


def test_employee_hours_narrower_than_shop_hours_win():
    snap = shop(employees=[employee(1, hours=("10:00-14:00",))])
    got = starts(ask(snap))
    # 10:00–11:00 first; lunch 12–13 is the shop's break; 13:00–14:00 last.
    assert got == ["10:00", "10:15", "10:30", "10:45", "11:00", "13:00"]


def test_several_working_ranges_per_weekday():
    snap = shop(employees=[employee(1, hours=("08:00-09:30", "15:00-17:00"))])
    got = starts(ask(snap, services=(GROOM,)))
    assert got == ["08:00", "08:15", "08:30", "08:45", "09:00"] + [
        "15:00", "15:15", "15:30", "15:45", "16:00", "16:15", "16:30",
    ]


def test_slots_are_on_the_segment_step_grid():
    snap = shop(step=20, opening=("08:00-10:00",))
    assert starts(ask(snap)) == ["08:00", "08:20", "08:40", "09:00"]


def test_closed_day_says_closed():
    result = ask(shop(), day=SUN)
    assert result.slots == ()
    assert result.reason is NoSlotReason.CLOSED
    assert result.message == "Não abrimos nas datas escolhidas."


def test_open_24h():
    snap = shop(open_24h=True, open_days=(), employees=[employee(1, hours=("00:00-24:00",))])
    got = starts(ask(snap, day=SUN, services=(GROOM,), now=at(SUN, "00:00")))
    assert got[0] == "00:00"
    assert got[-1] == "23:30"
    assert len(got) == 24 * 4 - 1
    assert is_open_now(snap, at(SUN, "03:17"))


def test_open_24h_still_loses_to_a_whole_day_block():
    snap = shop(open_24h=True, blocks=[BlockInfo(MON, None, True)])
    result = ask(snap)
    assert result.reason is NoSlotReason.BLOCKED
    assert not is_open_now(snap, at(MON, "10:00"))


def test_is_open_now_ignores_breaks_but_not_closing():
    snap = shop()
    assert is_open_now(snap, at(MON, "12:30"))  # lunch break counts as open
    assert is_open_now(snap, at(MON, "08:00"))
    assert not is_open_now(snap, at(MON, "18:00"))
    assert not is_open_now(snap, at(MON, "07:59"))
    assert not is_open_now(snap, at(SUN, "10:00"))
    # "now" given in UTC is read on the shop's wall clock (UTC-3).
    assert is_open_now(snap, datetime(2026, 12, 7, 11, 0, tzinfo=ZoneInfo("UTC")))


# --------------------------------------------------------------------------- blocks


def test_employee_block_partial_range():
    snap = shop(blocks=[BlockInfo(MON, 1, False, "09:00", "10:00")])
    got = starts(ask(snap))
    assert "08:00" in got
    for gone in ("08:15", "08:30", "08:45", "09:00", "09:45"):
        assert gone not in got
    assert "10:00" in got


def test_employee_block_whole_day_leaves_no_professional():
    snap = shop(blocks=[BlockInfo(MON, 1, True)])
    result = ask(snap)
    assert result.reason is NoSlotReason.NO_EMPLOYEE
    assert result.message


def test_employee_block_on_one_employee_leaves_the_other():
    snap = shop(employees=[employee(1), employee(2)], blocks=[BlockInfo(MON, 1, True)])
    result = ask(snap)
    assert result.slots
    assert {s.items[0].employee_id for s in result.slots} == {2}


def test_shop_partial_block_splits_the_window():
    snap = shop(
        employees=[employee(1), employee(2)],
        blocks=[BlockInfo(MON, None, False, "09:00", "09:40")],
    )
    got = starts(ask(snap, services=(GROOM,)))
    assert "08:30" in got and "08:45" not in got
    assert "09:40" in got  # the window after the block starts at 09:40
    assert "09:00" not in got


def test_shop_whole_day_block():
    result = ask(shop(blocks=[BlockInfo(MON, None, True)]))
    assert result.reason is NoSlotReason.BLOCKED


# --------------------------------------------------------------------------- employees


def test_multi_service_visit_is_chained_in_catalogue_order_without_gap():
    snap = shop(employees=[employee(1, (BANHO,)), employee(2, (TOSA,))])
    result = ask(snap, services=(GROOM, BATH))
    first = result.slots[0]
    assert [i.service_id for i in first.items] == [BATH, GROOM]
    assert [i.employee_id for i in first.items] == [1, 2]
    assert first.items[0].end == first.items[1].start
    assert hm(first.start) == "08:00" and hm(first.end) == "09:30"
    assert first.total_cents == 8000
    assert [i.price_cents for i in first.items] == [5000, 3000]
    assert [i.duration_min for i in first.items] == [60, 30]


def test_display_order_breaks_ties_inside_a_category():
    snap = shop(
        services=[
            service(BATH, BANHO, display=2),
            service(HYDRATION, BANHO, minutes=15, display=1),
        ]
    )
    first = ask(snap, services=(BATH, HYDRATION)).slots[0]
    assert [i.service_id for i in first.items] == [HYDRATION, BATH]


def test_same_employee_can_do_consecutive_items():
    snap = shop(employees=[employee(1)])
    first = ask(snap, services=(BATH, GROOM)).slots[0]
    assert [i.employee_id for i in first.items] == [1, 1]


def test_auto_assign_fewest_booked_minutes_then_lowest_id():
    snap = shop(
        employees=[employee(3), employee(1), employee(2)],
        busy=[
            busy(50, 1, MON, "16:00", "18:00"),  # 120 min
            busy(51, 2, MON, "16:00", "17:00"),  # 60 min
            busy(52, 3, MON, "16:00", "17:00"),  # 60 min
            busy(53, 2, MON - timedelta(days=1), "08:00", "12:00"),  # other day: ignored
        ],
    )
    result = ask(snap)
    assert result.slots[0].items[0].employee_id == 2  # 60 min, tie with 3 → lowest id
    # Once employees 2 and 3 are busy (16:00–17:00), employee 1 takes it only where free.
    by_start = {hm(s.start): s.items[0].employee_id for s in result.slots}
    assert "16:00" not in by_start  # all three are busy at 16:00
    assert by_start["17:00"] == 2


def test_no_employee_with_category_or_species():
    snap = shop(employees=[employee(1, (CLINICA,)), employee(2, species=("gato",))])
    result = ask(snap)
    assert result.reason is NoSlotReason.NO_EMPLOYEE


def test_employee_without_calendar_takes_no_visits():
    snap = shop(employees=[employee(1, has_calendar=False)])
    assert ask(snap).reason is NoSlotReason.NO_EMPLOYEE


def test_chosen_employee_is_the_only_one_used():
    snap = shop(employees=[employee(1), employee(2)], busy=[busy(60, 2, MON, "08:00", "09:00")])
    result = ask(snap, employee_by_category={BANHO: 2})
    assert {s.items[0].employee_id for s in result.slots} == {2}
    assert starts(result)[0] == "09:00"


def test_chosen_employee_outside_the_category_means_no_slot():
    snap = shop(employees=[employee(1), employee(2, (CLINICA,))])
    result = ask(snap, employee_by_category={BANHO: 2})
    assert result.slots == ()
    assert result.reason is NoSlotReason.NO_EMPLOYEE


def test_busy_item_blocks_its_employee_only_for_its_time():
    snap = shop(busy=[busy(60, 1, MON, "09:00", "10:00")])
    got = starts(ask(snap))
    assert "08:00" in got and "08:15" not in got and "09:45" not in got
    assert "10:00" in got


def test_reschedule_ignores_own_appointment_and_prefers_its_employee():
    snap = shop(
        employees=[employee(1), employee(2)],
        busy=[busy(70, 2, MON, "08:00", "09:00"), busy(71, 1, MON, "14:00", "15:00")],
    )
    # Without moving: 08:00 goes to employee 1 (2 is busy with #70).
    plain = ask(snap)
    assert plain.slots[0].items[0].employee_id == 1
    moved = ask(snap, moving_appointment_id=70, preferred_employee_ids=frozenset({2}))
    first = moved.slots[0]
    assert hm(first.start) == "08:00"
    assert first.items[0].employee_id == 2  # keeps its professional, own slot free


def test_pet_is_never_offered_a_visit_overlapping_its_own_visit():
    own = BusyItem(80, 2, BATH, at(MON, "10:00"), at(MON, "11:00"), {}, pet_id=PET.id)
    other_pet = BusyItem(81, 2, BATH, at(MON, "14:00"), at(MON, "15:00"), {}, pet_id=PET.id + 1)
    snap = shop(employees=[employee(1), employee(2)], busy=[own, other_pet])
    got = starts(ask(snap))
    # Employee 1 is free all day, but the pet itself is in a bath 10:00–11:00.
    for clash in ("09:15", "09:30", "09:45", "10:00", "10:45"):
        assert clash not in got
    assert "09:00" in got and "11:00" in got
    assert "14:00" in got  # another pet's visit does not hold this pet
    # Moving that very visit frees its time for the pet again.
    assert "10:00" in starts(ask(snap, moving_appointment_id=80))


def test_preferred_employee_falls_back_to_others_when_busy():
    snap = shop(employees=[employee(1), employee(2)], busy=[busy(70, 2, MON, "08:00", "09:00")])
    result = ask(snap, preferred_employee_ids=frozenset({2}))
    by_start = {hm(s.start): s.items[0].employee_id for s in result.slots}
    assert by_start["08:00"] == 1
    assert by_start["09:00"] == 2


# --------------------------------------------------------------------------- resources


def test_resource_capacity_limits_parallel_baths():
    bath = service(BATH, BANHO, resources={BATHTUB: 1})
    employees = [employee(1), employee(2), employee(3)]
    two_busy = shop(
        services=[bath],
        employees=employees,
        capacity={BATHTUB: 2},
        busy=[
            busy(1, 1, MON, "08:00", "09:00", res={BATHTUB: 1}),
            busy(2, 2, MON, "08:00", "09:00", res={BATHTUB: 1}),
        ],
    )
    got = starts(ask(two_busy))
    assert "08:00" not in got and "08:45" not in got  # employee 3 is free, both tubs are not
    assert got[0] == "09:00"
    one_busy = replace(two_busy, busy=two_busy.busy[:1])
    assert starts(ask(one_busy))[0] == "08:00"


def test_resource_in_sequence_does_not_add_up():
    # Two baths one after the other use one tub each at different times: capacity 1 is enough
    # for a bath from 10:00 (after both).
    bath = service(BATH, BANHO, resources={BATHTUB: 1})
    snap = shop(
        services=[bath],
        employees=[employee(1), employee(2)],
        capacity={BATHTUB: 1},
        busy=[
            busy(1, 1, MON, "08:00", "09:00", res={BATHTUB: 1}),
            busy(2, 1, MON, "09:00", "10:00", res={BATHTUB: 1}),
        ],
    )
    got = starts(ask(snap))
    assert got[0] == "10:00"
    moved = ask(snap, moving_appointment_id=1)
    assert starts(moved)[0] == "08:00"  # a moving appointment frees its resources too


# --------------------------------------------------------------------------- channel rules


def test_min_notice_drops_early_slots():
    snap = shop(bot=ChannelRules(min_notice_min=120, horizon_days=10))
    now = at(MON, "09:05")
    bot = starts(ask(snap, now=now, channel="bot", services=(GROOM,)))
    assert bot[0] == "11:15"  # ≥ 11:05
    staff = starts(ask(snap, now=now, services=(GROOM,)))
    assert staff[0] == "09:15"  # staff: no notice, but never in the past


def test_min_notice_after_midnight_uses_full_dates():
    snap = shop(
        open_24h=True,
        employees=[employee(1, hours=("00:00-24:00",))],
        bot=ChannelRules(min_notice_min=60, horizon_days=10),
    )
    now = at(MON, "23:30")
    result = ask(snap, now=now, to=MON + timedelta(days=1), channel="bot", services=(GROOM,))
    assert result.slots[0].start == at(MON + timedelta(days=1), "00:30")


def test_thinning_every_30_anchored_at_opening():
    snap = shop(
        step=5,
        opening=("09:00-12:00",),
        busy=[busy(1, 1, MON, "09:00", "09:05", sid=GROOM)],
        bot=ChannelRules(display="30", horizon_days=10),
    )
    got = starts(ask(snap, channel="bot", services=(GROOM,)))
    # 09:05 is the first free start but lies off the 09:00/09:30 grid.
    assert got == ["09:30", "10:00", "10:30", "11:00", "11:30"]
    staff = starts(ask(snap, services=(GROOM,)))
    assert staff[0] == "09:05"  # staff sees every step


def test_thinning_hourly_grid_is_not_reanchored_after_break():
    snap = shop(
        opening=("08:00-12:00", "13:15-18:00"),
        bot=ChannelRules(display="60", horizon_days=10),
    )
    got = starts(ask(snap, channel="bot", services=(GROOM,)))
    assert got == ["08:00", "09:00", "10:00", "11:00", "14:00", "15:00", "16:00", "17:00"]


def test_thinning_busy_grid_point_simply_disappears():
    snap = shop(
        opening=("09:00-12:00",),
        busy=[busy(1, 1, MON, "09:30", "10:00", sid=GROOM)],
        bot=ChannelRules(display="30", horizon_days=10),
    )
    got = starts(ask(snap, channel="bot", services=(GROOM,)))
    assert got == ["09:00", "10:00", "10:30", "11:00", "11:30"]


def test_bot_paging_today_tomorrow_then_plus_two_up_to_ten_days():
    rules = ChannelRules(horizon_days=10, page_days=2)
    today = MON
    windows = [bot_window(today, page, rules) for page in range(8)]
    d = lambda n: today + timedelta(days=n)  # noqa: E731
    assert windows[0] == (d(0), d(1))
    assert windows[1] == (d(2), d(3))
    assert windows[4] == (d(8), d(9))
    assert windows[5] == (d(10), d(10))  # cut at the horizon
    assert windows[6] is None and windows[7] is None
    assert bot_window(today, 0, ChannelRules(horizon_days=0)) == (d(0), d(0))


def test_bot_horizon_ten_days_staff_ninety():
    snap = shop(open_days=range(7))
    now = at(MON, "07:00")
    far = MON + timedelta(days=11)
    bot = ask(snap, day=far, now=now, channel="bot")
    assert bot.slots == () and bot.reason is NoSlotReason.BEYOND_HORIZON
    assert "10 dias" in bot.message
    assert ask(snap, day=MON + timedelta(days=10), now=now, channel="bot").slots
    assert ask(snap, day=far, now=now).slots  # staff: 90 days
    assert ask(snap, day=MON + timedelta(days=91), now=now).reason is NoSlotReason.BEYOND_HORIZON


def test_range_query_returns_days_in_order_and_skips_closed_days():
    snap = shop()
    result = ask(snap, day=SUN, to=MON + timedelta(days=1), services=(GROOM,))
    days = sorted({s.start.date() for s in result.slots})
    assert days == [MON, MON + timedelta(days=1)]
    assert [s.start for s in result.slots] == sorted(s.start for s in result.slots)


def test_full_day_says_no_free_times():
    snap = shop(opening=("08:00-09:00",), busy=[busy(1, 1, MON, "08:00", "09:00")])
    result = ask(snap)
    assert result.slots == ()
    assert result.reason is NoSlotReason.FULL
    assert result.message == "Não temos horários livres nessas datas."


def test_slot_times_are_in_the_shop_zone():
    result = ask(shop())
    first = result.slots[0]
    assert first.start == at(MON, "08:00")
    assert first.start.utcoffset() == timedelta(hours=-3)
    assert first.items[0].start.tzinfo.key == TZ


# --------------------------------------------------------------------------- restrictions


def no_cats_on_monday(scope: str = "robo") -> RestrictionInfo:
    return RestrictionInfo(
        id=1,
        name="Gatos só terça a sábado",
        scope=scope,
        description="Às segundas não atendemos gatos. Que tal terça?",
        conditions={"species": ["gato"], "weekdays": [0]},
    )


CAT = replace(PET, species="gato")


def test_restriction_description_is_the_reason():
    snap = shop(restrictions=[no_cats_on_monday()])
    result = ask(snap, pet=CAT, channel="bot")
    assert result.slots == ()
    assert result.reason is NoSlotReason.RESTRICTION
    assert result.message == "Às segundas não atendemos gatos. Que tal terça?"
    # Tuesday is fine, and a dog on Monday is fine.
    assert ask(snap, pet=CAT, channel="bot", day=MON + timedelta(days=1)).slots
    assert ask(snap, channel="bot").slots


def test_restriction_scope_robo_does_not_bind_staff_and_ambos_binds_both():
    assert ask(shop(restrictions=[no_cats_on_monday("robo")]), pet=CAT).slots
    staff_only = shop(restrictions=[no_cats_on_monday("agenda")])
    assert ask(staff_only, pet=CAT).reason is NoSlotReason.RESTRICTION
    assert ask(staff_only, pet=CAT, channel="bot").slots
    both = shop(restrictions=[no_cats_on_monday("ambos")])
    assert ask(both, pet=CAT).reason is NoSlotReason.RESTRICTION
    assert ask(both, pet=CAT, channel="bot").reason is NoSlotReason.RESTRICTION


def test_restriction_needs_every_condition():
    rule = RestrictionInfo(
        2,
        "Tosa de filhote",
        "ambos",
        "Tosa só a partir de 6 meses.",
        {"service_ids": [GROOM], "age_max_months": 5},
    )
    snap = shop(restrictions=[rule])
    puppy = replace(PET, birth_date=MON - timedelta(days=100))
    adult = replace(PET, birth_date=date(2020, 1, 1))
    assert check_restrictions(snap, puppy, [BATH, GROOM], MON, "staff") == rule
    assert check_restrictions(snap, puppy, [BATH], MON, "staff") is None  # no grooming
    assert check_restrictions(snap, adult, [GROOM], MON, "staff") is None
    no_birth = replace(PET, birth_date=None)
    assert check_restrictions(snap, no_birth, [GROOM], MON, "staff") is None
    assert ask(snap, pet=puppy, services=(GROOM,)).message == "Tosa só a partir de 6 meses."


def test_restriction_conditions_on_pet_traits():
    rule = RestrictionInfo(
        3,
        "Machos grandes",
        "ambos",
        "Sem banho para machos grandes de pelo longo.",
        {"portes": ["medio"], "pelagens": ["longa"], "sexes": ["macho"], "breed_ids": [7],
         "pet_statuses": ["ativo"], "segment_ids": [5], "age_min_months": 12},
    )
    snap = shop(restrictions=[rule])
    pet = replace(PET, porte="medio", pelagem="longa", sex="macho", birth_date=date(2020, 1, 1))
    assert check_restrictions(snap, pet, [BATH], MON, "bot") == rule
    assert check_restrictions(snap, replace(pet, sex="femea"), [BATH], MON, "bot") is None
    assert check_restrictions(snap, replace(pet, porte=None), [BATH], MON, "bot") is None


def test_restriction_without_conditions_blocks_nothing():
    rule = RestrictionInfo(4, "Rascunho", "ambos", "x", {})
    assert ask(shop(restrictions=[rule])).slots


def test_restricted_day_wins_over_full_day_in_a_range():
    snap = shop(restrictions=[no_cats_on_monday("ambos")], open_days=range(7))
    result = ask(snap, pet=CAT, day=SUN - timedelta(days=7), to=MON, now=at(SUN, "23:00"))
    # Sunday is in the past (full), Monday is restricted.
    assert result.reason is NoSlotReason.RESTRICTION


# --------------------------------------------------------------------------- pet data


def test_breed_not_accepted():
    snap = shop(not_accepted_breeds={7: "Infelizmente não atendemos Pit Bull."})
    result = ask(snap)
    assert result.slots == ()
    assert result.reason is NoSlotReason.BREED_NOT_ACCEPTED
    assert result.message == "Infelizmente não atendemos Pit Bull."


def test_porte_not_accepted():
    result = ask(shop(not_accepted_portes={"pequeno"}))
    assert result.reason is NoSlotReason.PORTE_NOT_ACCEPTED
    assert "porte" in result.message


def test_missing_porte_asks_for_pet_data():
    result = ask(shop(), pet=replace(PET, porte=None))
    assert result.reason is NoSlotReason.PET_DATA_MISSING
    assert result.message == "Precisamos saber o porte e a pelagem do pet para agendar."


def test_breed_mode_needs_the_breed():
    snap = shop(billing_mode="raca")
    assert ask(snap, pet=replace(PET, porte=None, pelagem=None)).slots  # breed 7 priced
    result = ask(snap, pet=replace(PET, breed_id=None))
    assert result.reason is NoSlotReason.PET_DATA_MISSING
    assert "raça" in result.message


def test_no_price_cell_for_the_pet():
    result = ask(shop(), pet=replace(PET, porte="gigante"))
    assert result.reason is NoSlotReason.PET_DATA_MISSING
    assert "Serviço 10" in result.message


def test_species_not_served():
    rodent = replace(PET, species="roedor")
    assert ask(shop(), pet=rodent).reason is NoSlotReason.SPECIES_NOT_SERVED
    dog_only = shop(services=[service(BATH, BANHO, species=("cao",))])
    result = ask(dog_only, pet=CAT)
    assert result.reason is NoSlotReason.SPECIES_NOT_SERVED
    assert result.message.startswith("Infelizmente")


def test_unknown_service_or_bad_range_is_a_clear_answer():
    assert ask(shop(), services=(999,)).reason is NoSlotReason.INVALID_QUERY
    assert ask(shop(), services=()).reason is NoSlotReason.INVALID_QUERY
    bad = ask(shop(), day=MON, to=SUN)
    assert bad.reason is NoSlotReason.INVALID_QUERY
    assert bad.message == "A data final vem antes da data inicial."


def test_resolve_items_prices_in_catalogue_order():
    snap = shop()
    items = resolve_items(snap, PET, [GROOM, BATH, GROOM])
    assert [(s.id, c.price_cents, c.duration_min) for s, c in items] == [
        (BATH, 5000, 60),
        (GROOM, 3000, 30),
    ]
    try:
        resolve_items(snap, replace(PET, pelagem=None), [BATH])
    except NotBookable as exc:
        assert exc.reason is NoSlotReason.PET_DATA_MISSING
    else:  # pragma: no cover
        raise AssertionError("expected NotBookable")


def test_dst_day_uses_real_instants_and_utc_bookings():
    # New York springs forward on 2026-03-08 at 02:00 → 03:00: the day has 23 hours.
    ny = ZoneInfo("America/New_York")
    day = date(2026, 3, 8)
    snap = replace(
        shop(open_24h=True, employees=[employee(1, hours=("00:00-24:00",))], step=60),
        timezone="America/New_York",
        busy=(
            BusyItem(
                1, 1, BATH,
                datetime(2026, 3, 8, 8, 0, tzinfo=ZoneInfo("UTC")),  # 04:00 EDT
                datetime(2026, 3, 8, 9, 0, tzinfo=ZoneInfo("UTC")),
            ),
        ),
    )
    query = AvailabilityQuery(
        pet=PET, service_ids=(BATH,), date_from=day, date_to=day,
        now=datetime(2026, 3, 7, 12, 0, tzinfo=ny),
    )
    got = [s.start.astimezone(ny).strftime("%H:%M") for s in find_slots(snap, query).slots]
    assert got[:4] == ["00:00", "01:00", "03:00", "05:00"]  # no 02:00, 04:00 is booked
    assert got[-1] == "23:00"
    assert len(got) == 23 - 1
