"""Long because: one pure algorithm whose hot loop shares the per-query plan (bench/ guards it).

Pure availability engine: an :class:`AgendaSnapshot` + an :class:`AvailabilityQuery` → slots.

No database and no clock: ``query.now`` is the only notion of "now". Rules follow
spec/scheduling.md §3.3 (with the decisions of §8) and spec/chatbot.md §8.4.

How a day is computed (shop wall clock, ``snapshot.timezone``):

1. Beyond the channel horizon (``today + rules.horizon_days``, today = ``now``'s local date) →
   nothing, reason ``BEYOND_HORIZON``.
2. Segment closed that weekday → ``CLOSED``; whole-day block of the shop → ``BLOCKED``.
3. A restriction in the channel's scope matching pet, services and day → ``RESTRICTION``; the
   message is the restriction's description.
4. Open windows = the segment's ranges of that weekday (``open_24h`` → 00:00–24:00; touching
   ranges merge) minus the shop's partial blocks. Candidate starts are ``window start + k·step``.
5. The items are chained in catalogue order with no gap; the whole visit must lie inside ONE
   window (never across a break, a shift end or a block: Conflito de Intervalos).
6. Each item needs one employee with the item's category, serving the pet's species, with a
   calendar, chosen (when ``employee_by_category`` names one for that category), whose working
   ranges of that weekday minus blocks minus busy items cover the item interval. Busy items of
   ``query.moving_appointment_id`` are ignored. Several qualify → ``preferred_employee_ids`` first,
   then the fewest booked minutes that day, then the lowest id. Items may go to different
   employees; one employee may do consecutive items.
7. Shared resources: for each resource a service consumes, the units held by overlapping busy
   items (at any instant of the item interval) plus the units needed must not exceed the
   capacity. A resource missing from ``resource_capacity`` has capacity 0.
8. Starts before ``now + rules.min_notice_min`` are dropped, and so are visits overlapping one
   of the pet's own active visits (busy items with ``pet_id == query.pet.id``, except the one
   being moved): a pet is never offered two visits at once.
9. Thinning (``rules.display`` "30" / "60"; applied to whichever channel's rules say so, in
   practice the bot): a slot is kept only when its start lies on the 30/60-minute grid anchored
   at the segment's FIRST opening time of that day (00:00 for open 24h). This is the decision
   for reconciling scheduling.md §3.2 ("first slot, then each slot ≥ N min after the last kept")
   with chatbot.md §8.4 point 4 ("a 09:05 slot is not offered when the grid is 09:00/09:30; busy
   slots simply disappear from the grid"): grid points are N minutes apart, so every kept slot is
   ≥ N minutes after the previous one, and an off-grid start is never kept, not even as the first
   of the day. The grid is not re-anchored after a break (13:15 is dropped on an hourly grid
   anchored at 08:00).

Internally all instants are integer minutes since the Unix epoch, obtained from full aware
datetimes (so slots after midnight and DST changes are handled); candidates are checked with
bisect over sorted free-interval lists per (employee, day). Aware datetimes are only built for the
slots returned.

When no slot is found, ``Availability.reason`` is the most specific cause: pet/service problems
first (``resolve_items``), then, per day, the reason shared by every day of the range; when days
differ the first present of RESTRICTION, FULL, NO_EMPLOYEE, BLOCKED, CLOSED, BEYOND_HORIZON.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from scheduler_core.catalog.prices import PriceCell
from scheduler_core.people.acceptance import PORTE_REFUSAL
from scheduler_core.scheduling.agenda_types import (
    AgendaSnapshot,
    Availability,
    AvailabilityQuery,
    BlockInfo,
    ChannelRules,
    EmployeeInfo,
    PetInfo,
    RestrictionInfo,
    SegmentInfo,
    ServiceInfo,
    Slot,
    SlotItem,
)
from scheduler_core.scheduling.agenda_types import NoSlotReason as R

__all__ = [
    "MESSAGES",
    "NotBookable",
    "bot_window",
    "check_restrictions",
    "find_slots",
    "is_open_now",
    "resolve_items",
    "segment_open_at",
]

# pt-BR messages the bot may show the tutor (and staff see) when there is no slot.
MESSAGES: dict[R, str] = {
    R.CLOSED: "Não abrimos nas datas escolhidas.",
    R.BLOCKED: "A agenda está fechada nas datas escolhidas.",
    R.RESTRICTION: "Esse serviço não pode ser agendado nas datas escolhidas.",
    R.NO_EMPLOYEE: "Não há profissional disponível para esse serviço nas datas escolhidas.",
    R.FULL: "Não temos horários livres nessas datas.",
    R.BEYOND_HORIZON: "Só conseguimos agendar com até {days} dias de antecedência.",
    R.BREED_NOT_ACCEPTED: "Infelizmente não atendemos essa raça.",
    R.PORTE_NOT_ACCEPTED: PORTE_REFUSAL,
    R.SPECIES_NOT_SERVED: "Infelizmente não atendemos essa espécie nesse serviço.",
    R.PET_DATA_MISSING: "Precisamos completar o cadastro do pet antes de agendar.",
    R.INVALID_QUERY: "Não entendi o pedido de horários.",
}

# Priority when the days of a range end for different reasons.
_DAY_REASON_ORDER = (
    R.RESTRICTION,
    R.FULL,
    R.NO_EMPLOYEE,
    R.BLOCKED,
    R.CLOSED,
    R.BEYOND_HORIZON,
)

_SCOPES = {"staff": frozenset({"agenda", "ambos"}), "bot": frozenset({"robo", "ambos"})}
_FAR = 1 << 62


class NotBookable(ValueError):
    """The pet cannot be booked for these services (reason + pt-BR message)."""

    def __init__(self, reason: R, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# --------------------------------------------------------------------------- small helpers


@lru_cache(maxsize=4096)
def _hm(value: str) -> int:
    """"HH:MM" → minutes of the day ("24:00" → 1440)."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _epoch(day: date, minute_of_day: int, zone: ZoneInfo) -> int:
    """Wall-clock minute of ``day`` in ``zone`` → minutes since the Unix epoch."""
    extra, minute = divmod(minute_of_day, 1440)
    if extra:
        day = day + timedelta(days=extra)
    moment = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
    return int(moment.timestamp()) // 60


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_UNKNOWN = object()


def _day_offset(zone: tzinfo | None, ordinal: int) -> int | None:
    """UTC offset in minutes that holds for the whole local day, or None (DST change that day,
    or an offset with seconds)."""
    day = date.fromordinal(ordinal)
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    first = midnight.utcoffset()
    last = (midnight + timedelta(days=1)).utcoffset()
    if first is None or first != last:
        return None
    seconds = int(first.total_seconds())
    return None if seconds % 60 else seconds // 60


def _to_minutes(moment: datetime, ordinal: int, cache: dict, *, ceil: bool) -> int:
    """Aware datetime → epoch minutes (floor or ceil) without calling ``timestamp()`` per item:
    the UTC offset is looked up once per (zone, local day); DST-change days fall back to
    ``timestamp()``."""
    key = (moment.tzinfo, ordinal)
    offset = cache.get(key, _UNKNOWN)
    if offset is _UNKNOWN:
        offset = cache[key] = _day_offset(moment.tzinfo, ordinal)
    if offset is None:
        seconds = moment.timestamp()
        return -int(-seconds // 60) if ceil else int(seconds // 60)
    minutes = (ordinal - _EPOCH_ORDINAL) * 1440 + moment.hour * 60 + moment.minute - offset
    if ceil and (moment.second or moment.microsecond):
        minutes += 1
    return minutes


def _at(plan: _Plan, day: date, minute_of_day: int) -> int:
    """``_epoch`` memoised per query (many employees share the same shift boundaries)."""
    key = (day, minute_of_day)
    value = plan.epochs.get(key)
    if value is None:
        value = plan.epochs[key] = _epoch(day, minute_of_day, plan.zone)
    return value


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint, non-touching intervals (touching ones merge)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _subtract(ranges: list[tuple[int, int]], cuts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``ranges`` minus ``cuts``; both merged (sorted, disjoint)."""
    if not cuts:
        return ranges
    out: list[tuple[int, int]] = []
    j = 0
    for start, end in ranges:
        while j < len(cuts) and cuts[j][1] <= start:
            j += 1
        k = j
        cur = start
        while k < len(cuts) and cuts[k][0] < end:
            cut_start, cut_end = cuts[k]
            if cut_start > cur:
                out.append((cur, cut_start))
            cur = max(cur, cut_end)
            k += 1
        if cur < end:
            out.append((cur, end))
    return out


def _rules(snapshot: AgendaSnapshot, channel: str) -> ChannelRules:
    return snapshot.bot_rules if channel == "bot" else snapshot.staff_rules


def _age_months(birth: date, day: date) -> int:
    months = (day.year - birth.year) * 12 + day.month - birth.month
    if day.day < birth.day:
        months -= 1
    return months


# --------------------------------------------------------------------------- public helpers


def bot_window(today: date, page: int, rules: ChannelRules) -> tuple[date, date] | None:
    """Dates the bot offers on ``page``: page 0 = today + tomorrow, each next page the following
    ``rules.page_days`` days. ``None`` once the page starts beyond ``rules.horizon_days``; the
    last page is cut at the horizon (today + horizon_days, inclusive)."""
    if page < 0:
        return None
    if page == 0:
        start, end = today, today + timedelta(days=1)
    else:
        step = max(1, rules.page_days)
        start = today + timedelta(days=2 + (page - 1) * step)
        end = start + timedelta(days=step - 1)
    last = today + timedelta(days=rules.horizon_days)
    if start > last:
        return None
    return start, min(end, last)


def is_open_now(snapshot: AgendaSnapshot, now: datetime) -> bool:
    """Greeting check on a snapshot: see :func:`segment_open_at`."""
    return segment_open_at(snapshot.segment, snapshot.timezone, snapshot.blocks, now)


def segment_open_at(
    segment: SegmentInfo, timezone: str, blocks: Iterable[BlockInfo], now: datetime
) -> bool:
    """The one "open now" rule (bot greeting and hand-off messages): open from the first opening
    to the last closing of the day (breaks are ignored); open 24h is always open; a whole-day
    block of the shop (a holiday) closes the day."""
    local = now.astimezone(ZoneInfo(timezone))
    day = local.date()
    for block in blocks:
        if block.employee_id is None and block.day == day and _block_whole_day(block):
            return False
    if segment.open_24h:
        return True
    ranges = [(_hm(r.start), _hm(r.end)) for r in segment.opening.get(day.weekday(), ())]
    ranges = [r for r in ranges if r[1] > r[0]]
    if not ranges:
        return False
    minute = local.hour * 60 + local.minute
    return min(r[0] for r in ranges) <= minute < max(r[1] for r in ranges)


def resolve_items(
    snapshot: AgendaSnapshot, pet: PetInfo, service_ids: Sequence[int]
) -> list[tuple[ServiceInfo, PriceCell]]:
    """The services in catalogue order (category_order, display_order, id), each with the pet's
    price cell. Raises :class:`NotBookable` (reason + pt-BR message) when a service is unknown,
    the species is not served, the breed or porte is not accepted, or the pet's data needed for
    pricing is missing (porte/pelagem in size×coat mode, breed in breed mode, or no cell)."""
    if not service_ids:
        raise NotBookable(R.INVALID_QUERY, "Escolha pelo menos um serviço.")
    services: list[ServiceInfo] = []
    for service_id in dict.fromkeys(service_ids):
        service = snapshot.services.get(service_id)
        if service is None:
            raise NotBookable(R.INVALID_QUERY, "Serviço não encontrado.")
        services.append(service)
    services.sort(key=lambda s: (s.category_order, s.display_order, s.id))

    if snapshot.segment.species and pet.species not in snapshot.segment.species:
        raise NotBookable(R.SPECIES_NOT_SERVED, "Infelizmente não atendemos essa espécie.")
    for service in services:
        if service.species and pet.species not in service.species:
            raise NotBookable(
                R.SPECIES_NOT_SERVED,
                f"Infelizmente o serviço {service.name} não atende essa espécie.",
            )
    if pet.breed_id is not None and pet.breed_id in snapshot.not_accepted_breeds:
        message = snapshot.not_accepted_breeds[pet.breed_id] or MESSAGES[R.BREED_NOT_ACCEPTED]
        # (the snapshot holds people.acceptance.breed_refusal, the bot's words)
        raise NotBookable(R.BREED_NOT_ACCEPTED, message)
    if pet.porte is not None and pet.porte in snapshot.not_accepted_portes:
        raise NotBookable(R.PORTE_NOT_ACCEPTED, MESSAGES[R.PORTE_NOT_ACCEPTED])

    by_breed = snapshot.billing_mode == "raca"
    if by_breed and pet.breed_id is None:
        raise NotBookable(R.PET_DATA_MISSING, "Precisamos saber a raça do pet para agendar.")
    if not by_breed and (not pet.porte or not pet.pelagem):
        raise NotBookable(
            R.PET_DATA_MISSING, "Precisamos saber o porte e a pelagem do pet para agendar."
        )
    out: list[tuple[ServiceInfo, PriceCell]] = []
    for service in services:
        if by_breed:
            cell = service.by_breed.get(pet.breed_id)  # type: ignore[arg-type]
        else:
            cell = service.by_size_coat.get((pet.porte, pet.pelagem))  # type: ignore[arg-type]
        if cell is None or cell.duration_min <= 0:
            what = "a raça" if by_breed else "o porte e a pelagem"
            raise NotBookable(
                R.PET_DATA_MISSING,
                f"O serviço {service.name} não tem preço para {what} do pet; "
                "um atendente vai ajudar.",
            )
        out.append((service, cell))
    return out


def _condition_matches(
    key: str,
    wanted: Any,  # noqa: ANN401 - a restriction condition's JSON value (list or number)
    pet: PetInfo,
    service_ids: Sequence[int],
    day: date,
    segment_id: int,
) -> bool:
    if key == "service_ids":
        return any(s in wanted for s in service_ids)
    if key == "segment_ids":
        return segment_id in wanted
    if key == "weekdays":
        return day.weekday() in wanted
    if key == "species":
        return pet.species in wanted
    if key == "portes":
        return pet.porte in wanted
    if key == "pelagens":
        return pet.pelagem in wanted
    if key == "breed_ids":
        return pet.breed_id in wanted
    if key == "sexes":
        return pet.sex in wanted
    if key == "pet_statuses":
        return pet.status in wanted
    if key == "age_min_months":
        return pet.birth_date is not None and _age_months(pet.birth_date, day) >= wanted
    if key == "age_max_months":
        return pet.birth_date is not None and _age_months(pet.birth_date, day) <= wanted
    return False  # unknown condition: never matches


def check_restrictions(
    snapshot: AgendaSnapshot,
    pet: PetInfo,
    service_ids: Iterable[int],
    day: date,
    channel: str,
) -> RestrictionInfo | None:
    """The first restriction (by id) in the channel's scope whose conditions ALL match.

    Scope "agenda" applies to the staff channel, "robo" to the bot, "ambos" to both. A condition
    that is empty/None is not set; a restriction with no condition set never matches (a rule
    being configured must not shut the whole agenda). Age conditions need a birth date (age in
    whole months on ``day``); a missing pet attribute never matches a condition on it."""
    scopes = _SCOPES.get(channel, _SCOPES["staff"])
    ids = tuple(service_ids)
    for restriction in sorted(snapshot.restrictions, key=lambda r: r.id):
        if restriction.scope not in scopes:
            continue
        conditions = {
            key: value
            for key, value in (restriction.conditions or {}).items()
            if value is not None and value != [] and value != ()
        }
        if not conditions:
            continue
        if all(
            _condition_matches(key, value, pet, ids, day, snapshot.segment.id)
            for key, value in conditions.items()
        ):
            return restriction
    return None


def _block_whole_day(block: BlockInfo) -> bool:
    return block.all_day or block.start is None or block.end is None


# --------------------------------------------------------------------------- the engine


class _Plan:
    """Per-query precomputation shared by every day."""

    __slots__ = (
        "zone",
        "epochs",
        "items",
        "offsets",
        "total",
        "eligible",
        "emp_busy",
        "emp_busy_starts",
        "emp_max_len",
        "res_blocked",
        "shop_blocks",
        "emp_blocks",
        "preferred",
        "pet_busy",
    )


def _resource_blocked(
    intervals: list[tuple[int, int, int]], capacity: int, units: int
) -> tuple[list[int], list[int]]:
    """Merged intervals where usage + units > capacity, as (starts, ends)."""
    if units > capacity:
        return [-_FAR], [_FAR]
    limit = capacity - units
    events: list[tuple[int, int]] = []
    for start, end, used in intervals:
        if end > start and used > 0:
            events.append((start, used))
            events.append((end, -used))
    events.sort()  # at equal times the release (negative) sorts first
    starts: list[int] = []
    ends: list[int] = []
    level = 0
    opened: int | None = None
    for moment, delta in events:
        level += delta
        if level > limit and opened is None:
            opened = moment
        elif level <= limit and opened is not None:
            if moment > opened:
                if ends and ends[-1] >= opened:
                    ends[-1] = moment
                else:
                    starts.append(opened)
                    ends.append(moment)
            opened = None
    return starts, ends


def _overlaps(starts: list[int], ends: list[int], a: int, b: int) -> bool:
    i = bisect_right(starts, a) - 1
    if i >= 0 and ends[i] > a:
        return True
    return i + 1 < len(starts) and starts[i + 1] < b


def _prepare(
    snapshot: AgendaSnapshot, query: AvailabilityQuery, items: list[tuple[ServiceInfo, PriceCell]]
) -> _Plan:
    plan = _Plan()
    plan.zone = ZoneInfo(snapshot.timezone)
    plan.epochs = {}
    plan.items = items
    plan.offsets, plan.total = _item_offsets(items)
    plan.preferred = query.preferred_employee_ids
    plan.eligible, relevant = _eligible_employees(snapshot, query, items)
    needed = _needed_units(items)
    emp_busy, res_usage, pet_busy = _collect_busy(snapshot, query, plan, relevant, needed)
    merged = _merge(pet_busy)
    plan.pet_busy = ([a for a, _b in merged], [b for _a, b in merged])
    _index_employee_busy(plan, emp_busy)
    plan.res_blocked = {}
    for rid, unit_set in needed.items():
        capacity = snapshot.resource_capacity.get(rid, 0)
        for units in unit_set:
            plan.res_blocked[(rid, units)] = _resource_blocked(res_usage[rid], capacity, units)
    plan.shop_blocks, plan.emp_blocks = _blocks_by_day(snapshot, relevant)
    return plan


def _item_offsets(items: list[tuple[ServiceInfo, PriceCell]]) -> tuple[list[int], int]:
    """Each item's start offset from the visit's start, and the visit's total minutes."""
    offsets = []
    total = 0
    for _service, cell in items:
        offsets.append(total)
        total += cell.duration_min
    return offsets, total


def _eligible_employees(
    snapshot: AgendaSnapshot, query: AvailabilityQuery, items: list[tuple[ServiceInfo, PriceCell]]
) -> tuple[list[list[EmployeeInfo]], set[int]]:
    """Per item, the employees who may do it for this pet; and the ids of all of them."""
    pet = query.pet
    eligible: list[list[EmployeeInfo]] = []
    relevant: set[int] = set()
    for service, _cell in items:
        chosen = query.employee_by_category.get(service.category_id)
        employees = [
            e
            for e in snapshot.employees
            if e.has_calendar
            and service.category_id in e.category_ids
            and pet.species in e.species
            and (chosen is None or e.id == chosen)
        ]
        eligible.append(employees)
        relevant.update(e.id for e in employees)
    return eligible, relevant


def _needed_units(items: list[tuple[ServiceInfo, PriceCell]]) -> dict[int, set[int]]:
    """Resource id -> the unit counts the visit's items take of it."""
    needed: dict[int, set[int]] = {}
    for service, _cell in items:
        for rid, units in service.resources.items():
            if units > 0:
                needed.setdefault(rid, set()).add(units)
    return needed


def _collect_busy(
    snapshot: AgendaSnapshot,
    query: AvailabilityQuery,
    plan: _Plan,
    relevant: set[int],
    needed: dict[int, set[int]],
) -> tuple[
    dict[int, list[tuple[int, int]]], dict[int, list[tuple[int, int, int]]], list[tuple[int, int]]
]:
    """The busy items that matter, in minutes: per employee, per resource, and the pet's own."""
    pet = query.pet
    moving = query.moving_appointment_id
    emp_busy: dict[int, list[tuple[int, int]]] = {e: [] for e in relevant}
    res_usage: dict[int, list[tuple[int, int, int]]] = {r: [] for r in needed}
    res_keys = frozenset(needed)
    # Busy items ending before the range or starting after it cannot matter (one day of margin
    # because an item's own zone may differ from the shop's).
    first_ord = query.date_from.toordinal() - 1
    last_ord = query.date_to.toordinal() + 1
    offsets_cache: dict = {}
    pet_busy: list[tuple[int, int]] = []
    for item in snapshot.busy:
        if item.appointment_id == moving:
            continue
        in_emp = item.holds_employee and item.employee_id in emp_busy
        resources = item.resources
        in_res = bool(res_keys and resources) and not res_keys.isdisjoint(resources)
        is_pet = item.pet_id is not None and item.pet_id == pet.id
        if not (in_emp or in_res or is_pet):
            continue
        begin, finish = item.start, item.end
        begin_ord = begin.toordinal()
        if begin_ord > last_ord or finish.toordinal() < first_ord:
            continue
        start = _to_minutes(begin, begin_ord, offsets_cache, ceil=False)
        end = _to_minutes(finish, finish.toordinal(), offsets_cache, ceil=True)
        if end <= start:
            continue
        if is_pet:
            pet_busy.append((start, end))
        if in_emp:
            emp_busy[item.employee_id].append((start, end))
        if in_res:
            for rid, units in resources.items():
                if rid in res_usage:
                    res_usage[rid].append((start, end, units))
    return emp_busy, res_usage, pet_busy


def _index_employee_busy(plan: _Plan, emp_busy: dict[int, list[tuple[int, int]]]) -> None:
    """Sorted busy intervals per employee, their starts (for bisect) and the longest one."""
    plan.emp_busy = {}
    plan.emp_busy_starts = {}
    plan.emp_max_len = {}
    for emp_id, intervals in emp_busy.items():
        intervals.sort()
        plan.emp_busy[emp_id] = intervals
        plan.emp_busy_starts[emp_id] = [s for s, _e in intervals]
        plan.emp_max_len[emp_id] = max((e - s for s, e in intervals), default=0)


def _blocks_by_day(
    snapshot: AgendaSnapshot, relevant: set[int]
) -> tuple[dict[date, list[BlockInfo]], dict[tuple[int, date], list[BlockInfo]]]:
    """Shop-wide blocks per day, and blocks of the relevant employees per (employee, day)."""
    shop_blocks: dict[date, list[BlockInfo]] = {}
    emp_blocks: dict[tuple[int, date], list[BlockInfo]] = {}
    for block in snapshot.blocks:
        if block.employee_id is None:
            shop_blocks.setdefault(block.day, []).append(block)
        elif block.employee_id in relevant:
            emp_blocks.setdefault((block.employee_id, block.day), []).append(block)
    return shop_blocks, emp_blocks


def _employee_day(
    plan: _Plan, employee: EmployeeInfo, day: date, weekday: int, day_lo: int, day_hi: int
) -> tuple[list[int], list[int], int] | None:
    """(free starts, free ends, booked minutes that day) or None when off or blocked all day."""
    ranges = employee.working.get(weekday)
    if not ranges:
        return None
    cuts: list[tuple[int, int]] = []
    for block in plan.emp_blocks.get((employee.id, day), ()):
        if _block_whole_day(block):
            return None
        cuts.append((_at(plan, day, _hm(block.start)), _at(plan, day, _hm(block.end))))
    working = _merge(
        (_at(plan, day, _hm(r.start)), _at(plan, day, _hm(r.end))) for r in ranges
    )
    if not working:
        return None
    busy = plan.emp_busy[employee.id]
    booked = 0
    if busy:
        starts = plan.emp_busy_starts[employee.id]
        lo = bisect_left(starts, day_lo - plan.emp_max_len[employee.id])
        hi = bisect_left(starts, day_hi)
        for start, end in busy[lo:hi]:
            if end > day_lo:
                cuts.append((start, end))
                booked += min(end, day_hi) - max(start, day_lo)
    free = _subtract(working, _merge(cuts)) if cuts else working
    return [s for s, _e in free], [e for _s, e in free], booked


def _first_start(window_start: int, step: int, earliest: int) -> int:
    if earliest <= window_start:
        return window_start
    k = -((window_start - earliest) // step)  # ceil((earliest - window_start) / step)
    return window_start + k * step


def _day(
    snapshot: AgendaSnapshot,
    query: AvailabilityQuery,
    plan: _Plan,
    rules: ChannelRules,
    day: date,
    earliest: int,
    out: list[Slot],
) -> tuple[R, str] | None:
    """Append the slots of ``day`` to ``out``; return (reason, message) when there is none."""
    segment = snapshot.segment
    opening = _opening(segment, day.weekday())
    if not opening:
        return R.CLOSED, MESSAGES[R.CLOSED]
    cuts = _shop_cuts(plan, day)
    if cuts is None:
        return R.BLOCKED, MESSAGES[R.BLOCKED]
    restriction = check_restrictions(
        snapshot, query.pet, [s.id for s, _c in plan.items], day, query.channel
    )
    if restriction is not None:
        return R.RESTRICTION, restriction.description or MESSAGES[R.RESTRICTION]

    anchor = _at(plan, day, min(start for start, _end in opening))
    windows = _merge((_at(plan, day, s), _at(plan, day, e)) for s, e in opening)
    if cuts:
        windows = _subtract(windows, _merge(cuts))
    per_item = _ranked_employees(plan, day)
    if per_item is None:
        return R.NO_EMPLOYEE, MESSAGES[R.NO_EMPLOYEE]
    step = max(1, segment.slot_step_min)
    thin = int(rules.display) if rules.display in ("30", "60") else 0
    if not _scan_windows(plan, windows, per_item, step, thin, anchor, earliest, out):
        return R.FULL, MESSAGES[R.FULL]
    return None


def _opening(segment: SegmentInfo, weekday: int) -> list[tuple[int, int]]:
    """The segment's non-empty opening ranges that weekday, in minutes of the day."""
    if segment.open_24h:
        return [(0, 1440)]
    opening = [(_hm(r.start), _hm(r.end)) for r in segment.opening.get(weekday, ())]
    return [r for r in opening if r[1] > r[0]]


def _shop_cuts(plan: _Plan, day: date) -> list[tuple[int, int]] | None:
    """The shop's partial blocks of ``day`` as intervals; None when one blocks the whole day."""
    cuts = []
    for block in plan.shop_blocks.get(day, ()):
        if _block_whole_day(block):
            return None
        cuts.append((_at(plan, day, _hm(block.start)), _at(plan, day, _hm(block.end))))
    return cuts


def _ranked_employees(
    plan: _Plan, day: date
) -> list[list[tuple[int, list[int], list[int]]]] | None:
    """Per item: (employee id, free starts, free ends) of those working that day, in preference
    order; None when some item has nobody."""
    weekday = day.weekday()
    day_lo = _at(plan, day, 0)
    day_hi = _at(plan, day, 1440)
    per_item: list[list[tuple[int, list[int], list[int]]]] = []
    cache: dict[int, tuple[list[int], list[int], int] | None] = {}
    for employees in plan.eligible:
        ranked = []
        for employee in employees:
            if employee.id not in cache:
                cache[employee.id] = _employee_day(plan, employee, day, weekday, day_lo, day_hi)
            info = cache[employee.id]
            if info is not None:
                ranked.append(
                    ((employee.id not in plan.preferred, info[2], employee.id), info[0], info[1])
                )
        if not ranked:
            return None
        ranked.sort(key=lambda r: r[0])
        per_item.append([(key[2], starts, ends) for key, starts, ends in ranked])
    return per_item


def _scan_windows(
    plan: _Plan,
    windows: list[tuple[int, int]],
    per_item: list[list[tuple[int, list[int], list[int]]]],
    step: int,
    thin: int,
    anchor: int,
    earliest: int,
    out: list[Slot],
) -> int:
    """Append every bookable start of the open ``windows`` to ``out``; return how many."""
    total = plan.total
    offsets = plan.offsets
    durations = [cell.duration_min for _s, cell in plan.items]
    resources = [
        [plan.res_blocked[(rid, units)] for rid, units in service.resources.items() if units > 0]
        for service, _cell in plan.items
    ]
    n_items = len(plan.items)
    pet_starts, pet_ends = plan.pet_busy
    found = 0
    for window_start, window_end in windows:
        t = _first_start(window_start, step, earliest)
        last = window_end - total
        while t <= last:
            if (thin and (t - anchor) % thin) or (
                pet_starts and _overlaps(pet_starts, pet_ends, t, t + total)
            ):
                t += step
                continue
            chosen: list[int] = []
            for j in range(n_items):
                a = t + offsets[j]
                b = a + durations[j]
                if any(_overlaps(rs, re, a, b) for rs, re in resources[j]):
                    break
                for emp_id, starts, ends in per_item[j]:
                    i = bisect_right(starts, a) - 1
                    if i >= 0 and ends[i] >= b:
                        chosen.append(emp_id)
                        break
                else:
                    break
            if len(chosen) == n_items:
                out.append(_make_slot(plan, t, chosen))
                found += 1
            t += step
    return found


def _make_slot(plan: _Plan, t: int, employee_ids: list[int]) -> Slot:
    zone = plan.zone
    items = []
    total_cents = 0
    for (service, cell), offset, emp_id in zip(plan.items, plan.offsets, employee_ids, strict=True):
        start = t + offset
        items.append(
            SlotItem(
                service_id=service.id,
                employee_id=emp_id,
                start=datetime.fromtimestamp(start * 60, zone),
                end=datetime.fromtimestamp((start + cell.duration_min) * 60, zone),
                price_cents=cell.price_cents,
                duration_min=cell.duration_min,
            )
        )
        total_cents += cell.price_cents
    return Slot(
        start=items[0].start,
        end=items[-1].end,
        items=tuple(items),
        total_cents=total_cents,
    )


def find_slots(snapshot: AgendaSnapshot, query: AvailabilityQuery) -> Availability:
    """Free slots for the query's pet and services on every date of [date_from, date_to]."""
    try:
        items = resolve_items(snapshot, query.pet, query.service_ids)
    except NotBookable as exc:
        return Availability(slots=(), reason=exc.reason, message=exc.message)
    if query.date_to < query.date_from:
        return Availability((), R.INVALID_QUERY, "A data final vem antes da data inicial.")
    if query.now.tzinfo is None:
        raise ValueError("query.now must be timezone-aware")

    rules = _rules(snapshot, query.channel)
    plan = _prepare(snapshot, query, items)
    today = query.now.astimezone(plan.zone).date()
    last_day = today + timedelta(days=rules.horizon_days)
    earliest = math.ceil(query.now.timestamp() / 60 + rules.min_notice_min)

    slots: list[Slot] = []
    reasons: dict[R, str] = {}
    day = query.date_from
    while day <= query.date_to:
        if day > last_day:
            reasons.setdefault(
                R.BEYOND_HORIZON, MESSAGES[R.BEYOND_HORIZON].format(days=rules.horizon_days)
            )
            break  # every later day is beyond as well
        result = _day(snapshot, query, plan, rules, day, earliest, slots)
        if result is not None:
            reasons.setdefault(result[0], result[1])
        day += timedelta(days=1)

    if slots:
        return Availability(slots=tuple(slots))
    for reason in _DAY_REASON_ORDER:
        if reason in reasons:
            return Availability((), reason, reasons[reason])
    return Availability((), R.FULL, MESSAGES[R.FULL])
