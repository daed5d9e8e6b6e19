"""Plain data the availability engine works on (no database, no clock).

``scheduler_core.scheduling.snapshot`` builds an :class:`AgendaSnapshot` from the database;
``scheduler_core.scheduling.availability`` turns a snapshot and an :class:`AvailabilityQuery` into
an
:class:`Availability`. All datetimes here are timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from scheduler_core.catalog.prices import PriceCell


@dataclass(frozen=True)
class TimeRange:
    """A wall-clock range "HH:MM"–"HH:MM" on some weekday or date."""

    start: str
    end: str


@dataclass(frozen=True)
class SegmentInfo:
    id: int
    kind: str
    slot_step_min: int
    open_24h: bool
    species: frozenset[str]
    # weekday (0 = Monday) → open ranges; a missing or empty weekday is closed.
    opening: dict[int, tuple[TimeRange, ...]]


@dataclass(frozen=True)
class EmployeeInfo:
    id: int
    name: str
    category_ids: frozenset[int]
    species: frozenset[str]
    working: dict[int, tuple[TimeRange, ...]]  # weekday → ranges (several allowed)
    has_calendar: bool = True


@dataclass(frozen=True)
class ServiceInfo:
    id: int
    name: str
    category_id: int
    category_order: int
    display_order: int
    species: frozenset[str]
    show_on_bot: bool
    # (porte, pelagem) → cell, and breed_id → cell (billing by breed).
    by_size_coat: dict[tuple[str, str], PriceCell]
    by_breed: dict[int, PriceCell]
    resources: dict[int, int] = field(default_factory=dict)  # resource_id → units


@dataclass(frozen=True)
class PetInfo:
    id: int
    species: str
    breed_id: int | None
    porte: str | None
    pelagem: str | None
    sex: str | None = None
    birth_date: date | None = None
    status: str = "ativo"


@dataclass(frozen=True)
class BlockInfo:
    """A block on one date; employee_id None blocks the whole shop.

    ``all_day`` (or a missing start/end) blocks the whole date; otherwise "HH:MM"–"HH:MM"."""

    day: date
    employee_id: int | None
    all_day: bool
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class BusyItem:
    """An active booked service item: it holds its employee, its resources and its pet."""

    appointment_id: int
    employee_id: int
    service_id: int
    start: datetime
    end: datetime
    resources: dict[int, int] = field(default_factory=dict)
    pet_id: int | None = None  # a pet is never offered a visit overlapping its own
    # False for a creche day or a hotel stay: the pet is looked after at the shop, its
    # responsible professional is not busy for those hours (``snapshot.load_busy``).
    holds_employee: bool = True


@dataclass(frozen=True)
class RestrictionInfo:
    id: int
    name: str
    scope: str  # agenda | robo | ambos
    description: str
    conditions: dict


@dataclass(frozen=True)
class ChannelRules:
    """Channel filters: staff and bot share the engine, the bot adds these."""

    min_notice_min: int = 0
    horizon_days: int = 90
    display: str = "todos"  # todos | 30 | 60: keep starts on the 30/60-min grid anchored at
    # the segment's first opening of the day (availability module docstring)
    page_days: int = 2  # bot paging: today + tomorrow, then the next page_days days per request


@dataclass(frozen=True)
class AgendaSnapshot:
    shop_id: int
    timezone: str
    billing_mode: str  # porte_pelagem | raca
    segment: SegmentInfo
    employees: tuple[EmployeeInfo, ...]
    services: dict[int, ServiceInfo]
    resource_capacity: dict[int, int]  # resource_id → units; a missing resource has capacity 0
    blocks: tuple[BlockInfo, ...]
    busy: tuple[BusyItem, ...]
    restrictions: tuple[RestrictionInfo, ...]
    not_accepted_breeds: dict[int, str]  # breed_id → pt-BR refusal (people.acceptance)
    not_accepted_portes: frozenset[str]
    staff_rules: ChannelRules
    bot_rules: ChannelRules


@dataclass(frozen=True)
class AvailabilityQuery:
    pet: PetInfo
    service_ids: tuple[int, ...]  # any order; the engine chains them in catalogue order
    date_from: date
    date_to: date  # inclusive
    now: datetime
    channel: str = "staff"  # staff | bot
    employee_by_category: dict[int, int] = field(default_factory=dict)
    moving_appointment_id: int | None = None
    preferred_employee_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class SlotItem:
    service_id: int
    employee_id: int
    start: datetime
    end: datetime
    price_cents: int
    duration_min: int


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    items: tuple[SlotItem, ...]
    total_cents: int


class NoSlotReason(StrEnum):
    CLOSED = "closed"
    BLOCKED = "blocked"
    RESTRICTION = "restriction"
    NO_EMPLOYEE = "no_employee"
    BREED_NOT_ACCEPTED = "breed_not_accepted"
    PORTE_NOT_ACCEPTED = "porte_not_accepted"
    PET_DATA_MISSING = "pet_data_missing"
    SPECIES_NOT_SERVED = "species_not_served"
    BEYOND_HORIZON = "beyond_horizon"
    FULL = "full"
    INVALID_QUERY = "invalid_query"  # unknown service, empty selection, date_to < date_from


@dataclass(frozen=True)
class Availability:
    slots: tuple[Slot, ...]
    reason: NoSlotReason | None = None
    message: str = ""  # pt-BR, for the tutor or staff (a restriction's description, etc.)
