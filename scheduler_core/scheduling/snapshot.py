"""Build an :class:`~scheduler_core.scheduling.agenda_types.AgendaSnapshot` from the database.

The availability engine (``scheduler_core.scheduling.availability``) is pure; this module is the
only place
that reads the agenda tables for it. A snapshot covers one segment and a date range (shop wall
clock, inclusive) and loads only what that range needs:

- busy items: active ``AppointmentItem`` rows (status not in ``models.FREEING_STATUSES``) of the
  shop that overlap the range — from every segment, since a professional or a visit elsewhere
  still holds its professional — except items of creche and hotel segments
  (``occupancy.DAILY_KINDS``): a day-care day or a hotel stay holds its pet but not the
  professional responsible for it (``BusyItem.holds_employee``; their places per day are
  counted by ``occupancy``);
- blocks of the shop on dates inside the range, one :class:`BlockInfo` per date;
- active restrictions, not-accepted breeds and portes;
- channel rules: staff (no minimum notice, ``Shop.staff_horizon_days``) and bot (from
  ``BotSettings``: ``min_notice_hours`` → minutes, ``slot_display``, ``horizon_days``,
  ``page_days``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session

from scheduler_core.agenda.models import (
    FREEING_STATUSES,
    Appointment,
    AppointmentItem,
    Block,
    Restriction,
)
from scheduler_core.catalog.models import PriceEntry, Service, ServiceCategory, ServiceResource
from scheduler_core.catalog.prices import PriceCell
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.kernel.clock import from_utc_naive, local
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.people.acceptance import breed_refusal
from scheduler_core.people.models import Breed, NotAcceptedBreed, Pet
from scheduler_core.scheduling.agenda_types import (
    AgendaSnapshot,
    BlockInfo,
    BusyItem,
    ChannelRules,
    EmployeeInfo,
    PetInfo,
    RestrictionInfo,
    SegmentInfo,
    ServiceInfo,
    TimeRange,
)
from scheduler_core.scheduling.occupancy import DAILY_KINDS
from scheduler_core.shop.models import (
    Employee,
    EmployeeCategory,
    OpeningRange,
    Resource,
    Segment,
    Shop,
    WorkingRange,
)

FREEING = tuple(str(s) for s in FREEING_STATUSES)


# --------------------------------------------------------------------------- small helpers


def pet_info(pet: Pet) -> PetInfo:
    """The engine's view of a pet."""
    return PetInfo(
        id=pet.id,
        species=pet.species,
        breed_id=pet.breed_id,
        porte=pet.porte,
        pelagem=pet.pelagem,
        sex=pet.sex,
        birth_date=pet.birth_date,
        status=pet.status,
    )


def staff_rules(shop: Shop) -> ChannelRules:
    """Staff channel: no minimum notice, every slot, the shop's staff horizon."""
    return ChannelRules(min_notice_min=0, horizon_days=shop.staff_horizon_days, display="todos")


def bot_rules(settings: BotSettings | None) -> ChannelRules:
    """Bot channel rules from the shop's BotSettings (model defaults when the row is absent)."""
    settings = settings or BotSettings(shop_id=0)
    return ChannelRules(
        min_notice_min=max(0, int(settings.min_notice_hours or 0)) * 60,
        horizon_days=int(settings.horizon_days),
        display=str(settings.slot_display),
        page_days=int(settings.page_days),
    )


def get_bot_settings(session: Session, shop_id: int) -> BotSettings:
    """The shop's BotSettings, or an unsaved row with the model defaults."""
    return session.get(BotSettings, shop_id) or BotSettings(shop_id=shop_id)


def range_bounds_utc(tz: str, date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """Aware-UTC [start, end) covering the wall-clock dates ``date_from``..``date_to``."""
    start = local(date_from, "00:00", tz).astimezone(UTC)
    end = local(date_to + timedelta(days=1), "00:00", tz).astimezone(UTC)
    return start, end


def _ranges(rows: Iterable[OpeningRange | WorkingRange]) -> dict[int, tuple[TimeRange, ...]]:
    by_day: dict[int, list[TimeRange]] = defaultdict(list)
    for row in rows:
        by_day[int(row.weekday)].append(TimeRange(row.start, row.end))
    return {day: tuple(sorted(rs, key=lambda r: r.start)) for day, rs in by_day.items()}


# --------------------------------------------------------------------------- loaders


def load_busy(
    session: Session,
    shop_id: int,
    start_utc: datetime,
    end_utc: datetime,
    tz: str,
) -> tuple[BusyItem, ...]:
    """Active appointment items of the shop overlapping [start_utc, end_utc) (aware)."""
    # Columns, not ORM objects: the search loads this on every call (bench/availability.py).
    rows = session.execute(
        select(AppointmentItem.appointment_id, AppointmentItem.employee_id,
               AppointmentItem.service_id, AppointmentItem.start, AppointmentItem.end,
               Appointment.pet_id, Segment.kind)
        .join(Appointment, Appointment.id == AppointmentItem.appointment_id)
        .join(Segment, Segment.id == Appointment.segment_id)
        .where(
            and_(
                Appointment.shop_id == shop_id,
                Appointment.status.not_in(FREEING),
                AppointmentItem.start < end_utc,
                AppointmentItem.end > start_utc,
            )
        )
        .order_by(AppointmentItem.start, AppointmentItem.id)
    ).all()
    service_ids = {it.service_id for it in rows}
    resources = _service_resources(session, sorted(service_ids))
    return tuple(
        BusyItem(
            appointment_id=it.appointment_id,
            employee_id=it.employee_id,
            service_id=it.service_id,
            start=from_utc_naive(it.start, tz),
            end=from_utc_naive(it.end, tz),
            resources=dict(resources.get(it.service_id, {})),
            pet_id=it.pet_id,
            holds_employee=it.kind not in DAILY_KINDS,
        )
        for it in rows
    )


def segment_info(session: Session, segment: Segment) -> SegmentInfo:
    """The engine's view of one segment: slot step, species, opening ranges per weekday."""
    opening = _ranges(
        _scalars(session, select(OpeningRange).where(OpeningRange.segment_id == segment.id))
    )
    return SegmentInfo(
        id=segment.id,
        kind=segment.kind,
        slot_step_min=segment.slot_step_min or 15,
        open_24h=segment.open_24h,
        species=frozenset(segment.species or ()),
        opening=opening,
    )


def load_snapshot(
    session: Session,
    shop_id: int,
    segment_id: int,
    date_from: date,
    date_to: date,
    bot_settings: BotSettings | None = None,
) -> AgendaSnapshot:
    """Everything the engine needs to compute slots of ``segment_id`` between the two dates."""
    if date_to < date_from:
        raise ValidationFailed("A data final é anterior à data inicial.")
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound("Loja não encontrada.")
    segment = session.get(Segment, segment_id)
    if segment is None or segment.shop_id != shop_id:
        raise NotFound("Setor não encontrado.")
    tz = shop.timezone
    if bot_settings is None:
        bot_settings = session.get(BotSettings, shop_id)

    segment_data = segment_info(session, segment)

    # Catalogue of the segment.
    categories = {
        c.id: c
        for c in _scalars(
            session, select(ServiceCategory).where(ServiceCategory.segment_id == segment_id)
        )
    }
    services = (
        _scalars(
            session,
            select(Service).where(
                Service.category_id.in_(sorted(categories)), Service.active.is_(True)
            ),
        )
        if categories
        else []
    )
    service_ids = sorted(s.id for s in services)
    by_size: dict[int, dict[tuple[str, str], PriceCell]] = defaultdict(dict)
    by_breed: dict[int, dict[int, PriceCell]] = defaultdict(dict)
    if service_ids:
        # The price table as columns, not ORM objects: it is the largest table read here.
        for pe in session.execute(
            select(PriceEntry.service_id, PriceEntry.breed_id, PriceEntry.porte,
                   PriceEntry.pelagem, PriceEntry.price_cents, PriceEntry.duration_min)
            .where(PriceEntry.service_id.in_(service_ids))
        ):
            cell = PriceCell(pe.price_cents, pe.duration_min)
            if pe.breed_id is not None:
                by_breed[pe.service_id][pe.breed_id] = cell
            elif pe.porte and pe.pelagem:
                by_size[pe.service_id][(pe.porte, pe.pelagem)] = cell
    svc_resources = _service_resources(session, service_ids)
    service_infos = {
        s.id: ServiceInfo(
            id=s.id,
            name=s.name,
            category_id=s.category_id,
            category_order=categories[s.category_id].display_order,
            display_order=s.display_order,
            species=frozenset(s.species or ()),
            show_on_bot=s.show_on_bot,
            by_size_coat=dict(by_size.get(s.id, {})),
            by_breed=dict(by_breed.get(s.id, {})),
            resources=dict(svc_resources.get(s.id, {})),
        )
        for s in services
    }

    # Professionals with a calendar.
    employees = _scalars(
        session,
        select(Employee)
        .where(
            Employee.shop_id == shop_id,
            Employee.active.is_(True),
            Employee.has_calendar.is_(True),
        )
        .order_by(Employee.id),
    )
    emp_ids = [e.id for e in employees]
    emp_categories: dict[int, set[int]] = defaultdict(set)
    emp_working: dict[int, list] = defaultdict(list)
    if emp_ids:
        for ec in _scalars(
            session, select(EmployeeCategory).where(EmployeeCategory.employee_id.in_(emp_ids))
        ):
            emp_categories[ec.employee_id].add(ec.category_id)
        for wr in _scalars(
            session, select(WorkingRange).where(WorkingRange.employee_id.in_(emp_ids))
        ):
            emp_working[wr.employee_id].append(wr)
    employee_infos = tuple(
        EmployeeInfo(
            id=e.id,
            name=e.name,
            category_ids=frozenset(emp_categories.get(e.id, ())),
            species=frozenset(e.species or ()),
            working=_ranges(emp_working.get(e.id, [])),
            has_calendar=e.has_calendar,
        )
        for e in employees
    )

    resource_capacity = {
        r.id: r.capacity
        for r in _scalars(session, select(Resource).where(Resource.segment_id == segment_id))
    }

    blocks = blocks_in_range(session, shop_id, date_from, date_to)

    start_utc, end_utc = range_bounds_utc(tz, date_from, date_to)
    busy = load_busy(session, shop_id, start_utc, end_utc, tz)

    restrictions = tuple(
        RestrictionInfo(
            id=r.id,
            name=r.name,
            scope=r.scope,
            description=r.description,
            conditions=dict(r.conditions or {}),
        )
        for r in _scalars(
            session,
            select(Restriction)
            .where(Restriction.shop_id == shop_id, Restriction.active.is_(True))
            .order_by(Restriction.id),
        )
    )
    not_accepted = {
        n.breed_id: breed_refusal(n.message, name)
        for n, name in session.execute(
            select(NotAcceptedBreed, Breed.name)
            .join(Breed, Breed.id == NotAcceptedBreed.breed_id)
            .where(NotAcceptedBreed.shop_id == shop_id)
        ).all()
    }

    return AgendaSnapshot(
        shop_id=shop_id,
        timezone=tz,
        billing_mode=shop.billing_mode,
        segment=segment_data,
        employees=employee_infos,
        services=service_infos,
        resource_capacity=resource_capacity,
        blocks=blocks,
        busy=busy,
        restrictions=restrictions,
        not_accepted_breeds=not_accepted,
        not_accepted_portes=frozenset(shop.not_accepted_portes or ()),
        staff_rules=staff_rules(shop),
        bot_rules=bot_rules(bot_settings),
    )


def blocks_in_range(
    session: Session, shop_id: int, date_from: date, date_to: date
) -> tuple[BlockInfo, ...]:
    """Blocks of the shop, one BlockInfo per blocked date inside the range.

    ``Block.dates`` is a JSON list, so dates are filtered here rather than in SQL.
    """
    lo, hi = date_from.isoformat(), date_to.isoformat()
    out: list[BlockInfo] = []
    for b in _scalars(session, select(Block).where(Block.shop_id == shop_id).order_by(Block.id)):
        for raw in b.dates or ():
            day_s = str(raw)[:10]
            if lo <= day_s <= hi:
                try:
                    day = date.fromisoformat(day_s)
                except ValueError:
                    continue
                out.append(
                    BlockInfo(
                        day=day,
                        employee_id=b.employee_id,
                        all_day=b.all_day,
                        start=b.start,
                        end=b.end,
                    )
                )
    out.sort(key=lambda x: (x.day, x.employee_id or 0, x.start or ""))
    return tuple(out)


def _service_resources(session: Session, service_ids: list[int]) -> dict[int, dict[int, int]]:
    """{service id: {resource id: units}} for ``service_ids``."""
    resources: dict[int, dict[int, int]] = defaultdict(dict)
    if service_ids:
        for sr in session.execute(
            select(ServiceResource.service_id, ServiceResource.resource_id, ServiceResource.units)
            .where(ServiceResource.service_id.in_(service_ids))
        ):
            resources[sr.service_id][sr.resource_id] = sr.units
    return resources


def _scalars(session: Session, statement: Executable) -> list:
    """Rows of a single-entity select as ORM objects (works for Session.exec and execute)."""
    return list(session.execute(statement).scalars().all())
