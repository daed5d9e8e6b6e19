"""The shop's configuration use cases: opening hours, resources, blocks, the operator PIN's
format. (The shop's data, segments and team name breeds, species and service categories, so
they live in :mod:`scheduler_core.catalog.shop_setup`, above both.)

Each function takes a Session (the caller commits) and the raw form values; it validates
everything first and raises :class:`~scheduler_core.kernel.errors.ValidationFailed`
(``details["fields"]``: ``{field: pt-BR message}``) writing nothing when anything is wrong."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from sqlmodel import Session, delete

from scheduler_core.agenda.models import Block
from scheduler_core.kernel.dates_ptbr import WEEKDAY_NAMES
from scheduler_core.kernel.forms import (
    Collector,
    flag,
    parse_form_date,
    parse_hhmm,
    parse_id,
    parse_int,
    parse_ranges,
    text_of,
)
from scheduler_core.shop.models import (
    Employee,
    OpeningRange,
    Resource,
    Segment,
    Shop,
)

MAX_OPENING_RANGES = 4  # 3 breaks a day (spec/scheduling.md §2.2)
MAX_WORKING_RANGES = 4
OPERATOR_PIN_FORMAT = "O PIN de operador deve ter exatamente 6 dígitos."


# --------------------------------------------------------------------------- opening hours


def save_opening_hours(session: Session, segment: Segment, *, open_24h: bool, slot_step_min: str,
                       days: Mapping[int, tuple[bool, list[tuple[str, str]]]]) -> None:
    """``days``: weekday → (open?, [(start, end), ...]). A closed day loses its ranges."""
    errs = Collector()
    step = errs.run("slot_step_min", parse_int, slot_step_min, label="Intervalo da grade",
                    minimum=5, maximum=120)
    checked: dict[int, list[tuple[str, str]]] = {}
    for weekday in range(7):
        is_open, pairs = days.get(weekday, (False, []))
        if not is_open:
            checked[weekday] = []
            continue
        ranges = errs.run(f"day_{weekday}", parse_ranges, pairs,
                          max_ranges=MAX_OPENING_RANGES, what=WEEKDAY_NAMES[weekday])
        if ranges is not None and not ranges and not open_24h:
            errs.add(f"day_{weekday}",
                     f"{WEEKDAY_NAMES[weekday]}: informe o horário ou desmarque o dia.")
        checked[weekday] = ranges or []
    errs.check()
    segment.open_24h = open_24h
    segment.slot_step_min = step
    session.add(segment)
    session.exec(delete(OpeningRange).where(OpeningRange.segment_id == segment.id))
    for weekday, ranges in checked.items():
        for start, end in ranges:
            session.add(OpeningRange(segment_id=segment.id, weekday=weekday, start=start, end=end))
    session.flush()


# --------------------------------------------------------------------------- resources, categories


def save_resource(session: Session, segment: Segment, resource: Resource | None,
                  values: Mapping) -> Resource:
    errs = Collector()
    name = text_of(values, "name")
    if not name:
        errs.add("name", "Dê um nome ao recurso (ex.: Banheira).")
    capacity = errs.run("capacity", parse_int, values.get("capacity"), label="Capacidade",
                        minimum=1, maximum=100)
    errs.check()
    resource = resource or Resource(segment_id=segment.id, name=name)
    resource.name, resource.capacity = name, capacity
    session.add(resource)
    session.flush()
    return resource


# --------------------------------------------------------------------------- blocks


def create_block(session: Session, shop: Shop, values: Mapping, dates: Iterable[str], *,
                 now: datetime) -> Block:
    """A block on the given dates and on every day from ``values["date_from"]`` to
    ``values["date_to"]`` (dates typed dd/mm/aaaa or ISO; all day or a time range), for the shop
    or one employee; ``now`` (aware) is its creation time."""
    errs = Collector()
    days: list[date] = []
    for text in dates:
        text = str(text).strip()
        if text:
            day = errs.run("dates", parse_form_date, text)
            days += [day] if day else []
    days += _date_range(errs, text_of(values, "date_from"), text_of(values, "date_to"))
    if len(set(days)) > MAX_BLOCK_DAYS:
        errs.add("dates", f"Um bloqueio cobre no máximo {MAX_BLOCK_DAYS} dias.")
    if not days and not errs.errors:
        errs.add("dates", "Escolha pelo menos uma data.")
    typed_employee = text_of(values, "employee_id")
    employee_id = parse_id(typed_employee) or None
    if typed_employee and employee_id is None:
        errs.add("employee_id", "Profissional desconhecido.")
    elif employee_id is not None:
        emp = session.get(Employee, employee_id)
        if emp is None or emp.shop_id != shop.id:
            errs.add("employee_id", "Profissional desconhecido.")
    all_day = flag(values, "all_day")
    start = end = None
    if not all_day:
        start = errs.run("start", parse_hhmm, values.get("start"), label="Início")
        end = errs.run("end", parse_hhmm, values.get("end"), label="Fim")
        if start and end and start >= end:
            errs.add("end", "O fim do bloqueio deve ser depois do início.")
    errs.check()
    block = Block(shop_id=shop.id, employee_id=employee_id,
                  dates=sorted({d.isoformat() for d in days}), all_day=all_day, start=start,
                  end=end, reason=text_of(values, "reason", 300))
    block.created_at = now
    session.add(block)
    session.flush()
    return block


#: The longest range one block may cover (a year of holidays is one block per period).
MAX_BLOCK_DAYS = 366


def _date_range(errs: Collector, first_text: str, last_text: str) -> list[date]:
    """Every day from ``first_text`` to ``last_text`` (one of them alone = that day)."""
    if not first_text and not last_text:
        return []
    first = errs.run("date_from", parse_form_date, first_text or last_text, label="De")
    last = errs.run("date_to", parse_form_date, last_text or first_text, label="Até")
    if first is None or last is None:
        return []
    if last < first:
        errs.add("date_to", "A data final (até) deve ser igual ou depois da inicial (de).")
        return []
    if (last - first).days >= MAX_BLOCK_DAYS:
        errs.add("date_to", f"Um bloqueio cobre no máximo {MAX_BLOCK_DAYS} dias.")
        return []
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def is_operator_pin(pin: str) -> bool:
    """The operator PIN's format: exactly 6 digits."""
    return re.fullmatch(r"[0-9]{6}", pin or "") is not None
