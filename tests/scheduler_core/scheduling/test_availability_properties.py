"""Property-based checks of the availability engine on generated shops (hypothesis).

Each example builds one Monday with random opening ranges (breaks), employees with several
working ranges, blocks, busy items, a shared resource and a 1–2 service visit, then checks the
invariants a tutor or staff member relies on, and compares the engine with a minute-by-minute
oracle written here independently.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler_core.catalog.prices import PriceCell
from scheduler_core.scheduling.agenda_types import (
    AgendaSnapshot,
    AvailabilityQuery,
    BlockInfo,
    BusyItem,
    ChannelRules,
    EmployeeInfo,
    PetInfo,
    SegmentInfo,
    ServiceInfo,
    TimeRange,
)
from scheduler_core.scheduling.availability import find_slots

Z = ZoneInfo("America/Sao_Paulo")
DAY = date(2026, 12, 7)  # Monday
MIDNIGHT = datetime(2026, 12, 7, tzinfo=Z)
BATH, GROOM = 10, 20
TUB = 1
PET = PetInfo(id=1, species="cao", breed_id=None, porte="medio", pelagem="curta")

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def minute_of(moment: datetime) -> int:
    return int((moment - MIDNIGHT).total_seconds() // 60)


def ranges_strategy(max_ranges: int, lo: int = 0, hi: int = 1440):
    """1..max_ranges sorted, disjoint "HH:MM" ranges on a 5-minute grid inside [lo, hi]."""
    return (
        st.lists(
            st.integers(lo // 5, hi // 5),
            min_size=2,
            max_size=2 * max_ranges,
            unique=True,
        )
        .map(sorted)
        .map(lambda xs: xs[: len(xs) - len(xs) % 2])
        .map(lambda xs: [(xs[i] * 5, xs[i + 1] * 5) for i in range(0, len(xs), 2)])
    )


@st.composite
def worlds(draw):
    step = draw(st.sampled_from([5, 10, 15, 20, 30]))
    opening = draw(
        st.one_of(
            st.just([(8 * 60, 12 * 60), (13 * 60, 18 * 60)]),
            ranges_strategy(4, 6 * 60, 22 * 60),
        )
    )
    n_emp = draw(st.integers(1, 4))
    employees = []
    for eid in range(1, n_emp + 1):
        cats = draw(st.sampled_from([{1}, {2}, {1, 2}, {1, 2}]))
        if draw(st.booleans()):
            work = [(8 * 60, 20 * 60)]
        else:
            work = draw(ranges_strategy(2, 5 * 60, 23 * 60))
        employees.append(
            EmployeeInfo(
                id=eid,
                name=f"E{eid}",
                category_ids=frozenset(cats),
                species=frozenset({"cao"} if draw(st.integers(0, 9)) else {"gato"}),
                working={0: tuple(TimeRange(hhmm(a), hhmm(b)) for a, b in work)},
                has_calendar=draw(st.integers(0, 9)) > 0,
            )
        )
    blocks = []
    for _ in range(draw(st.integers(0, 3))):
        who = draw(st.sampled_from([None, *range(1, n_emp + 1)]))
        if draw(st.integers(0, 9)) == 0:
            blocks.append(BlockInfo(DAY, who, True))
        else:
            a = draw(st.integers(6 * 12, 21 * 12)) * 5
            b = a + draw(st.integers(1, 36)) * 5
            blocks.append(BlockInfo(DAY, who, False, hhmm(a), hhmm(b)))
    use_tub = draw(st.booleans())
    capacity = draw(st.integers(1, 2))
    busy = []
    for aid in range(1, draw(st.integers(0, 8)) + 1):
        a = draw(st.integers(6 * 12, 21 * 12)) * 5
        length = draw(st.integers(1, 24)) * 5
        tub = {TUB: 1} if use_tub and draw(st.booleans()) else {}
        busy.append(
            BusyItem(
                appointment_id=aid,
                employee_id=draw(st.integers(1, n_emp)),
                service_id=BATH,
                start=MIDNIGHT + timedelta(minutes=a),
                end=MIDNIGHT + timedelta(minutes=a + length),
                resources=tub,
            )
        )
    bath_min = draw(st.integers(1, 12)) * 10
    groom_min = draw(st.integers(1, 9)) * 10
    services = {
        BATH: ServiceInfo(
            BATH, "Banho", 1, 1, 0, frozenset({"cao"}), True,
            {("medio", "curta"): PriceCell(4000, bath_min)}, {},
            {TUB: 1} if use_tub else {},
        ),
        GROOM: ServiceInfo(
            GROOM, "Tosa", 2, 2, 0, frozenset({"cao"}), True,
            {("medio", "curta"): PriceCell(3000, groom_min)}, {},
        ),
    }
    channel = draw(st.sampled_from(["staff", "bot"]))
    display = draw(st.sampled_from(["todos", "30", "60"]))
    notice = draw(st.sampled_from([0, 0, 30, 90, 240]))
    rules = ChannelRules(min_notice_min=notice, horizon_days=10, display=display)
    snapshot = AgendaSnapshot(
        shop_id=1,
        timezone="America/Sao_Paulo",
        billing_mode="porte_pelagem",
        segment=SegmentInfo(
            5, "pet_shop", step, False, frozenset({"cao"}),
            {0: tuple(TimeRange(hhmm(a), hhmm(b)) for a, b in opening)},
        ),
        employees=tuple(employees),
        services=services,
        resource_capacity={TUB: capacity},
        blocks=tuple(blocks),
        busy=tuple(busy),
        restrictions=(),
        not_accepted_breeds={},
        not_accepted_portes=frozenset(),
        staff_rules=rules,
        bot_rules=rules,
    )
    chosen_services = draw(st.sampled_from([(BATH,), (GROOM,), (BATH, GROOM), (GROOM, BATH)]))
    now = MIDNIGHT + timedelta(minutes=draw(st.integers(-600, 14 * 60)))
    pick = {}
    if draw(st.integers(0, 4)) == 0:
        pick = {draw(st.sampled_from([1, 2])): draw(st.integers(1, n_emp))}
    moving = draw(st.sampled_from([None, None, *range(1, len(busy) + 1)])) if busy else None
    preferred = frozenset(draw(st.sets(st.integers(1, n_emp), max_size=1)))
    query = AvailabilityQuery(
        pet=PET,
        service_ids=chosen_services,
        date_from=DAY,
        date_to=DAY,
        now=now,
        channel=channel,
        employee_by_category=pick,
        moving_appointment_id=moving,
        preferred_employee_ids=preferred,
    )
    return snapshot, query


# --------------------------------------------------------------------------- minute-level model


def minute_set(spans) -> set[int]:
    return {m for a, b in spans for m in range(a, b)}


def spans_of(time_ranges) -> list[tuple[int, int]]:
    return [(int(r.start[:2]) * 60 + int(r.start[3:]), int(r.end[:2]) * 60 + int(r.end[3:]))
            for r in time_ranges]


class Model:
    """The same rules, minute by minute, for one day."""

    def __init__(self, snapshot: AgendaSnapshot, query: AvailabilityQuery):
        self.s, self.q = snapshot, query
        shop_blocks = [b for b in snapshot.blocks if b.employee_id is None]
        self.closed = any(b.all_day for b in shop_blocks)
        blocked = minute_set(spans_of(TimeRange(b.start, b.end) for b in shop_blocks
                                      if not b.all_day))
        self.opening = spans_of(snapshot.segment.opening.get(0, ()))
        self.open = minute_set(self.opening) - blocked
        busy = [b for b in snapshot.busy if b.appointment_id != query.moving_appointment_id]
        self.free: dict[int, set[int]] = {}
        self.booked: dict[int, int] = {}
        for e in snapshot.employees:
            if any(b.employee_id == e.id and b.all_day for b in snapshot.blocks):
                continue
            mine = minute_set(spans_of(e.working.get(0, ())))
            for b in snapshot.blocks:
                if b.employee_id == e.id:
                    mine -= minute_set(spans_of([TimeRange(b.start, b.end)]))
            taken = 0
            for b in busy:
                if b.employee_id == e.id:
                    span = set(range(minute_of(b.start), minute_of(b.end)))
                    mine -= span
                    taken += len(span)
            self.free[e.id] = mine
            self.booked[e.id] = taken
        self.tub_used = [0] * 1440
        for b in busy:
            for m in range(minute_of(b.start), minute_of(b.end)):
                self.tub_used[m] += b.resources.get(TUB, 0)
        order = sorted(
            set(query.service_ids), key=lambda sid: snapshot.services[sid].category_order
        )
        self.items = [snapshot.services[sid] for sid in order]

    def employee_ok(self, e: EmployeeInfo, category: int) -> bool:
        pick = self.q.employee_by_category.get(category)
        return (e.has_calendar and category in e.category_ids and "cao" in e.species
                and (pick is None or pick == e.id) and e.id in self.free)

    def window_start(self, t: int) -> int:
        while t - 1 in self.open:
            t -= 1
        return t

    def expected(self) -> list[tuple[int, tuple[int, ...]]]:
        if self.closed or not self.opening:
            return []
        rules = self.s.bot_rules if self.q.channel == "bot" else self.s.staff_rules
        earliest = (self.q.now - MIDNIGHT).total_seconds() / 60 + rules.min_notice_min
        anchor = min(a for a, _b in self.opening)
        thin = int(rules.display) if rules.display in ("30", "60") else 0
        step = self.s.segment.slot_step_min
        total = sum(s.by_size_coat[("medio", "curta")].duration_min for s in self.items)
        out = []
        for t in range(0, 1440):
            if t not in self.open or (t - self.window_start(t)) % step:
                continue
            if t < earliest or (thin and (t - anchor) % thin):
                continue
            if not all(m in self.open for m in range(t, t + total)) or t + total > 1440:
                continue
            at, chosen = t, []
            for service in self.items:
                dur = service.by_size_coat[("medio", "curta")].duration_min
                span = range(at, at + dur)
                need = service.resources.get(TUB, 0)
                if need and any(self.tub_used[m] + need > self.s.resource_capacity[TUB]
                                for m in span):
                    break
                ranked = sorted(
                    (e for e in self.s.employees if self.employee_ok(e, service.category_id)),
                    key=lambda e: (e.id not in self.q.preferred_employee_ids,
                                   self.booked[e.id], e.id),
                )
                for e in ranked:
                    if all(m in self.free[e.id] for m in span):
                        chosen.append(e.id)
                        break
                else:
                    break
                at += dur
            if len(chosen) == len(self.items):
                out.append((t, tuple(chosen)))
        return out


def offered(result) -> list[tuple[int, tuple[int, ...]]]:
    return [(minute_of(s.start), tuple(i.employee_id for i in s.items)) for s in result.slots]


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(worlds())
def test_engine_matches_minute_by_minute_model(world):
    snapshot, query = world
    assert offered(find_slots(snapshot, query)) == Model(snapshot, query).expected()


@SETTINGS
@given(worlds())
def test_offered_slots_respect_hours_breaks_blocks_and_bookings(world):
    snapshot, query = world
    result = find_slots(snapshot, query)
    rules = snapshot.bot_rules if query.channel == "bot" else snapshot.staff_rules
    opening = spans_of(snapshot.segment.opening[0])
    shop_cuts = [b for b in snapshot.blocks if b.employee_id is None]
    employees = {e.id: e for e in snapshot.employees}
    step = snapshot.segment.slot_step_min
    for slot in result.slots:
        start, end = minute_of(slot.start), minute_of(slot.end)
        # Min notice, one window, no shop block inside.
        assert slot.start >= query.now + timedelta(minutes=rules.min_notice_min)
        assert any(a <= start and end <= b for a, b in opening)
        for block in shop_cuts:
            assert not block.all_day
            a, b = spans_of([TimeRange(block.start, block.end)])[0]
            assert end <= a or start >= b
        # On the step grid of its window: the window starts at an opening or a block's end.
        window_starts = [a for a, _b in opening] + [
            spans_of([TimeRange(b.start, b.end)])[0][1] for b in shop_cuts
        ]
        assert any(start >= w and (start - w) % step == 0 for w in window_starts)
        if rules.display in ("30", "60"):
            assert (start - min(a for a, _b in opening)) % int(rules.display) == 0
        # Items chained with no gap, prices summed.
        assert slot.items[0].start == slot.start and slot.items[-1].end == slot.end
        for before, after in zip(slot.items, slot.items[1:], strict=False):
            assert before.end == after.start
        assert slot.total_cents == sum(i.price_cents for i in slot.items)
        for item in slot.items:
            a, b = minute_of(item.start), minute_of(item.end)
            assert b - a == item.duration_min
            emp = employees[item.employee_id]
            assert snapshot.services[item.service_id].category_id in emp.category_ids
            assert any(x <= a and b <= y for x, y in spans_of(emp.working[0]))
            for block in snapshot.blocks:
                if block.employee_id == emp.id:
                    assert not block.all_day
                    x, y = spans_of([TimeRange(block.start, block.end)])[0]
                    assert b <= x or a >= y
            moving = query.moving_appointment_id
            for busy in snapshot.busy:
                if busy.employee_id == emp.id and busy.appointment_id != moving:
                    assert item.end <= busy.start or item.start >= busy.end


@SETTINGS
@given(worlds())
def test_booking_an_offered_slot_takes_it_away(world):
    snapshot, query = world
    result = find_slots(snapshot, query)
    if not result.slots:
        return
    slot = result.slots[len(result.slots) // 2]
    new_busy = tuple(
        BusyItem(999, i.employee_id, i.service_id, i.start, i.end,
                 dict(snapshot.services[i.service_id].resources))
        for i in slot.items
    )
    after = find_slots(
        AgendaSnapshot(**{**snapshot.__dict__, "busy": snapshot.busy + new_busy}), query
    )
    same = [(s.start, tuple(i.employee_id for i in s.items)) for s in after.slots]
    assert (slot.start, tuple(i.employee_id for i in slot.items)) not in same
    # Every slot still offered was offered before (booking never creates capacity).
    before = {s.start for s in result.slots}
    assert {s.start for s in after.slots} <= before
