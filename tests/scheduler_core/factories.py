"""Test data builders for the scheduling core (reusable by every test package).

Import it as ``from tests.scheduler_core.factories import build_shop, NOW, at, next_weekday``
(tests run with ``.venv/bin/python -m pytest`` from the repository root, which puts the root on
sys.path). For booking through the real service
layer see ``tests/scheduler_core/booking_helpers.py`` (``offer``, ``slot_at``, ``book_at``).

Two levels:

1. Small ``create_*`` functions that add one row (plus its children) to a session and flush, so
   the returned object has its id. Every field has a sensible default; pass keyword overrides.

2. :func:`build_shop`, which commits a complete, realistic pet shop in one call and returns a
   :class:`ShopWorld` of ids (plain ints, safe to use across sessions and threads)::

       world = build_shop(db_engine)
       # world.shop_id, world.segment_id, world.tutor_id, world.pet_id,
       # world.services["banho"], world.services["tosa"], world.employees["ana"], ...
       pet2 = world.add_pet(name="Luna", porte="grande")
       emp = world.add_employee("Carla", categories=["banho"])

   The standard shop ("Pet Shop Teste", America/Sao_Paulo):

   - segment "Banho e Tosa" (pet_shop, 15-minute step), open Monday–Saturday 08:00–12:00 and
     13:00–18:00 (lunch break 12:00–13:00), closed on Sunday;
   - categories "Banho" (order 1) and "Tosa" (order 2);
   - services "banho" (R$ 50,00 / 60 min for every porte × pelagem) and "tosa"
     (R$ 40,00 / 30 min), both shown on the bot;
   - employees "ana" (banho + tosa) and "bruno" (banho only), working the segment's hours;
   - BotSettings with the model defaults (``bot_settings={...}`` overrides fields);
   - tutor "Maria Silva" (+5511987654321) and her dog "Thor" (pequeno, curta).

   ``build_shop(engine, employees={"ana": ["banho"]})`` replaces the staff;
   ``opening={0: [("09:00", "17:00")]}`` replaces the hours (weekday 0 = Monday);
   ``world.add_combo("banho e tosa", ["banho", "tosa"], discount_kind="percentual",
   discount_value=10)`` adds a combo; ``world.add_plan_template("Banho semanal",
   services={"banho": 4})`` adds a plan or package template (sell it with
   ``scheduler_core.plans.service.sell_plan``);
   ``resources={"banheira": 1}`` adds shared resources, and ``service_resources=
   {"banho": {"banheira": 1}}`` makes services consume them.

Time helpers: :data:`TZ`, :func:`next_weekday` and :func:`at` build aware datetimes on the shop's
wall clock, e.g. ``at(next_weekday(NOW.date(), 0), "10:00")`` is next Monday 10:00 in São Paulo.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler_core.agenda.models import Block, Restriction
from scheduler_core.catalog.models import (
    Combo,
    ComboItem,
    PriceEntry,
    Service,
    ServiceCategory,
    ServiceResource,
)
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.people.models import Pelagem, Pet, Porte, Tutor
from scheduler_core.plans.models import PlanTemplate, PlanTemplateService
from scheduler_core.shop.models import (
    Employee,
    EmployeeCategory,
    OpeningRange,
    Resource,
    Segment,
    Shop,
    WorkingRange,
)

TZ = "America/Sao_Paulo"

#: A fixed "now" for tests: Wednesday 2026-03-04 09:00 in São Paulo (12:00 UTC).
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=ZoneInfo(TZ))

#: Monday–Saturday 08:00–12:00 and 13:00–18:00.
DEFAULT_OPENING: dict[int, list[tuple[str, str]]] = {
    day: [("08:00", "12:00"), ("13:00", "18:00")] for day in range(6)
}

_PHONES = itertools.count(10_000_000)

ALL_CELLS = [(p.value, c.value) for p in Porte for c in Pelagem]


# --------------------------------------------------------------------------- time helpers


def next_weekday(start: date, weekday: int, *, include_today: bool = False) -> date:
    """The first date after ``start`` (or on it, with ``include_today``) on ``weekday``."""
    delta = (weekday - start.weekday()) % 7
    if delta == 0 and not include_today:
        delta = 7
    return start + timedelta(days=delta)


def at(day: date, hhmm: str, tz: str = TZ) -> datetime:
    """Aware datetime for wall-clock ``hhmm`` on ``day`` in ``tz``."""
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=ZoneInfo(tz))


# --------------------------------------------------------------------------- row builders


def create_shop(session: Session, **fields) -> Shop:
    values = {"name": "Pet Shop Teste", "whatsapp": "+5511900000000", "timezone": TZ}
    values.update(fields)
    shop = Shop(**values)
    session.add(shop)
    session.flush()
    return shop


def create_segment(
    session: Session,
    shop: Shop,
    *,
    name: str = "Banho e Tosa",
    opening: Mapping[int, Iterable[tuple[str, str]]] | None = None,
    **fields,
) -> Segment:
    """A segment with its opening ranges (default :data:`DEFAULT_OPENING`)."""
    segment = Segment(shop_id=shop.id, name=name, **fields)
    session.add(segment)
    session.flush()
    set_opening(session, segment, DEFAULT_OPENING if opening is None else opening)
    return segment


def set_opening(
    session: Session, segment: Segment, opening: Mapping[int, Iterable[tuple[str, str]]]
) -> None:
    """Add opening ranges ``{weekday: [(start, end), ...]}`` to ``segment``."""
    for weekday, ranges in opening.items():
        for start, end in ranges:
            session.add(OpeningRange(segment_id=segment.id, weekday=weekday, start=start, end=end))
    session.flush()


def create_category(
    session: Session, segment: Segment, name: str, *, kind: str = "banho", display_order: int = 0
) -> ServiceCategory:
    category = ServiceCategory(
        segment_id=segment.id, name=name, kind=kind, display_order=display_order
    )
    session.add(category)
    session.flush()
    return category


def create_service(
    session: Session,
    category: ServiceCategory,
    name: str,
    *,
    price_cents: int = 5000,
    duration_min: int = 60,
    cells: Mapping[tuple[str, str], tuple[int, int]] | None = None,
    breed_cells: Mapping[int, tuple[int, int]] | None = None,
    resources: Mapping[int, int] | None = None,
    **fields,
) -> Service:
    """A service with a price & duration table.

    By default every porte × pelagem cell costs ``price_cents`` and lasts ``duration_min``;
    ``cells={("grande", "longa"): (9000, 120)}`` overrides single cells, and ``cells`` given
    together with ``price_cents=None`` creates only those cells. ``breed_cells={breed_id:
    (price, duration)}`` adds breed-mode cells. ``resources={resource_id: units}``.
    """
    service = Service(category_id=category.id, name=name, **fields)
    session.add(service)
    session.flush()
    table: dict[tuple[str, str], tuple[int, int]] = {}
    if price_cents is not None:
        table = {cell: (price_cents, duration_min) for cell in ALL_CELLS}
    table.update(cells or {})
    for (porte, pelagem), (price, minutes) in table.items():
        session.add(
            PriceEntry(
                service_id=service.id,
                porte=porte,
                pelagem=pelagem,
                price_cents=price,
                duration_min=minutes,
            )
        )
    for breed_id, (price, minutes) in (breed_cells or {}).items():
        session.add(
            PriceEntry(
                service_id=service.id, breed_id=breed_id, price_cents=price, duration_min=minutes
            )
        )
    for resource_id, units in (resources or {}).items():
        session.add(ServiceResource(service_id=service.id, resource_id=resource_id, units=units))
    session.flush()
    return service


def create_employee(
    session: Session,
    shop: Shop,
    name: str,
    *,
    category_ids: Iterable[int] = (),
    working: Mapping[int, Iterable[tuple[str, str]]] | None = None,
    **fields,
) -> Employee:
    """An employee with a calendar, its work categories and working ranges.

    ``working`` defaults to :data:`DEFAULT_OPENING` (the standard shop hours).
    """
    employee = Employee(shop_id=shop.id, name=name, **fields)
    session.add(employee)
    session.flush()
    for category_id in category_ids:
        session.add(EmployeeCategory(employee_id=employee.id, category_id=category_id))
    for weekday, ranges in (DEFAULT_OPENING if working is None else working).items():
        for start, end in ranges:
            session.add(
                WorkingRange(employee_id=employee.id, weekday=weekday, start=start, end=end)
            )
    session.flush()
    return employee


def create_resource(session: Session, segment: Segment, name: str, capacity: int = 1) -> Resource:
    resource = Resource(segment_id=segment.id, name=name, capacity=capacity)
    session.add(resource)
    session.flush()
    return resource


def create_tutor(session: Session, shop: Shop, **fields) -> Tutor:
    values = {"name": "Maria Silva", "whatsapp": "+5511987654321"}
    values.update(fields)
    tutor = Tutor(shop_id=shop.id, **values)
    session.add(tutor)
    session.flush()
    return tutor


def create_pet(session: Session, tutor: Tutor, **fields) -> Pet:
    values = {"name": "Thor", "species": "cao", "porte": "pequeno", "pelagem": "curta"}
    values.update(fields)
    pet = Pet(tutor_id=tutor.id, **values)
    session.add(pet)
    session.flush()
    return pet


def create_block(
    session: Session,
    shop_id: int,
    dates: Iterable[date],
    *,
    employee_id: int | None = None,
    start: str | None = None,
    end: str | None = None,
    reason: str = "",
) -> Block:
    """A block over ``dates``; whole day unless ``start``/``end`` are given."""
    block = Block(
        shop_id=shop_id,
        employee_id=employee_id,
        dates=[d.isoformat() for d in dates],
        all_day=start is None,
        start=start,
        end=end,
        reason=reason,
    )
    session.add(block)
    session.flush()
    return block


def create_restriction(
    session: Session,
    shop_id: int,
    *,
    name: str = "Restrição",
    scope: str = "ambos",
    description: str = "Não atendemos esse serviço nesse dia.",
    conditions: dict | None = None,
) -> Restriction:
    restriction = Restriction(
        shop_id=shop_id,
        name=name,
        scope=scope,
        description=description,
        conditions=dict(conditions or {}),
    )
    session.add(restriction)
    session.flush()
    return restriction


def create_combo(
    session: Session,
    segment_id: int,
    name: str,
    service_ids: Iterable[int],
    *,
    discount_kind: str = "percentual",
    discount_value: int = 10,
    **fields,
) -> Combo:
    """A combo of ``service_ids`` with a discount ("percentual" in %, "valor" in centavos)."""
    combo = Combo(
        segment_id=segment_id,
        name=name,
        discount_kind=discount_kind,
        discount_value=discount_value,
        **fields,
    )
    session.add(combo)
    session.flush()
    for service_id in service_ids:
        session.add(ComboItem(combo_id=combo.id, service_id=service_id))
    session.flush()
    return combo


def create_plan_template(
    session: Session,
    shop_id: int,
    name: str,
    quantities: Mapping[int, int],
    **fields,
) -> PlanTemplate:
    """A plan/package template; ``quantities`` = {service id: units per cycle (plans) or in
    the whole package}. Defaults: kind "mensal", species ["cao"], price R$ 160,00."""
    values = {"kind": "mensal", "price_cents": 16000, "species": ["cao"]}
    values.update(fields)
    template = PlanTemplate(shop_id=shop_id, name=name, **values)
    session.add(template)
    session.flush()
    for service_id, qty in quantities.items():
        session.add(
            PlanTemplateService(template_id=template.id, service_id=service_id, quantity=qty)
        )
    session.flush()
    return template


# --------------------------------------------------------------------------- the standard shop


@dataclass
class ShopWorld:
    """Ids of a shop built by :func:`build_shop`; helpers add more rows to it."""

    engine: Engine
    shop_id: int
    segment_id: int
    tutor_id: int
    pet_id: int
    categories: dict[str, int] = field(default_factory=dict)  # "banho" → category id
    services: dict[str, int] = field(default_factory=dict)  # "banho" → service id
    employees: dict[str, int] = field(default_factory=dict)  # "ana" → employee id
    resources: dict[str, int] = field(default_factory=dict)  # "banheira" → resource id
    tz: str = TZ

    def session(self) -> Session:
        """A new session on the world's engine (``expire_on_commit=False``)."""
        return Session(self.engine, expire_on_commit=False)

    def add_tutor(self, **fields) -> int:
        with self.session() as s:
            shop = s.get(Shop, self.shop_id)
            fields.setdefault("whatsapp", f"+55119{next(_PHONES):08d}")
            tutor = create_tutor(s, shop, **fields)
            s.commit()
            return tutor.id

    def add_pet(self, tutor_id: int | None = None, **fields) -> int:
        """A new pet (default: another small short-coated dog of the world's tutor)."""
        with self.session() as s:
            tutor = s.get(Tutor, tutor_id or self.tutor_id)
            pet = create_pet(s, tutor, **fields)
            s.commit()
            return pet.id

    def add_employee(
        self,
        name: str,
        *,
        categories: Iterable[str] = ("banho",),
        working: Mapping[int, Iterable[tuple[str, str]]] | None = None,
        **fields,
    ) -> int:
        """A new employee working ``categories`` (names from ``world.categories``)."""
        with self.session() as s:
            shop = s.get(Shop, self.shop_id)
            emp = create_employee(
                s,
                shop,
                name.capitalize(),
                category_ids=[self.categories[c] for c in categories],
                working=working,
                **fields,
            )
            s.commit()
            self.employees[name.lower()] = emp.id
            return emp.id

    def add_service(self, name: str, *, category: str = "banho", **kwargs) -> int:
        """A new service in ``category`` (see :func:`create_service` for the price table)."""
        with self.session() as s:
            cat = s.get(ServiceCategory, self.categories[category])
            svc = create_service(s, cat, name.capitalize(), **kwargs)
            s.commit()
            self.services[name.lower()] = svc.id
            return svc.id

    def add_block(self, dates: Iterable[date], **kwargs) -> int:
        with self.session() as s:
            block = create_block(s, self.shop_id, dates, **kwargs)
            s.commit()
            return block.id

    def add_restriction(self, **kwargs) -> int:
        with self.session() as s:
            r = create_restriction(s, self.shop_id, **kwargs)
            s.commit()
            return r.id

    def add_combo(self, name: str, services: Iterable[str], **kwargs) -> int:
        """A combo of the named services in the world's segment (see :func:`create_combo`)."""
        with self.session() as s:
            combo = create_combo(
                s, self.segment_id, name, [self.services[n] for n in services], **kwargs
            )
            s.commit()
            return combo.id

    def add_plan_template(
        self, name: str = "Banho semanal", *, services: Mapping[str, int] | None = None, **fields
    ) -> int:
        """A plan template (default: mensal, 4 banhos per cycle, R$ 160,00, dogs)."""
        with self.session() as s:
            template = create_plan_template(
                s,
                self.shop_id,
                name,
                {self.services[n]: q for n, q in (services or {"banho": 4}).items()},
                **fields,
            )
            s.commit()
            return template.id

    def update_bot_settings(self, **fields) -> None:
        with self.session() as s:
            settings = s.get(BotSettings, self.shop_id) or BotSettings(shop_id=self.shop_id)
            for key, value in fields.items():
                setattr(settings, key, value)
            s.add(settings)
            s.commit()


def build_shop(
    engine: Engine,
    *,
    shop: Mapping | None = None,
    opening: Mapping[int, Iterable[tuple[str, str]]] | None = None,
    slot_step_min: int = 15,
    employees: Mapping[str, Iterable[str]] | None = None,
    resources: Mapping[str, int] | None = None,
    service_resources: Mapping[str, Mapping[str, int]] | None = None,
    bot_settings: Mapping | None = None,
    pet: Mapping | None = None,
) -> ShopWorld:
    """Commit the standard shop described in the module docstring and return its ids.

    - ``shop``: Shop field overrides (e.g. ``{"staff_horizon_days": 30}``);
    - ``opening``: segment hours ``{weekday: [(start, end), ...]}``; employees work the same
      hours;
    - ``employees``: ``{"ana": ["banho", "tosa"], ...}`` (names lower-case; categories by name);
    - ``resources``: ``{"banheira": capacity}``; ``service_resources``: ``{"banho":
      {"banheira": units}}``;
    - ``bot_settings``: BotSettings field overrides (e.g. ``{"min_notice_hours": 0}``);
    - ``pet``: field overrides for the default pet "Thor".
    """
    opening = DEFAULT_OPENING if opening is None else opening
    employees = {"ana": ["banho", "tosa"], "bruno": ["banho"]} if employees is None else employees
    with Session(engine, expire_on_commit=False) as s:
        shop_row = create_shop(s, **dict(shop or {}))
        segment = create_segment(s, shop_row, opening=opening, slot_step_min=slot_step_min)
        banho = create_category(s, segment, "Banho", kind="banho", display_order=1)
        tosa = create_category(s, segment, "Tosa", kind="tosa", display_order=2)
        res_ids = {
            name: create_resource(s, segment, name.capitalize(), capacity).id
            for name, capacity in (resources or {}).items()
        }

        def _res(service: str) -> dict[int, int]:
            return {
                res_ids[r]: units for r, units in (service_resources or {}).get(service, {}).items()
            }

        svc_banho = create_service(
            s, banho, "Banho", price_cents=5000, duration_min=60, resources=_res("banho"),
            display_order=1,
        )
        svc_tosa = create_service(
            s, tosa, "Tosa", price_cents=4000, duration_min=30, resources=_res("tosa"),
            display_order=1,
        )
        categories = {"banho": banho.id, "tosa": tosa.id}
        emp_ids = {
            name: create_employee(
                s,
                shop_row,
                name.capitalize(),
                category_ids=[categories[c] for c in cats],
                working=opening,
            ).id
            for name, cats in employees.items()
        }
        settings = BotSettings(shop_id=shop_row.id, **dict(bot_settings or {}))
        s.add(settings)
        tutor = create_tutor(s, shop_row)
        pet_row = create_pet(s, tutor, **dict(pet or {}))
        s.commit()
        return ShopWorld(
            engine=engine,
            shop_id=shop_row.id,
            segment_id=segment.id,
            tutor_id=tutor.id,
            pet_id=pet_row.id,
            categories=categories,
            services={"banho": svc_banho.id, "tosa": svc_tosa.id},
            employees=emp_ids,
            resources=res_ids,
            tz=shop_row.timezone,
        )
