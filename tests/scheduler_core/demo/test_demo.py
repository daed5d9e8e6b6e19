"""The demo shop: loads once, is realistic, and its agenda obeys the shop's own rules."""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from datetime import UTC, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, func, select

from scheduler_core.agenda.models import (
    FREEING_STATUSES,
    Appointment,
    AppointmentItem,
    Restriction,
)
from scheduler_core.catalog.models import PriceEntry, Service, ServiceCategory, ServiceResource
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.db.engine import make_engine
from scheduler_core.demo import load_demo
from scheduler_core.kernel.clock import minutes_of
from scheduler_core.kernel.cpf import is_valid_cpf
from scheduler_core.kernel.phones import parse_phone
from scheduler_core.people.models import Breed, Pet, Tutor
from scheduler_core.plans.models import PlanTemplate
from scheduler_core.scheduling import booking
from scheduler_core.shop.models import (
    Employee,
    EmployeeCategory,
    OpeningRange,
    Resource,
    Segment,
    Shop,
    WorkingRange,
)
from tests.conftest import cached_pg_copy, drop_pg_database, migrated_sqlite
from tests.scheduler_core.factories import NOW

TZ = ZoneInfo("America/Sao_Paulo")


_SUMMARIES: dict[str, object] = {}  # per server: what load_demo returned on the template


def _load(url: str) -> None:
    engine = make_engine(url)
    _SUMMARIES[engine.dialect.name] = load_demo(engine, NOW)
    engine.dispose()


def _sqlite_demo() -> Path:
    if "sqlite_file" not in _SUMMARIES:
        path = Path(tempfile.mkdtemp(prefix="petbot-demo-test-")) / "demo.db"
        migrated_sqlite(f"sqlite:///{path}")
        _load(f"sqlite:///{path}")
        _SUMMARIES["sqlite_file"] = path
    return _SUMMARIES["sqlite_file"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo(request, tmp_path):
    """(engine, summary): the demo shop as load_demo left it, on SQLite and on PostgreSQL. It is
    loaded once per server and test process (seconds on PostgreSQL); each test gets a copy."""
    if request.param == "sqlite":
        shutil.copyfile(_sqlite_demo(), tmp_path / "demo.db")
        url = f"sqlite:///{tmp_path / 'demo.db'}"
    else:
        url = cached_pg_copy("demo", _load)
    engine = make_engine(url)
    summary = _SUMMARIES[engine.dialect.name]
    assert summary is not None
    yield engine, summary
    engine.dispose()
    if request.param != "sqlite":
        drop_pg_database(url)


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_demo_loads_once_and_a_second_load_changes_nothing(demo):
    engine, summary = demo
    with Session(engine) as s:
        before = {m: _count(s, m) for m in (Shop, Tutor, Pet, Appointment, Breed, Service)}
    assert load_demo(engine, NOW + timedelta(days=3)) is None
    with Session(engine) as s:
        assert {m: _count(s, m) for m in before} == before
    assert before[Shop] == 1 and before[Tutor] == summary.tutors == 40
    assert before[Appointment] == summary.appointments > 200


def test_demo_shop_is_a_realistic_sao_paulo_pet_shop(demo):
    engine, summary = demo
    with Session(engine) as s:
        shop = s.get(Shop, summary.shop_id)
        assert shop.timezone == "America/Sao_Paulo" and shop.city == "São Paulo"
        assert shop.state == "SP" and len(shop.cep) == 9 and shop.whatsapp.startswith("+5511")
        kinds = {seg.kind for seg in s.exec(select(Segment)).all()}
        assert kinds == {"pet_shop", "clinica"}
        assert _count(s, Employee) == 5
        assert {r.name: r.capacity for r in s.exec(select(Resource)).all()} == {
            "Banheira": 2,
            "Secador": 2,
        }
        categories = {c.name for c in s.exec(select(ServiceCategory)).all()}
        assert {"Banho", "Tosa", "Adicionais", "Clínica", "Leva e Traz"} <= categories
        assert 14 <= _count(s, Service) <= 18
        banho = s.exec(select(Service).where(Service.name == "Banho")).one()
        cells = {
            (p.porte, p.pelagem): (p.price_cents, p.duration_min)
            for p in s.exec(select(PriceEntry).where(PriceEntry.service_id == banho.id)).all()
        }
        assert len(cells) == 15
        assert cells[("pequeno", "curta")] == (5500, 60)
        assert cells[("gigante", "longa")] == (18000, 150)
        names = {p.name for p in s.exec(select(PlanTemplate)).all()}
        assert {"Plano Banho Semanal", "Plano Banho & Tosa", "Pacote 10 banhos"} <= names
        restriction = s.exec(select(Restriction)).one()
        assert restriction.description and restriction.conditions["weekdays"] == [0]
        bot = s.get(BotSettings, shop.id)
        assert "{shop}" in bot.greeting_new and "Olá" in bot.greeting_new
        assert _count(s, Breed) > 80


def test_demo_tutors_have_valid_cpfs_phones_and_pets_with_sizes(demo):
    engine, _ = demo
    with Session(engine) as s:
        tutors = s.exec(select(Tutor)).all()
        assert all(is_valid_cpf(t.cpf) for t in tutors)
        assert all(parse_phone(t.whatsapp) == t.whatsapp for t in tutors)
        assert len({t.whatsapp for t in tutors}) == len(tutors)
        assert len({t.cpf for t in tutors}) == len(tutors)
        pets = s.exec(select(Pet)).all()
        assert len(pets) >= 50
        assert all(p.breed_id and p.porte and p.pelagem for p in pets)
        assert {p.species for p in pets} == {"cao", "gato"}


def _wall(moment):
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(TZ)


def test_demo_agenda_never_double_books_and_respects_hours_and_resources(demo):
    engine, _ = demo
    with Session(engine) as s:
        rows = s.exec(
            select(AppointmentItem, Appointment).join(
                Appointment, Appointment.id == AppointmentItem.appointment_id
            )
        ).all()
        working = defaultdict(list)
        for w in s.exec(select(WorkingRange)).all():
            working[(w.employee_id, w.weekday)].append((minutes_of(w.start), minutes_of(w.end)))
        opening = defaultdict(list)
        for o in s.exec(select(OpeningRange)).all():
            opening[(o.segment_id, o.weekday)].append((minutes_of(o.start), minutes_of(o.end)))
        categories = {
            (link.employee_id, link.category_id) for link in s.exec(select(EmployeeCategory)).all()
        }
        service_category = {svc.id: svc.category_id for svc in s.exec(select(Service)).all()}
        uses = defaultdict(list)
        for link in s.exec(select(ServiceResource)).all():
            uses[link.service_id].append(link.resource_id)
        capacity = {r.id: r.capacity for r in s.exec(select(Resource)).all()}

    active = [(i, a) for i, a in rows if a.status not in FREEING_STATUSES]
    by_employee = defaultdict(list)
    for item, appt in active:
        start, end = _wall(item.start), _wall(item.end)
        assert start.date() == end.date()
        a, b = start.hour * 60 + start.minute, end.hour * 60 + end.minute
        inside = lambda ranges, a=a, b=b: any(s <= a and b <= e for s, e in ranges)  # noqa: E731
        assert inside(working[(item.employee_id, start.weekday())]), item
        assert inside(opening[(appt.segment_id, start.weekday())]), item
        assert (item.employee_id, service_category[item.service_id]) in categories
        by_employee[item.employee_id].append((item.start, item.end))
    for spans in by_employee.values():
        spans.sort()
        for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
            assert e1 <= s2, "an employee is double-booked"

    for resource_id, cap in capacity.items():
        spans = [(i.start, i.end) for i, _a in active if resource_id in uses.get(i.service_id, [])]
        for start, _end in spans:
            assert sum(1 for s2, e2 in spans if s2 <= start < e2) <= cap


def test_demo_statuses_follow_the_clock_and_the_restriction(demo):
    engine, _ = demo
    with Session(engine) as s:
        restriction = s.exec(select(Restriction)).one()
        tesoura = restriction.conditions["service_ids"][0]
        rows = s.exec(
            select(AppointmentItem, Appointment).join(
                Appointment, Appointment.id == AppointmentItem.appointment_id
            )
        ).all()
    statuses_past, statuses_future = set(), set()
    for item, appt in rows:
        end, start = _wall(appt.end), _wall(appt.start)
        if end <= NOW:
            statuses_past.add(appt.status)
        elif start > NOW:
            statuses_future.add(appt.status)
        if item.service_id == tesoura:
            assert start.weekday() != 0, "scissor grooming booked on a Monday"
    assert statuses_past == {"entregue", "cancelado", "nao_compareceu"}
    assert statuses_future == {"agendado", "confirmado", "cancelado"}


def test_a_demo_pet_can_be_booked_through_the_core(sqlite_engine):
    summary = load_demo(sqlite_engine, NOW)
    with Session(sqlite_engine) as s:
        pet = s.exec(select(Pet).where(Pet.species == "cao").order_by(Pet.id)).first()
    offer = booking.find_slots(
        sqlite_engine,
        shop_id=summary.shop_id,
        pet_id=pet.id,
        service_ids=[summary.services["Banho"], summary.services["Tosa higiênica"]],
        date_from=NOW.date() + timedelta(days=1),
        date_to=NOW.date() + timedelta(days=7),
        channel="bot",
        now=NOW,
        secret="demo",
    )
    assert offer.slots, offer.message
    appt = booking.book(
        sqlite_engine, token=offer.slots[0].token, now=NOW, secret="demo", origin="bot", actor="bot"
    )
    assert appt.status == "agendado"


def test_demo_visits_are_priced_as_the_booking_service_prices_them(demo):
    """A demo visit shows what booking.book would store: the services' total minus the combo
    discount, with the Leva e Traz fee apart (never counted twice on the visit's page)."""
    from scheduler_core.catalog import offers as catalog
    from scheduler_core.catalog.models import Combo, ComboItem

    engine, _summary = demo
    with Session(engine) as s:
        combos = {c.id: c for c in s.exec(select(Combo)).all()}
        members = defaultdict(set)
        for ci in s.exec(select(ComboItem)).all():
            members[ci.combo_id].add(ci.service_id)
        items = defaultdict(list)
        for it in s.exec(select(AppointmentItem)).all():
            items[it.appointment_id].append(it)
        visits = s.exec(select(Appointment)).all()
    with_fee = [a for a in visits if a.leva_e_traz and a.leva_e_traz_fee_cents]
    with_combo = [a for a in visits if a.combo_id]
    assert with_fee and with_combo
    for a in visits:
        lines = items[a.id]
        assert a.total_cents == sum(it.price_cents for it in lines) - a.discount_cents, a.id
        if a.combo_id:
            combo = combos[a.combo_id]
            components = sum(it.price_cents for it in lines if it.service_id in members[combo.id])
            expected = catalog.combo_price(components, combo.discount_kind, combo.discount_value)
            assert a.discount_cents == expected[1]
