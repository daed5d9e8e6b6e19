"""Long because: seed data, builder and planner together until issue 9 item 5 moves the data out.

The demo shop: a realistic São Paulo pet shop loaded into an empty database.

``load_demo(engine, now)`` creates, in one transaction and only when the database has no shop:

- the shop "Patas & Cia Pet Shop" (Vila Madalena, São Paulo) with Leva e Traz zones;
- segments Banho e Tosa (pet_shop) and Clínica Veterinária (clinica) with their hours;
- 4 groomers and 1 vet with their own shifts and lunch breaks; 2 bathtubs and 2 dryers;
- the catalogue: ~15 services with real porte × pelagem price & duration tables, 2 combos,
  add-ons, a Leva e Traz service; a restriction (scissor grooming only Tuesday–Saturday) and a
  breed the shop does not accept;
- plan templates (Plano Banho Semanal, Plano Banho & Tosa) and a package (Pacote 10 banhos);
- bot settings with pt-BR greetings; the breed table;
- 40 tutors with valid CPFs and WhatsApp numbers and their pets;
- past and future appointments relative to ``now``: a small planner picks free places that
  respect the hours, breaks, work categories, species, the shared resources and the
  restriction (so no professional is ever double-booked), and each visit is priced and stored
  as the booking service stores one (``booking_support.combo_discount`` and ``insert_visit``:
  total = services − combo discount, the Leva e Traz fee apart).

Everything is deterministic for a given ``now`` (fixed random seed).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Column
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from scheduler_core.agenda.models import (
    Appointment,
    AppointmentStatus,
    Origin,
    Restriction,
    StatusChange,
)
from scheduler_core.catalog.models import (
    Combo,
    ComboItem,
    LevaETrazZone,
    PriceEntry,
    Service,
    ServiceCategory,
    ServiceResource,
)
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.db.engine import write_session
from scheduler_core.kernel.clock import local, minutes_of
from scheduler_core.kernel.cpf import generate_cpf
from scheduler_core.people.breeds import load_breeds
from scheduler_core.people.models import Breed, NotAcceptedBreed, Pet, Tutor
from scheduler_core.plans.models import PlanKind, PlanTemplate, PlanTemplateService
from scheduler_core.scheduling.agenda_types import SlotItem
from scheduler_core.scheduling.booking_support import combo_discount, insert_visit
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
SEED = 20260304
PAST_DAYS = 21
FUTURE_DAYS = 14
MIN_DAYS_BETWEEN_VISITS = 4

# When the demo tutors and pets were registered.
SINCE = datetime(2025, 6, 2, 14, 0, tzinfo=UTC)

PORTES = ("mini", "pequeno", "medio", "grande", "gigante")
PELAGENS = ("curta", "media", "longa")

# (porte, pelagem) → (price in centavos, minutes)
PriceTable = dict[tuple[str, str], tuple[int, int]]


@dataclass
class DemoSummary:
    shop_id: int
    tutors: int
    pets: int
    appointments: int
    services: dict[str, int] = field(default_factory=dict)  # name → id


# --------------------------------------------------------------------------- price tables


def _table(
    prices: dict[str, tuple[int, int, int]], minutes: dict[str, tuple[int, int, int]]
) -> PriceTable:
    """{porte: (curta, media, longa)} in reais and minutes → {(porte, pelagem): (cents, min)}."""
    return {
        (porte, pelagem): (prices[porte][i] * 100, minutes[porte][i])
        for porte in PORTES
        for i, pelagem in enumerate(PELAGENS)
    }


def _flat(reais: int, minutes: int) -> PriceTable:
    return {(p, c): (reais * 100, minutes) for p in PORTES for c in PELAGENS}


def _by_porte(prices: dict[str, int], minutes: dict[str, int]) -> PriceTable:
    return {(p, c): (prices[p] * 100, minutes[p]) for p in PORTES for c in PELAGENS}


BANHO = _table(
    {
        "mini": (45, 55, 65),
        "pequeno": (55, 65, 80),
        "medio": (70, 85, 100),
        "grande": (95, 115, 135),
        "gigante": (130, 155, 180),
    },
    {
        "mini": (45, 60, 60),
        "pequeno": (60, 60, 75),
        "medio": (75, 90, 105),
        "grande": (90, 105, 120),
        "gigante": (120, 135, 150),
    },
)
TOSA_HIGIENICA = _table(
    {
        "mini": (35, 35, 40),
        "pequeno": (35, 40, 45),
        "medio": (45, 50, 55),
        "grande": (55, 60, 65),
        "gigante": (65, 70, 75),
    },
    {
        "mini": (15, 20, 20),
        "pequeno": (20, 20, 30),
        "medio": (20, 30, 30),
        "grande": (30, 30, 45),
        "gigante": (30, 45, 45),
    },
)
TOSA_MAQUINA = _table(
    {
        "mini": (60, 65, 70),
        "pequeno": (65, 75, 85),
        "medio": (85, 95, 110),
        "grande": (110, 125, 140),
        "gigante": (140, 160, 180),
    },
    {
        "mini": (45, 45, 60),
        "pequeno": (45, 60, 60),
        "medio": (60, 75, 75),
        "grande": (75, 90, 90),
        "gigante": (90, 105, 120),
    },
)
TOSA_TESOURA = _table(
    {
        "mini": (90, 100, 110),
        "pequeno": (100, 115, 130),
        "medio": (130, 145, 160),
        "grande": (160, 180, 200),
        "gigante": (190, 210, 230),
    },
    {
        "mini": (60, 75, 75),
        "pequeno": (75, 90, 90),
        "medio": (90, 105, 120),
        "grande": (105, 120, 135),
        "gigante": (120, 135, 150),
    },
)
HIDRATACAO = _table(
    {
        "mini": (25, 30, 35),
        "pequeno": (30, 35, 40),
        "medio": (35, 45, 50),
        "grande": (45, 55, 60),
        "gigante": (55, 65, 75),
    },
    {
        "mini": (15, 15, 15),
        "pequeno": (15, 15, 20),
        "medio": (15, 20, 20),
        "grande": (20, 20, 30),
        "gigante": (20, 30, 30),
    },
)
DESEMBOLO = _table(
    {
        "mini": (30, 40, 50),
        "pequeno": (35, 45, 60),
        "medio": (45, 60, 80),
        "grande": (60, 80, 100),
        "gigante": (80, 100, 120),
    },
    {
        "mini": (15, 20, 30),
        "pequeno": (15, 30, 30),
        "medio": (20, 30, 45),
        "grande": (30, 45, 45),
        "gigante": (30, 45, 60),
    },
)
CORTE_UNHAS = _by_porte(
    {"mini": 20, "pequeno": 20, "medio": 25, "grande": 30, "gigante": 35},
    {"mini": 10, "pequeno": 10, "medio": 10, "grande": 15, "gigante": 15},
)


# --------------------------------------------------------------------------- people data

FIRST_NAMES = [
    "Ana", "Beatriz", "Camila", "Daniela", "Fernanda", "Gabriela", "Juliana", "Larissa",
    "Mariana", "Patrícia", "Renata", "Tatiane", "Vanessa", "Aline", "Bruna", "Carolina",
    "Letícia", "Priscila", "Luciana", "Sandra", "André", "Bruno", "Carlos", "Eduardo",
    "Felipe", "Gustavo", "Henrique", "João", "Lucas", "Marcelo", "Paulo", "Rafael",
    "Rodrigo", "Thiago", "Vinícius", "Leonardo", "Fábio", "Ricardo", "Márcio", "Sérgio",
]  # fmt: skip
LAST_NAMES = [
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
    "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes",
    "Soares", "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade",
    "Moreira", "Nunes", "Marques", "Machado", "Mendes", "Freitas", "Cardoso", "Teixeira",
]  # fmt: skip
DOG_NAMES = [
    "Thor", "Mel", "Luna", "Bob", "Nina", "Pipoca", "Fred", "Amora", "Bidu", "Lola",
    "Paçoca", "Bolinha", "Max", "Frida", "Zeca", "Toddy", "Cacau", "Belinha", "Theo",
    "Chico", "Luke", "Maya", "Marley", "Pandora", "Kiara", "Jade", "Princesa", "Meg",
    "Bento", "Ozzy", "Costelinha", "Pretinha", "Scooby", "Dora", "Apolo", "Biscoito",
]  # fmt: skip
CAT_NAMES = ["Mingau", "Frajola", "Salem", "Tom", "Mimi", "Félix", "Nala", "Garfield", "Lua"]
DOG_BREEDS = [
    ("Shih Tzu", 10), ("SRD (sem raça definida)", 10), ("Lhasa Apso", 5),
    ("Yorkshire Terrier", 5), ("Poodle", 4), ("Spitz Alemão (Lulu da Pomerânia)", 5),
    ("Golden Retriever", 3), ("Labrador Retriever", 3), ("Bulldog Francês", 3), ("Pug", 2),
    ("Maltês", 3), ("Border Collie", 2), ("Pastor Alemão", 1), ("Dachshund (Salsicha)", 2),
    ("Schnauzer", 2), ("Chow Chow", 1), ("Husky Siberiano", 1), ("Pinscher", 2),
    ("Beagle", 1), ("Boiadeiro Bernês", 1), ("Cocker Spaniel Inglês", 1), ("São Bernardo", 1),
]  # fmt: skip
CAT_BREEDS = [("SRD (sem raça definida)", 4), ("Persa", 2), ("Siamês", 2), ("Maine Coon", 1)]

# (bairro, CEP prefix, street) — the shop's neighbourhood and around.
ADDRESSES = [
    ("Vila Madalena", "05435", "Rua Harmonia"),
    ("Vila Madalena", "05433", "Rua Aspicuelta"),
    ("Pinheiros", "05422", "Rua dos Pinheiros"),
    ("Pinheiros", "05414", "Rua Cardeal Arcoverde"),
    ("Sumarezinho", "05441", "Rua Heitor Penteado"),
    ("Perdizes", "05015", "Rua Cardoso de Almeida"),
    ("Pompeia", "05024", "Rua Clélia"),
    ("Alto de Pinheiros", "05447", "Rua Cerro Corá"),
    ("Vila Beatriz", "05447", "Rua Professor Pedreira de Freitas"),
    ("Lapa", "05068", "Rua Guaicurus"),
    ("Butantã", "05508", "Avenida Vital Brasil"),
    ("Jardim Paulista", "01425", "Alameda Lorena"),
    ("Itaim Bibi", "04531", "Rua Joaquim Floriano"),
]

LEVA_E_TRAZ_ZONES = [
    ("Zona 1 (até 2 km)", ["Vila Madalena", "Pinheiros", "Sumarezinho"], ["05433", "05435"], 1500),
    ("Zona 2 (até 4 km)", ["Perdizes", "Pompeia", "Alto de Pinheiros", "Vila Beatriz"], [], 2000),
    ("Zona 3 (até 7 km)", ["Lapa", "Butantã", "Jardim Paulista", "Itaim Bibi"], [], 3000),
]


# --------------------------------------------------------------------------- helpers


def _stamp(column: Column, moment: datetime) -> datetime:
    """A datetime as the column stores it: aware UTC for timezone-aware columns, naive UTC
    otherwise (the core's convention)."""
    utc = moment.astimezone(UTC)
    return utc if getattr(column.type, "timezone", False) else utc.replace(tzinfo=None)


def _col(model: type[SQLModel], name: str) -> Column:
    return model.__table__.c[name]


def _week(
    ranges: list[tuple[str, str]], days: Iterable[int] = range(5)
) -> dict[int, list[tuple[str, str]]]:
    return {day: ranges for day in days}


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            start, end = max(s1, s2), min(e1, e2)
            if start < end:
                out.append((start, end))
    return sorted(out)


def _has_demo(session: Session) -> bool:
    return session.exec(select(Shop.id)).first() is not None


def load_demo(engine: Engine, now: datetime) -> DemoSummary | None:
    """Load the demo shop when the database has no shop; returns None when it already has one.

    ``now`` (aware) anchors past and future appointments. Idempotent and safe to call at every
    start.
    """
    if now.tzinfo is None:
        raise ValueError("aware datetime expected")
    with Session(engine) as session:
        if _has_demo(session):
            return None
    with write_session(engine) as session:
        if _has_demo(session):  # another process won the race
            return None
        return _build(session, now)


# --------------------------------------------------------------------------- the builder


def _build(session: Session, now: datetime) -> DemoSummary:
    rng = random.Random(SEED)
    load_breeds(session)
    breeds = {(b.species, b.name): b for b in session.exec(select(Breed)).all()}
    shop = _new_shop(session)
    petshop, clinica, opening = _segments(session, shop)
    banheira = Resource(segment_id=petshop.id, name="Banheira", capacity=2)
    secador = Resource(segment_id=petshop.id, name="Secador", capacity=2)
    session.add_all([banheira, secador])
    cat = _categories(session, petshop, clinica)
    services, tables = _services(session, cat, banheira, secador)
    combo_bt, combo_spa = _combos(session, petshop, services)
    employees, employee_cats, working = _staff(session, shop, cat, rng)
    zones = _leva_e_traz_zones(session, shop)
    _rules(session, shop, services, breeds)
    _plan_templates(session, shop, services)
    _bot_settings(session, shop)

    # Tutors and pets.
    tutors, pets = _people(session, shop, rng, breeds)

    # Appointments.
    planner = _Planner(
        rng=rng,
        now=now,
        shop=shop,
        services=services,
        tables=tables,
        employees=employees,
        employee_cats=employee_cats,
        working=working,
        opening={
            seg: {wd: [(minutes_of(s), minutes_of(e)) for s, e in rs] for wd, rs in week.items()}
            for seg, week in opening.items()
        },
        petshop_id=petshop.id,
        clinica_id=clinica.id,
        capacity={banheira.id: banheira.capacity, secador.id: secador.capacity},
        service_resources={
            services["banho"].id: [banheira.id, secador.id],
            services["hidratacao"].id: [banheira.id],
        },
        combos={
            frozenset([services["banho"].id, services["tosa_higienica"].id]): combo_bt,
            frozenset(
                [services["banho"].id, services["hidratacao"].id, services["unhas"].id]
            ): combo_spa,
        },
        zones=zones,
        tutors=tutors,
        pets=pets,
    )
    count = planner.run(session)
    return DemoSummary(
        shop_id=shop.id,
        tutors=len(tutors),
        pets=len(pets),
        appointments=count,
        services={s.name: s.id for s in services.values()},
    )


def _new_shop(session: Session) -> Shop:
    """The shop itself, with its Leva e Traz settings."""
    shop = Shop(
        name="Patas & Cia Pet Shop",
        whatsapp="+5511940028922",
        cnpj="12.345.678/0001-95",
        description=(
            "Pet shop e clínica veterinária na Vila Madalena desde 2012. Banho e tosa para cães "
            "e gatos com produtos hipoalergênicos, tosa na tesoura, hidratação, consultas e "
            "vacinas. Buscamos e levamos seu pet (Leva e Traz) na região de Pinheiros. "
            "Estacionamento conveniado na rua de trás."
        ),
        timezone=TZ,
        cep="05435-001",
        street="Rua Harmonia",
        number="850",
        complement="Loja 1",
        neighborhood="Vila Madalena",
        city="São Paulo",
        state="SP",
        leva_e_traz_enabled=True,
        leva_e_traz_min_notice_hours=24,
        leva_e_traz_pickup_window_min=60,
        leva_e_traz_notice=(
            "Buscamos o pet até 1 hora antes do horário marcado e devolvemos assim que ficar "
            "pronto. Deixe a guia e a coleira separadas, por favor."
        ),
    )
    session.add(shop)
    session.flush()
    return shop


def _segments(
    session: Session, shop: Shop
) -> tuple[Segment, Segment, dict[int, dict[int, list[tuple[str, str]]]]]:
    """Banho e Tosa and the clinic with their opening hours (segment id → weekday → ranges)."""
    petshop = Segment(shop_id=shop.id, kind="pet_shop", name="Banho e Tosa", slot_step_min=15)
    clinica = Segment(shop_id=shop.id, kind="clinica", name="Clínica Veterinária", slot_step_min=15)
    session.add_all([petshop, clinica])
    session.flush()
    opening = {
        petshop.id: {
            **_week([("08:00", "12:00"), ("13:00", "18:00")]),
            5: [("08:00", "14:00")],
        },
        clinica.id: {
            **_week([("09:00", "12:00"), ("14:00", "19:00")]),
            5: [("09:00", "13:00")],
        },
    }
    for segment_id, week in opening.items():
        for weekday, ranges in week.items():
            for start, end in ranges:
                session.add(
                    OpeningRange(segment_id=segment_id, weekday=weekday, start=start, end=end)
                )
    return petshop, clinica, opening


def _categories(
    session: Session, petshop: Segment, clinica: Segment
) -> dict[str, ServiceCategory]:
    cat = {
        "banho": ServiceCategory(
            segment_id=petshop.id, name="Banho", kind="banho", display_order=1
        ),
        "tosa": ServiceCategory(segment_id=petshop.id, name="Tosa", kind="tosa", display_order=2),
        "adicional": ServiceCategory(
            segment_id=petshop.id, name="Adicionais", kind="adicional", display_order=3
        ),
        "leva": ServiceCategory(
            segment_id=petshop.id, name="Leva e Traz", kind="leva_e_traz", display_order=9
        ),
        "clinica": ServiceCategory(
            segment_id=clinica.id, name="Clínica", kind="clinica", display_order=1
        ),
    }
    session.add_all(cat.values())
    session.flush()
    return cat


def _services(
    session: Session, cat: dict[str, ServiceCategory], banheira: Resource, secador: Resource
) -> tuple[dict[str, Service], dict[str, dict]]:
    """The catalogue (key → service), its price tables (key → table) and the resources it uses."""
    # Services: (key, category, name, table, order, options).
    specs = [
        ("banho", "banho", "Banho", BANHO, 1, {
            "description": "Banho com shampoo neutro, secagem, escovação e perfume.",
        }),
        ("tosa_higienica", "tosa", "Tosa higiênica", TOSA_HIGIENICA, 1, {
            "description": "Aparo da região íntima, patas e barriga.",
        }),
        ("tosa_maquina", "tosa", "Tosa na máquina", TOSA_MAQUINA, 2, {
            "description": "Tosa completa na máquina, na altura que você preferir.",
        }),
        ("tosa_tesoura", "tosa", "Tosa na tesoura", TOSA_TESOURA, 3, {
            "species": ["cao"],
            "description": "Tosa artesanal na tesoura, no padrão da raça ou do seu jeito.",
            "guidance": "Só com a Camila ou a Juliana.",
        }),
        ("hidratacao", "adicional", "Hidratação", HIDRATACAO, 1, {
            "is_addon": True, "description": "Máscara de hidratação para pelos macios.",
        }),
        ("unhas", "adicional", "Corte de unhas", CORTE_UNHAS, 2, {"is_addon": True}),
        ("ouvido", "adicional", "Limpeza de ouvido", _flat(15, 10), 3, {"is_addon": True}),
        ("dentes", "adicional", "Escovação de dentes", _flat(20, 10), 4, {"is_addon": True}),
        ("desembolo", "adicional", "Desembolo", DESEMBOLO, 5, {
            "is_addon": True, "show_on_bot": False,
            "guidance": "Avaliar o pelo antes; nós muito presos → tosa.",
        }),
        ("leva_e_traz", "leva", "Leva e Traz (busca e entrega)", _flat(15, 30), 1, {
            "show_on_bot": False,
            "description": "Buscamos e levamos seu pet; a taxa depende do bairro.",
        }),
        ("consulta", "clinica", "Consulta veterinária", _flat(180, 30), 1, {
            "description": "Consulta clínica geral com a Dra. Fernanda.",
        }),
        ("retorno", "clinica", "Retorno", _flat(0, 20), 2, {
            "show_on_bot": False, "description": "Retorno em até 30 dias após a consulta.",
        }),
        ("v10", "clinica", "Vacina V10", _flat(120, 15), 3, {
            "species": ["cao"], "description": "Vacina polivalente para cães (V10).",
        }),
        ("v4", "clinica", "Vacina V4 felina", _flat(130, 15), 4, {
            "species": ["gato"], "description": "Vacina quádrupla felina.",
        }),
        ("antirrabica", "clinica", "Vacina antirrábica", _flat(80, 15), 5, {
            "description": "Vacina contra a raiva, para cães e gatos.",
        }),
    ]  # fmt: skip
    services: dict[str, Service] = {}
    tables: dict[str, dict] = {}
    for key, category, name, table, order, options in specs:
        service = Service(category_id=cat[category].id, name=name, display_order=order, **options)
        session.add(service)
        services[key] = service
        tables[key] = table
    session.flush()
    for key, table in tables.items():
        for (porte, pelagem), (price, minutes) in table.items():
            session.add(
                PriceEntry(
                    service_id=services[key].id,
                    porte=porte,
                    pelagem=pelagem,
                    price_cents=price,
                    duration_min=minutes,
                )
            )
    session.flush()
    session.add(ServiceResource(service_id=services["banho"].id, resource_id=banheira.id))
    session.add(ServiceResource(service_id=services["banho"].id, resource_id=secador.id))
    session.add(ServiceResource(service_id=services["hidratacao"].id, resource_id=banheira.id))
    return services, tables


def _combos(
    session: Session, petshop: Segment, services: dict[str, Service]
) -> tuple[Combo, Combo]:
    combo_bt = Combo(
        segment_id=petshop.id,
        name="Banho + Tosa higiênica",
        species=["cao", "gato"],
        description="Banho completo com tosa higiênica, 10% mais barato.",
        discount_kind="percentual",
        discount_value=10,
    )
    combo_spa = Combo(
        segment_id=petshop.id,
        name="Dia de Spa",
        species=["cao"],
        description="Banho, hidratação e corte de unhas com R$ 15,00 de desconto.",
        discount_kind="valor",
        discount_value=1500,
    )
    session.add_all([combo_bt, combo_spa])
    session.flush()
    for combo, keys in ((combo_bt, ["banho", "tosa_higienica"]),
                        (combo_spa, ["banho", "hidratacao", "unhas"])):  # fmt: skip
        for key in keys:
            session.add(ComboItem(combo_id=combo.id, service_id=services[key].id))
    return combo_bt, combo_spa


def _staff(
    session: Session, shop: Shop, cat: dict[str, ServiceCategory], rng: random.Random
) -> tuple[dict[str, Employee], dict[int, set[str]], dict[int, dict[int, list[tuple[int, int]]]]]:
    """The team: employees by name, their category keys and working minutes per weekday."""
    # Staff: name → (categories, species, week, phone).
    staff_specs = {
        "Juliana Ferreira": (
            ["banho", "tosa", "adicional", "leva"],
            ["cao", "gato"],
            {**_week([("08:00", "12:00"), ("13:00", "17:00")]), 5: [("08:00", "14:00")]},
        ),
        "Rafael Souza": (
            ["banho", "adicional", "leva"],
            ["cao"],
            {**_week([("09:00", "12:00"), ("13:00", "18:00")]), 5: [("08:00", "14:00")]},
        ),
        "Camila Rocha": (
            ["tosa", "adicional"],
            ["cao", "gato"],
            {
                **_week([("10:00", "12:00"), ("13:00", "18:00")], range(1, 5)),
                5: [("08:00", "14:00")],
            },
        ),  # fmt: skip
        "Diego Almeida": (
            ["banho", "tosa", "adicional"],
            ["cao"],
            _week([("08:00", "11:30"), ("12:30", "16:00")]),
        ),
        "Dra. Fernanda Lima": (
            ["clinica"],
            ["cao", "gato"],
            {**_week([("09:00", "12:00"), ("14:00", "19:00")]), 5: [("09:00", "13:00")]},
        ),
    }
    employees: dict[str, Employee] = {}
    for index, (name, (_cats, species, _hours)) in enumerate(staff_specs.items()):
        employee = Employee(
            shop_id=shop.id,
            name=name,
            cpf=generate_cpf(rng),
            email=name.lower().replace("dra. ", "").replace(" ", ".") + "@patasecia.com.br",
            phone=f"+55119{81200100 + index * 37:08d}",
            species=species,
            can_cancel=index in (0, 4),
            can_edit_blocks=index == 0,
        )
        session.add(employee)
        employees[name] = employee
    session.flush()
    employee_cats: dict[int, set[str]] = {}
    working: dict[int, dict[int, list[tuple[int, int]]]] = {}
    for name, (cats, _species, week) in staff_specs.items():
        employee = employees[name]
        employee_cats[employee.id] = set(cats)
        for key in cats:
            session.add(EmployeeCategory(employee_id=employee.id, category_id=cat[key].id))
        working[employee.id] = {}
        for weekday, ranges in week.items():
            for start, end in ranges:
                session.add(
                    WorkingRange(employee_id=employee.id, weekday=weekday, start=start, end=end)
                )
            working[employee.id][weekday] = [(minutes_of(s), minutes_of(e)) for s, e in ranges]
    return employees, employee_cats, working


def _leva_e_traz_zones(session: Session, shop: Shop) -> list[LevaETrazZone]:
    zones = []
    for zone_name, bairros, prefixes, fee in LEVA_E_TRAZ_ZONES:
        zone = LevaETrazZone(
            shop_id=shop.id,
            name=zone_name,
            neighborhoods=bairros,
            cep_prefixes=prefixes,
            fee_cents=fee,
        )
        session.add(zone)
        zones.append(zone)
    return zones


def _rules(
    session: Session, shop: Shop, services: dict[str, Service], breeds: dict[tuple[str, str], Breed]
) -> None:
    """The scissor-grooming restriction and the breed the shop does not accept."""
    session.add(
        Restriction(
            shop_id=shop.id,
            name="Tosa na tesoura só de terça a sábado",
            scope="ambos",
            description=(
                "A tosa na tesoura é feita de terça a sábado, quando nossas tosadoras "
                "especialistas estão na loja. Escolha outro dia, por favor."
            ),
            conditions={"service_ids": [services["tosa_tesoura"].id], "weekdays": [0]},
        )
    )
    fila = breeds.get(("cao", "Fila Brasileiro"))
    if fila is not None:
        session.add(
            NotAcceptedBreed(
                shop_id=shop.id,
                breed_id=fila.id,
                message="No momento não atendemos Fila Brasileiro no banho e tosa.",
            )
        )


def _plan_templates(session: Session, shop: Shop, services: dict[str, Service]) -> None:
    """Two monthly plans and a package."""
    banho_semanal = PlanTemplate(
        shop_id=shop.id,
        name="Plano Banho Semanal",
        kind=PlanKind.MENSAL,
        show_on_bot=True,
        species=["cao"],
        description="4 banhos por mês, um por semana, com horário reservado.",
        price_cents=19000,
        price_by_porte={
            "mini": 16000,
            "pequeno": 19000,
            "medio": 24000,
            "grande": 32000,
            "gigante": 42000,
        },  # fmt: skip
        discount_pct=15,
        months=1,
    )
    banho_tosa = PlanTemplate(
        shop_id=shop.id,
        name="Plano Banho & Tosa",
        kind=PlanKind.MENSAL,
        show_on_bot=True,
        species=["cao"],
        description="2 banhos e 1 tosa na máquina por mês (banhos quinzenais).",
        price_cents=17000,
        price_by_porte={
            "mini": 15000,
            "pequeno": 17000,
            "medio": 22000,
            "grande": 29000,
            "gigante": 38000,
        },  # fmt: skip
        discount_pct=10,
        months=1,
    )
    pacote = PlanTemplate(
        shop_id=shop.id,
        name="Pacote 10 banhos",
        kind=PlanKind.PACOTE,
        show_on_bot=False,
        species=["cao", "gato"],
        description="10 banhos para usar em até 6 meses; cobrança a cada 5 banhos.",
        price_cents=49500,
        price_by_porte={
            "mini": 40500,
            "pequeno": 49500,
            "medio": 63000,
            "grande": 85500,
            "gigante": 117000,
        },  # fmt: skip
        discount_pct=10,
        charge_every_n=5,
        months=6,
    )
    session.add_all([banho_semanal, banho_tosa, pacote])
    session.flush()
    session.add_all(
        [
            PlanTemplateService(
                template_id=banho_semanal.id, service_id=services["banho"].id, quantity=4,
                reserve="semanal", per_week=1,
            ),
            PlanTemplateService(
                template_id=banho_tosa.id, service_id=services["banho"].id, quantity=2,
                reserve="quinzenal", per_week=1,
            ),
            PlanTemplateService(
                template_id=banho_tosa.id, service_id=services["tosa_maquina"].id, quantity=1
            ),
            PlanTemplateService(
                template_id=pacote.id, service_id=services["banho"].id, quantity=10
            ),
        ]
    )  # fmt: skip


def _bot_settings(session: Session, shop: Shop) -> None:
    session.add(
        BotSettings(
            shop_id=shop.id,
            greeting_new=(
                "Olá! 🐾 Eu sou a Pipoca, assistente virtual do {shop}. "
                "Vou te ajudar a agendar banho, tosa ou consulta. Vamos fazer seu cadastro?"
            ),
            greeting_known=(
                "Oi, {tutor}! 🐶 Que bom te ver de novo no {shop}. Como posso ajudar hoje?"
            ),
            auto_reply_text=(
                "Olá! No momento não estamos atendendo pelo WhatsApp. "
                "Ligue (11) 4002-8922 ou volte mais tarde. 🐾"
            ),
        )
    )


def _people(
    session: Session, shop: Shop, rng: random.Random, breeds: dict[tuple[str, str], Breed]
) -> tuple[list[Tutor], list[Pet]]:
    names: set[str] = set()
    phones: set[str] = set()
    tutors: list[Tutor] = []
    while len(tutors) < 40:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if rng.random() < 0.4:
            name += f" {rng.choice(LAST_NAMES)}"
        if name in names:
            continue
        phone = f"+55119{rng.randrange(40_000_000, 99_999_999):08d}"
        if phone in phones:
            continue
        names.add(name)
        phones.add(phone)
        bairro, prefix, street = rng.choice(ADDRESSES)
        tutor = Tutor(
            shop_id=shop.id,
            name=name,
            cpf=generate_cpf(rng),
            whatsapp=phone,
            email=(
                name.split()[0].lower().translate(str.maketrans("áéíóúâêôãõç", "aeiouaeoaoc"))
                + f"{rng.randrange(10, 99)}@email.com.br"
            ),
            allow_bot=len(tutors) != 7,  # one tutor prefers to talk to a person
            cep=f"{prefix}-{rng.randrange(0, 999):03d}",
            street=street,
            number=str(rng.randrange(10, 2500)),
            complement=rng.choice(["", "", "", f"Apto {rng.randrange(11, 184)}"]),
            neighborhood=bairro,
            city="São Paulo",
            state="SP",
            notes="Prefere ser avisada pelo WhatsApp." if len(tutors) == 3 else "",
            created_at=_stamp(_col(Tutor, "created_at"), SINCE),
        )
        session.add(tutor)
        tutors.append(tutor)
    session.flush()

    pets: list[Pet] = []
    used_names: dict[int, set[str]] = {}
    dog_pool = [b for b, w in DOG_BREEDS for _ in range(w)]
    cat_pool = [b for b, w in CAT_BREEDS for _ in range(w)]
    for index, tutor in enumerate(tutors):
        how_many = 2 if index % 2 == 0 else 1
        used_names[tutor.id] = set()
        for _ in range(how_many):
            is_cat = rng.random() < 0.2
            species = "gato" if is_cat else "cao"
            breed = breeds[(species, rng.choice(cat_pool if is_cat else dog_pool))]
            name = rng.choice(CAT_NAMES if is_cat else DOG_NAMES)
            while name in used_names[tutor.id]:
                name = rng.choice(CAT_NAMES if is_cat else DOG_NAMES)
            used_names[tutor.id].add(name)
            porte, pelagem = breed.default_porte, breed.default_pelagem
            if breed.name.startswith("SRD") and not is_cat:
                porte = rng.choice(["pequeno", "medio", "medio", "grande"])
                pelagem = rng.choice(["curta", "curta", "media"])
            pet = Pet(
                tutor_id=tutor.id,
                name=name,
                species=species,
                breed_id=breed.id,
                porte=porte,
                pelagem=pelagem,
                sex=rng.choice(["macho", "femea"]),
                birth_date=date(
                    rng.randrange(2013, 2025), rng.randrange(1, 13), rng.randrange(1, 28)
                ),
                notes=rng.choice(["", "", "", "Tem medo de secador.", "Alérgico a perfume."]),
                created_at=_stamp(_col(Pet, "created_at"), SINCE),
            )
            session.add(pet)
            pets.append(pet)
    session.flush()
    return tutors, pets


@dataclass
class _Planner:
    """Places demo appointments on free time, as staff would have booked them."""

    rng: random.Random
    now: datetime
    shop: Shop
    services: dict[str, Service]
    tables: dict[str, dict]
    employees: dict[str, Employee]
    employee_cats: dict[int, set[str]]
    working: dict[int, dict[int, list[tuple[int, int]]]]
    opening: dict[int, dict[int, list[tuple[int, int]]]]
    petshop_id: int
    clinica_id: int
    capacity: dict[int, int]
    service_resources: dict[int, list[int]]
    combos: dict[frozenset, Combo]
    zones: list[LevaETrazZone]
    tutors: list[Tutor]
    pets: list[Pet]
    # Per day: resource id → list of (start, end) minutes in use.
    _usage: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    _last_visit: dict[int, date] = field(default_factory=dict)

    def _category_of(self, key: str) -> str:
        return {
            "banho": "banho", "tosa_higienica": "tosa", "tosa_maquina": "tosa",
            "tosa_tesoura": "tosa", "hidratacao": "adicional", "unhas": "adicional",
            "ouvido": "adicional", "dentes": "adicional",
            "consulta": "clinica", "v10": "clinica", "v4": "clinica", "antirrabica": "clinica",
        }[key]  # fmt: skip

    def _visit_options(self, employee_id: int, pet: Pet, weekday: int) -> list[list[str]]:
        cats = self.employee_cats[employee_id]
        if "clinica" in cats:
            vaccine = "v10" if pet.species == "cao" else "v4"
            return [["consulta"], ["consulta"], [vaccine], ["antirrabica"], ["consulta", vaccine]]
        options = []
        if "banho" in cats:
            options += [["banho"], ["banho"], ["banho"], ["banho", "unhas"]]
            if "adicional" in cats and pet.species == "cao":
                options += [["banho", "hidratacao", "unhas"]]
            if "tosa" in cats:
                options += [["banho", "tosa_higienica"], ["banho", "tosa_higienica"]]
        if "tosa" in cats:
            options += [["tosa_maquina"], ["banho", "tosa_maquina"] if "banho" in cats else []]
            if pet.species == "cao" and weekday != 0:  # the restriction: no scissors on Monday
                options += [["tosa_tesoura"]]
        return [o for o in options if o]

    def _fits_resources(self, items: list[tuple[int, int, int]]) -> bool:
        for service_id, start, end in items:
            for resource_id in self.service_resources.get(service_id, []):
                intervals = self._usage.get(resource_id, []) + [(start, end)]
                points = sorted({s for s, _ in intervals if start <= s < end} | {start})
                for point in points:
                    in_use = sum(1 for s, e in intervals if s <= point < e)
                    if in_use > self.capacity[resource_id]:
                        return False
        return True

    def _hold_resources(self, items: list[tuple[int, int, int]]) -> None:
        for service_id, start, end in items:
            for resource_id in self.service_resources.get(service_id, []):
                self._usage.setdefault(resource_id, []).append((start, end))

    def run(self, session: Session) -> int:
        today = self.now.astimezone(ZoneInfo(self.shop.timezone)).date()
        count = 0
        for offset in range(-PAST_DAYS, FUTURE_DAYS + 1):
            day = today + timedelta(days=offset)
            self._usage = {}
            # A pet comes back at most every few days.
            busy_pets = {
                pet_id
                for pet_id, last in self._last_visit.items()
                if (day - last).days < MIN_DAYS_BETWEEN_VISITS
            }
            staff = list(self.employees.values())
            self.rng.shuffle(staff)
            for employee in staff:
                count += self._fill(session, employee, day, offset, busy_pets)
        return count

    def _fill(
        self, session: Session, employee: Employee, day: date, offset: int, busy_pets: set[int]
    ) -> int:
        weekday = day.weekday()
        segment_id = (
            self.clinica_id if "clinica" in self.employee_cats[employee.id] else (self.petshop_id)
        )
        windows = _intersect(
            self.working[employee.id].get(weekday, []),
            self.opening[segment_id].get(weekday, []),
        )
        if not windows:
            return 0
        # Busier in the past (the agenda filled up), lighter ahead so there is room to book.
        fill = 0.75 if offset < 0 else (0.6 if offset < 3 else 0.35)
        made = 0
        for window_start, window_end in windows:
            cursor = window_start
            while cursor < window_end:
                if self.rng.random() > fill:
                    cursor += self.rng.choice([15, 30, 45, 60])
                    continue
                placed = self._try_place(
                    session, employee, segment_id, day, weekday, cursor, window_end, busy_pets
                )
                if placed is None:
                    cursor += 15
                    continue
                made += 1
                cursor = -(-placed // 15) * 15  # next quarter hour after the visit
        return made

    def _try_place(
        self,
        session: Session,
        employee: Employee,
        segment_id: int,
        day: date,
        weekday: int,
        cursor: int,
        window_end: int,
        busy_pets: set[int],
    ) -> int | None:
        candidates = [
            p for p in self.pets if p.id not in busy_pets and p.species in employee.species
        ]
        if not candidates:
            return None
        pet = self.rng.choice(candidates)
        options = self._visit_options(employee.id, pet, weekday)
        if not options:
            return None
        keys = self.rng.choice(options)
        keys = sorted(
            keys,
            key=lambda k: (
                ["banho", "tosa", "adicional", "clinica"].index(self._category_of(k)),
                self.services[k].display_order,
            ),
        )
        if any(pet.species not in (self.services[k].species or []) for k in keys):
            return None
        items = []
        start = cursor
        for key in keys:
            price, minutes = self.tables[key][(pet.porte, pet.pelagem)]
            items.append((key, start, start + minutes, price, minutes))
            start += minutes
        if start > window_end:
            return None
        spans = [(self.services[k].id, s, e) for k, s, e, _p, _m in items]
        if not self._fits_resources(spans):
            return None
        self._hold_resources(spans)
        busy_pets.add(pet.id)
        self._last_visit[pet.id] = day
        self._save(session, employee, segment_id, day, pet, items)
        return start

    def _save(
        self,
        session: Session,
        employee: Employee,
        segment_id: int,
        day: date,
        pet: Pet,
        items: list[tuple[str, int, int, int, int]],
    ) -> None:
        rng = self.rng
        tz = self.shop.timezone

        def at(minutes: int) -> datetime:
            return local(day, f"{minutes // 60:02d}:{minutes % 60:02d}", tz)

        start, end = at(items[0][1]), at(items[-1][2])
        lines = [
            (SlotItem(service_id=self.services[key].id, employee_id=employee.id, start=at(s),
                      end=at(e), price_cents=price, duration_min=minutes), price, False)
            for key, s, e, price, minutes in items
        ]
        visit_services = frozenset(it.service_id for it, _p, _l in lines)
        combo = self.combos.get(visit_services)
        discount = 0
        if combo is not None:
            discount = combo_discount(
                combo.discount_kind,
                combo.discount_value,
                [(it.service_id, price) for it, price, _l in lines],
                visit_services,
            )

        if end <= self.now:
            roll = rng.random()
            status = (
                AppointmentStatus.CANCELADO if roll < 0.08
                else AppointmentStatus.NAO_COMPARECEU if roll < 0.11
                else AppointmentStatus.ENTREGUE
            )  # fmt: skip
        elif start <= self.now:
            status = AppointmentStatus.EM_ATENDIMENTO
        else:
            roll = rng.random()
            if roll < 0.08:
                status = AppointmentStatus.CANCELADO
            elif roll < 0.4 or start - self.now < timedelta(days=1):
                status = AppointmentStatus.CONFIRMADO
            else:
                status = AppointmentStatus.AGENDADO
        created = min(self.now, start) - timedelta(days=rng.randrange(1, 8), hours=rng.randrange(9))
        tutor = next(t for t in self.tutors if t.id == pet.tutor_id)
        zone = next((z for z in self.zones if tutor.neighborhood in (z.neighborhoods or [])), None)
        leva = segment_id == self.petshop_id and zone is not None and rng.random() < 0.15
        origin = Origin.BOT if rng.random() < 0.4 else Origin.STAFF
        # As booking.book stores a visit: total = services − combo discount; the Leva e Traz fee
        # is kept apart (leva_e_traz_fee_cents), never inside total_cents.
        appointment = Appointment(
            shop_id=self.shop.id,
            segment_id=segment_id,
            tutor_id=tutor.id,
            pet_id=pet.id,
            start=_stamp(_col(Appointment, "start"), start),
            end=_stamp(_col(Appointment, "end"), end),
            status=status,
            origin=origin,
            combo_id=combo.id if combo is not None else None,
            total_cents=sum(price for _it, price, _l in lines) - discount,
            discount_cents=discount,
            leva_e_traz=leva,
            leva_e_traz_fee_cents=zone.fee_cents if leva else 0,
            leva_e_traz_zone_id=zone.id if leva else None,
            notes=rng.choice(["", "", "", "Tutor pediu laço rosa.", "Cuidado com a pata."]),
            created_at=_stamp(_col(Appointment, "created_at"), created),
            updated_at=_stamp(_col(Appointment, "updated_at"), created),
        )
        if status == AppointmentStatus.CANCELADO:
            cancelled = min(self.now, start - timedelta(hours=rng.randrange(2, 48)))
            appointment.cancelled_at = _stamp(_col(Appointment, "cancelled_at"), cancelled)
            appointment.cancel_reason = rng.choice(
                ["Tutor pediu para cancelar.", "Pet ficou doente.", "Imprevisto do tutor."]
            )
        insert_visit(session, appointment, lines, now=created,
                     actor="bot" if origin == Origin.BOT else "staff:demo")
        if status != AppointmentStatus.AGENDADO:
            moment = min(self.now, end if status == AppointmentStatus.ENTREGUE else start)
            session.add(
                StatusChange(
                    appointment_id=appointment.id,
                    from_status=AppointmentStatus.AGENDADO,
                    to_status=status,
                    at=_stamp(_col(StatusChange, "at"), moment),
                    actor="staff:" + str(employee.id),
                )
            )
