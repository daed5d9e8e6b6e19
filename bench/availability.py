"""Benchmark of the availability engine (not part of pytest).

Run: ``.venv/bin/python bench/availability.py [--runs N] [--seed S]``

Builds a synthetic shop (20 employees, 5 categories, 2,000 busy items spread over the period, a
shared resource), asks for a 10-day bot window for a 2-service visit (bath + grooming), and
measures ``find_slots`` p50/p95 over N runs. A brute-force reference written here, which checks
every minute for every employee, must produce exactly the same slots (asserted once); it is
timed in the same run and the ratio is printed. Target: engine p50 ≤ 5 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

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
    Slot,
    TimeRange,
)
from scheduler_core.scheduling.availability import find_slots

TZ = "America/Sao_Paulo"
ZONE = ZoneInfo(TZ)
TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 7, 30, tzinfo=ZONE)
N_EMPLOYEES = 20
N_CATEGORIES = 5
N_BUSY = 2000
PERIOD_DAYS = 12  # busy items spread over today .. today + 11
TUB = 1
PET = PetInfo(id=1, species="cao", breed_id=3, porte="medio", pelagem="media")
BATH_ID, GROOM_ID = 101, 201


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def build(seed: int = 7) -> tuple[AgendaSnapshot, AvailabilityQuery]:
    rnd = random.Random(seed)
    shifts = [
        ((8 * 60, 12 * 60), (13 * 60, 17 * 60)),
        ((8 * 60, 17 * 60),),
        ((10 * 60, 19 * 60),),
        ((9 * 60, 12 * 60), (13 * 60, 15 * 60), (16 * 60, 19 * 60)),
    ]
    employees = []
    for eid in range(1, N_EMPLOYEES + 1):
        cats = frozenset(rnd.sample(range(1, N_CATEGORIES + 1), rnd.randint(1, 3)))
        shift = rnd.choice(shifts)
        days_off = {rnd.randrange(7), 6}
        employees.append(
            EmployeeInfo(
                id=eid,
                name=f"Funcionário {eid}",
                category_ids=cats,
                species=frozenset({"cao", "gato"}),
                working={
                    d: tuple(TimeRange(hhmm(a), hhmm(b)) for a, b in shift)
                    for d in range(7)
                    if d not in days_off
                },
            )
        )
    services = {}
    for cat in range(1, N_CATEGORIES + 1):
        for k in range(2):
            sid = cat * 100 + 1 + k
            services[sid] = ServiceInfo(
                id=sid,
                name=f"Serviço {sid}",
                category_id=cat,
                category_order=cat,
                display_order=k,
                species=frozenset({"cao", "gato"}),
                show_on_bot=True,
                by_size_coat={("medio", "media"): PriceCell(3000 + 1000 * k, 30 + 15 * (cat % 3))},
                by_breed={},
                resources={TUB: 1} if cat == 1 else {},
            )
    by_cat: dict[int, list[int]] = {}
    for e in employees:
        for c in e.category_ids:
            by_cat.setdefault(c, []).append(e.id)
    busy = []
    for aid in range(1, N_BUSY + 1):
        day = TODAY + timedelta(days=rnd.randrange(PERIOD_DAYS))
        start = rnd.randrange(8 * 4, 18 * 4) * 15
        length = rnd.choice([30, 45, 60, 60, 90])
        cat = rnd.randint(1, N_CATEGORIES)
        emp = rnd.choice(by_cat.get(cat) or [1])
        begin = datetime.combine(day, datetime.min.time(), tzinfo=ZONE) + timedelta(minutes=start)
        busy.append(
            BusyItem(
                appointment_id=aid,
                employee_id=emp,
                service_id=cat * 100 + 1,
                start=begin,
                end=begin + timedelta(minutes=length),
                resources={TUB: 1} if cat == 1 else {},
            )
        )
    blocks = [
        BlockInfo(TODAY + timedelta(days=2), 3, True),
        BlockInfo(TODAY + timedelta(days=3), 5, False, "14:00", "16:00"),
        BlockInfo(TODAY + timedelta(days=4), None, False, "17:00", "18:00"),
        BlockInfo(TODAY + timedelta(days=9), None, True),
    ]
    opening = (TimeRange("08:00", "12:00"), TimeRange("13:00", "19:00"))
    snapshot = AgendaSnapshot(
        shop_id=1,
        timezone=TZ,
        billing_mode="porte_pelagem",
        segment=SegmentInfo(
            id=1,
            kind="pet_shop",
            slot_step_min=15,
            open_24h=False,
            species=frozenset({"cao", "gato"}),
            opening={d: opening for d in range(6)},
        ),
        employees=tuple(employees),
        services=services,
        resource_capacity={TUB: 4},
        blocks=tuple(blocks),
        busy=tuple(busy),
        restrictions=(),
        not_accepted_breeds={},
        not_accepted_portes=frozenset(),
        staff_rules=ChannelRules(),
        bot_rules=ChannelRules(min_notice_min=60, horizon_days=10, display="todos"),
    )
    query = AvailabilityQuery(
        pet=PET,
        service_ids=(GROOM_ID, BATH_ID),
        date_from=TODAY,
        date_to=TODAY + timedelta(days=9),
        now=NOW,
        channel="bot",
    )
    return snapshot, query


# --------------------------------------------------------------------------- brute force


def _minutes(r: TimeRange) -> tuple[int, int]:
    a, b = r.start.split(":"), r.end.split(":")
    return int(a[0]) * 60 + int(a[1]), int(b[0]) * 60 + int(b[1])


def brute_force(snapshot: AgendaSnapshot, query: AvailabilityQuery) -> list[tuple]:
    """Every minute for every employee; same rules, no cleverness. Returns comparable tuples
    (start, ((service, employee, start, end, price, duration), ...), total)."""
    zone = ZoneInfo(snapshot.timezone)
    rules = snapshot.bot_rules if query.channel == "bot" else snapshot.staff_rules
    now_local = query.now.astimezone(zone)
    earliest = query.now + timedelta(minutes=rules.min_notice_min)
    items = sorted(
        (snapshot.services[s] for s in set(query.service_ids)),
        key=lambda s: (s.category_order, s.display_order, s.id),
    )
    cells = [s.by_size_coat[(query.pet.porte, query.pet.pelagem)] for s in items]
    busy = [b for b in snapshot.busy if b.appointment_id != query.moving_appointment_id]
    out = []
    day = query.date_from
    while day <= query.date_to:
        if (day - now_local.date()).days > rules.horizon_days:
            break
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        weekday = day.weekday()
        opening = [_minutes(r) for r in snapshot.segment.opening.get(weekday, ())]
        shop_blocks = [b for b in snapshot.blocks if b.employee_id is None and b.day == day]
        if not opening or any(b.all_day for b in shop_blocks):
            day += timedelta(days=1)
            continue
        is_open = [False] * 1441
        for a, b in opening:
            for m in range(a, b):
                is_open[m] = True
        for blk in shop_blocks:
            a, b = _minutes(TimeRange(blk.start, blk.end))
            for m in range(a, b):
                is_open[m] = False

        def local_minute(moment: datetime, midnight=midnight) -> int:
            return int((moment.astimezone(zone) - midnight).total_seconds() // 60)

        free: dict[int, list[bool]] = {}
        booked: dict[int, int] = {}
        for e in snapshot.employees:
            mine = [False] * 1441
            for r in e.working.get(weekday, ()):
                a, b = _minutes(r)
                for m in range(a, b):
                    mine[m] = True
            for blk in snapshot.blocks:
                if blk.employee_id == e.id and blk.day == day:
                    a, b = (0, 1440) if blk.all_day else _minutes(TimeRange(blk.start, blk.end))
                    for m in range(a, b):
                        mine[m] = False
            taken = 0
            for bi in busy:
                if bi.employee_id != e.id:
                    continue
                for m in range(max(0, local_minute(bi.start)), min(1440, local_minute(bi.end))):
                    mine[m] = False
                    taken += 1
            free[e.id] = mine
            booked[e.id] = taken
        used = {rid: [0] * 1441 for rid in snapshot.resource_capacity}
        for bi in busy:
            for rid, units in bi.resources.items():
                if rid in used:
                    lo, hi = max(0, local_minute(bi.start)), min(1440, local_minute(bi.end))
                    for m in range(lo, hi):
                        used[rid][m] += units
        total = sum(c.duration_min for c in cells)
        step = snapshot.segment.slot_step_min
        thin = int(rules.display) if rules.display in ("30", "60") else 0
        anchor = min(a for a, _b in opening)
        for t in range(1440):
            if not is_open[t]:
                continue
            window_start = t
            while window_start > 0 and is_open[window_start - 1]:
                window_start -= 1
            if (t - window_start) % step or (thin and (t - anchor) % thin):
                continue
            if t + total > 1440 or not all(is_open[m] for m in range(t, t + total)):
                continue
            if midnight + timedelta(minutes=t) < earliest:
                continue
            at, chosen = t, []
            for service, cell in zip(items, cells, strict=True):
                span = range(at, at + cell.duration_min)
                if any(
                    used.get(rid, [0] * 1441)[m] + units > snapshot.resource_capacity.get(rid, 0)
                    for rid, units in service.resources.items()
                    for m in span
                ):
                    break
                pick = query.employee_by_category.get(service.category_id)
                ranked = sorted(
                    (
                        e
                        for e in snapshot.employees
                        if e.has_calendar
                        and service.category_id in e.category_ids
                        and query.pet.species in e.species
                        and (pick is None or pick == e.id)
                    ),
                    key=lambda e: (e.id not in query.preferred_employee_ids, booked[e.id], e.id),
                )
                for e in ranked:
                    if all(free[e.id][m] for m in span):
                        chosen.append(
                            (
                                service.id,
                                e.id,
                                midnight + timedelta(minutes=at),
                                midnight + timedelta(minutes=at + cell.duration_min),
                                cell.price_cents,
                                cell.duration_min,
                            )
                        )
                        break
                else:
                    break
                at += cell.duration_min
            if len(chosen) == len(items):
                out.append((chosen[0][2], tuple(chosen), sum(c[4] for c in chosen)))
        day += timedelta(days=1)
    return out


def as_tuples(slots: tuple[Slot, ...]) -> list[tuple]:
    return [
        (
            s.start,
            tuple(
                (i.service_id, i.employee_id, i.start, i.end, i.price_cents, i.duration_min)
                for i in s.items
            ),
            s.total_cents,
        )
        for s in slots
    ]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--brute-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    snapshot, query = build(args.seed)
    result = find_slots(snapshot, query)
    reference = brute_force(snapshot, query)
    assert as_tuples(result.slots) == reference, "engine and brute force disagree"
    days = len({s.start.date() for s in result.slots})
    print(
        f"snapshot: {len(snapshot.employees)} employees, {N_CATEGORIES} categories, "
        f"{len(snapshot.busy)} busy items; query: {len(query.service_ids)} services, "
        f"{(query.date_to - query.date_from).days + 1} days, channel {query.channel}"
    )
    print(f"slots: {len(result.slots)} over {days} days (brute force agrees)")

    for _ in range(20):  # warm-up
        find_slots(snapshot, query)
    engine_ms = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        find_slots(snapshot, query)
        engine_ms.append((time.perf_counter() - t0) * 1000)
    brute_ms = []
    for _ in range(args.brute_runs):
        t0 = time.perf_counter()
        brute_force(snapshot, query)
        brute_ms.append((time.perf_counter() - t0) * 1000)

    p50, p95 = percentile(engine_ms, 50), percentile(engine_ms, 95)
    b50 = statistics.median(brute_ms)
    print(f"engine      find_slots: p50 {p50:.2f} ms, p95 {p95:.2f} ms ({args.runs} runs)")
    print(f"brute force reference : p50 {b50:.1f} ms ({args.brute_runs} runs)")
    print(f"ratio brute/engine (p50): {b50 / p50:.0f}x")
    print(f"target p50 <= 5 ms: {'OK' if p50 <= 5 else 'MISSED'}")
    return 0 if p50 <= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
