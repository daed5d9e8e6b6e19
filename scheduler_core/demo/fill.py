"""The demo's everyday visits: day by day, each professional's day is filled as the staff would
have filled it (busier in the past, lighter ahead so there is room to book), each visit asked of
the engine and stored by the booking service through :class:`scheduler_core.demo.agenda.Agenda`.
"""

from __future__ import annotations

from datetime import date, timedelta

from scheduler_core.agenda.models import Origin
from scheduler_core.demo.agenda import Agenda, Ask, day_window, first_from
from scheduler_core.demo.seed import data
from scheduler_core.people.models import Pet
from scheduler_core.shop.models import Employee

MAX_MISSES = 3


def fill(agenda: Agenda, pets: list[Pet], skip_pet_ids: set[int]) -> None:
    """Fill every day of the demo period; ``skip_pet_ids`` (pets on a plan) have their own."""
    gap = data("agenda")["min_days_between_visits"]
    last_visit: dict[int, date] = {}
    day = agenda.first_day
    while day <= agenda.last_day:
        busy = set(skip_pet_ids) | {
            pid for pid, last in last_visit.items() if (day - last).days < gap
        }
        staff = list(agenda.built.employees)
        agenda.rng.shuffle(staff)
        for employee in staff:
            _fill_day(agenda, employee, day, pets, busy, last_visit)
        day += timedelta(days=1)


def _share(agenda: Agenda, day: date) -> float:
    rates = data("agenda")["fill"]
    offset = (day - agenda.today).days
    return rates["past"] if offset < 0 else rates["soon"] if offset < 3 else rates["later"]


def _fill_day(
    agenda: Agenda, employee: Employee, day: date, pets: list[Pet], busy: set[int],
    last_visit: dict[int, date],
) -> None:
    window = day_window(agenda, employee, day)
    if window is None:
        return
    rng, share = agenda.rng, _share(agenda, day)
    cursor, last, misses = window[0], window[1], 0
    while cursor < last and misses < MAX_MISSES:
        if rng.random() > share:
            cursor += rng.choice([15, 30, 45, 60])
            continue
        candidates = [p for p in pets if p.id not in busy and p.species in employee.species]
        if not candidates:
            return
        pet = rng.choice(candidates)
        ask = _ask(agenda, employee, pet, day)
        slot = agenda.book(ask, first_from(cursor), agenda.status_for) if ask else None
        if slot is None:
            misses += 1
            cursor += 15
            continue
        misses = 0
        busy.add(pet.id)
        last_visit[pet.id] = day
        end = slot.end.hour * 60 + slot.end.minute
        cursor = -(-end // 15) * 15


def _options(categories: set[str], pet: Pet) -> list:
    visits = data("agenda")["visits"]
    if "clinica" in categories:
        vaccine = data("agenda")["vaccine"][pet.species]
        return [[vaccine if k == "vacina" else k for k in o] for o in visits["clinica"]]
    options: list = []
    if "banho" in categories:
        options += visits["banho"]
        if "adicional" in categories and pet.species == "cao":
            options += visits["banho_adicional_cao"]
        if "tosa" in categories:
            options += visits["banho_tosa"]
    if "tosa" in categories:
        options += visits["tosa"]
        if pet.species == "cao":
            options += visits["tosa_cao"]
    return options


def _ask(agenda: Agenda, employee: Employee, pet: Pet, day: date) -> Ask | None:
    """What a tutor asked for: one of the professional's kinds of visit, by bot or at the desk."""
    rng, built = agenda.rng, agenda.built
    options = _options(built.employee_categories[employee.id], pet)
    if not options:
        return None
    option = rng.choice(options)
    combo = option.get("combo") if isinstance(option, dict) else None
    keys = tuple(option.get("services", ())) if isinstance(option, dict) else tuple(option)
    if combo is not None and pet.species not in (built.combos[combo].species or []):
        return None
    rates = data("agenda")["rates"]
    origin = Origin.BOT if rng.random() < rates["bot"] else Origin.STAFF
    petshop = "clinica" not in built.employee_categories[employee.id]
    leva = petshop and origin == Origin.STAFF and rng.random() < rates["leva_e_traz"]
    return Ask(
        pet=pet, keys=keys, day=day, as_of=agenda.booked_at(day), origin=origin, combo=combo,
        employee=employee, leva_e_traz=leva, notes=rng.choice(data("agenda")["notes"]),
    )
