"""Shop configuration written by the panel: small functions, one per form, that validate
everything first and write only when all of it is valid.

Each function takes a Session (the caller commits) and raw form values; it raises
:class:`Invalid` with ``{field: pt-BR message}`` and writes nothing when anything is wrong.
Scheduling rules are not decided here: the core reads these tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from zoneinfo import available_timezones

from sqlmodel import Session, col, delete, select

from admin.forms import (
    FieldError,
    is_valid_cnpj,
    parse_hhmm,
    parse_int,
    parse_list,
    parse_money,
    parse_ranges,
)
from admin.panel.accounts import check_pin_format, hash_secret
from admin.panel.timeutil import for_column
from scheduler_core.agenda.models import Block, Restriction, RestrictionScope
from scheduler_core.catalog.models import (
    CategoryKind,
    Combo,
    ComboItem,
    LevaETrazZone,
    PriceEntry,
    Service,
    ServiceCategory,
    ServiceResource,
)
from scheduler_core.chatbot.models import BotMode, BotSettings, PriceDisplay, SlotDisplay
from scheduler_core.chatbot.triggers import MATCH_KINDS, MAX_TRIGGERS
from scheduler_core.kernel.clock import utc_now
from scheduler_core.kernel.cpf import InvalidCPF, normalize_cpf
from scheduler_core.kernel.dates_ptbr import WEEKDAY_NAMES
from scheduler_core.kernel.phones import InvalidPhone, parse_phone
from scheduler_core.people.models import Breed, NotAcceptedBreed, Pelagem, Porte, Species
from scheduler_core.shop.models import (
    Employee,
    EmployeeCategory,
    OpeningRange,
    Resource,
    Segment,
    Shop,
    WorkingRange,
)

MAX_OPENING_RANGES = 4  # 3 breaks a day (spec/scheduling.md §2.2)
MAX_WORKING_RANGES = 4
MAX_ACTIVE_MENU = 10
MENU_LABELS = {
    "agendar_banho_tosa": "Agendar banho e tosa",
    "agendar_clinica": "Agendar clínica",
    "agendar_creche": "Agendar creche/hotel",
    "meus_agendamentos": "Meus agendamentos",
    "repetir_ultimo": "Repetir último serviço",
    "falar_atendente": "Falar com atendente",
}


class Invalid(ValueError):
    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(self.errors.values()))


class _Collector:
    """Collects field errors; ``check()`` raises them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def run(self, field: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except FieldError as exc:
            self.errors.setdefault(field, str(exc))
            return None

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def check(self) -> None:
        if self.errors:
            raise Invalid(self.errors)


def _text(values: Mapping, key: str, max_len: int = 200) -> str:
    return str(values.get(key) or "").strip()[:max_len]


def _flag(values: Mapping, key: str) -> bool:
    return str(values.get(key) or "").lower() in {"1", "on", "true", "sim"}


def _species(errs: _Collector, chosen: Iterable[str], field: str = "species") -> list[str]:
    allowed = {s.value for s in Species}
    picked = [s for s in chosen if s in allowed]
    if not picked:
        errs.add(field, "Escolha pelo menos uma espécie.")
    return list(dict.fromkeys(picked))


# --------------------------------------------------------------------------- shop


def save_shop(session: Session, shop: Shop | None, values: Mapping,
              not_accepted_breed_ids: Iterable[int] = ()) -> Shop:
    errs = _Collector()
    name = _text(values, "name")
    if not name:
        errs.add("name", "O nome da loja é obrigatório.")
    whatsapp = _text(values, "whatsapp", 40)
    if not whatsapp:
        errs.add("whatsapp", "O WhatsApp de atendimento é obrigatório.")
    else:
        try:
            whatsapp = parse_phone(whatsapp)
        except InvalidPhone as exc:
            errs.add("whatsapp", str(exc))
    cnpj = re.sub(r"\D", "", _text(values, "cnpj", 30))
    if cnpj and not is_valid_cnpj(cnpj):
        errs.add("cnpj", "CNPJ inválido: confira os números.")
    description = str(values.get("description") or "").strip()
    if len(description) > 500:
        errs.add("description", "A descrição pode ter no máximo 500 caracteres.")
    timezone = _text(values, "timezone", 60) or "America/Sao_Paulo"
    if timezone not in available_timezones():
        errs.add("timezone", "Fuso horário desconhecido (ex.: America/Sao_Paulo).")
    cep = re.sub(r"\D", "", _text(values, "cep", 12))
    if cep and len(cep) != 8:
        errs.add("cep", "CEP inválido: use 8 dígitos, por exemplo 05433-000.")
    state = _text(values, "state", 5).upper()
    if state and not re.fullmatch(r"[A-Z]{2}", state):
        errs.add("state", "Estado inválido: use a sigla, por exemplo SP.")
    breed_ids = sorted({int(b) for b in not_accepted_breed_ids})
    if breed_ids:
        found = set(session.exec(select(Breed.id).where(col(Breed.id).in_(breed_ids))).all())
        if set(breed_ids) - found:
            errs.add("not_accepted", "Raça desconhecida na lista de não aceitas.")
    errs.check()
    if shop is None:
        shop = Shop(name=name)
    shop.name, shop.whatsapp, shop.cnpj = name, whatsapp, cnpj
    shop.description, shop.timezone = description, timezone
    shop.cep = f"{cep[:5]}-{cep[5:]}" if cep else ""
    for key in ("street", "number", "complement", "neighborhood", "city"):
        setattr(shop, key, _text(values, key))
    shop.state = state
    session.add(shop)
    session.flush()
    current = {n.breed_id: n for n in session.exec(
        select(NotAcceptedBreed).where(NotAcceptedBreed.shop_id == shop.id)).all()}
    for breed_id, row in current.items():
        if breed_id not in breed_ids:
            session.delete(row)
    for breed_id in breed_ids:
        if breed_id not in current:
            session.add(NotAcceptedBreed(shop_id=shop.id, breed_id=breed_id))
    session.flush()
    return shop


# --------------------------------------------------------------------------- segments


def save_segment(session: Session, shop: Shop, segment: Segment | None, values: Mapping,
                 species: Iterable[str]) -> Segment:
    from scheduler_core.shop.models import SegmentKind

    errs = _Collector()
    name = _text(values, "name")
    if not name:
        errs.add("name", "Dê um nome ao segmento (ex.: Banho e Tosa).")
    kind = _text(values, "kind")
    if kind not in {k.value for k in SegmentKind}:
        errs.add("kind", "Escolha o tipo do segmento.")
    chosen_species = _species(errs, species)
    capacity = errs.run("daily_capacity", parse_int, values.get("daily_capacity"),
                        label="Capacidade por dia", minimum=1, maximum=500, required=False)
    errs.check()
    segment = segment or Segment(shop_id=shop.id, name=name)
    segment.name, segment.kind, segment.species = name, kind, chosen_species
    segment.active = _flag(values, "active")
    segment.daily_capacity = capacity
    session.add(segment)
    session.flush()
    return segment


# --------------------------------------------------------------------------- opening hours


def save_opening_hours(session: Session, segment: Segment, *, open_24h: bool, slot_step_min: str,
                       days: Mapping[int, tuple[bool, list[tuple[str, str]]]]) -> None:
    """``days``: weekday → (open?, [(start, end), ...]). A closed day loses its ranges."""
    errs = _Collector()
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


# --------------------------------------------------------------------------- employees


def save_employee(session: Session, shop_id: int, employee: Employee | None, values: Mapping, *,
                  category_ids: Iterable[int], species: Iterable[str],
                  days: Mapping[int, list[tuple[str, str]]]) -> Employee:
    errs = _Collector()
    name = _text(values, "name")
    if not name:
        errs.add("name", "O nome é obrigatório.")
    cpf = _text(values, "cpf", 20)
    if cpf:
        try:
            cpf = normalize_cpf(cpf)
        except InvalidCPF as exc:
            errs.add("cpf", str(exc))
    email = _text(values, "email")
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        errs.add("email", "E-mail inválido.")
    phone = _text(values, "phone", 40)
    if phone:
        try:
            phone = parse_phone(phone)
        except InvalidPhone as exc:
            errs.add("phone", str(exc))
    chosen_species = _species(errs, species)
    cat_ids = sorted({int(c) for c in category_ids})
    valid_cats = set(session.exec(
        select(ServiceCategory.id).join(Segment, Segment.id == ServiceCategory.segment_id)
        .where(Segment.shop_id == shop_id)).all())
    if set(cat_ids) - valid_cats:
        errs.add("categories", "Categoria de serviço desconhecida.")
    has_calendar = _flag(values, "has_calendar")
    if has_calendar and not cat_ids:
        errs.add("categories", "Escolha as categorias que este profissional atende.")
    pin = _text(values, "employee_pin", 10)
    if pin:
        errs.run("employee_pin", check_pin_format, pin)
    ranges: dict[int, list[tuple[str, str]]] = {}
    for weekday in range(7):
        got = errs.run(f"day_{weekday}", parse_ranges, days.get(weekday, []),
                       max_ranges=MAX_WORKING_RANGES, what=WEEKDAY_NAMES[weekday])
        ranges[weekday] = got or []
    if has_calendar and not any(ranges.values()) and not errs.errors:
        errs.add("day_0", "Informe pelo menos um dia e horário de trabalho.")
    errs.check()
    if employee is None:
        employee = Employee(shop_id=shop_id, name=name)
    employee.name, employee.cpf, employee.email, employee.phone = name, cpf, email.lower(), phone
    employee.species = chosen_species
    employee.has_calendar = has_calendar
    employee.active = _flag(values, "active")
    for flag in ("can_cancel", "can_edit_invoices", "can_edit_blocks", "can_see_sensitive"):
        setattr(employee, flag, _flag(values, flag))
    if pin:
        employee.operator_pin_hash = hash_secret(pin)
    session.add(employee)
    session.flush()
    session.exec(delete(EmployeeCategory).where(EmployeeCategory.employee_id == employee.id))
    for cat_id in cat_ids:
        session.add(EmployeeCategory(employee_id=employee.id, category_id=cat_id))
    session.exec(delete(WorkingRange).where(WorkingRange.employee_id == employee.id))
    for weekday, rows in ranges.items():
        for start, end in rows:
            session.add(WorkingRange(employee_id=employee.id, weekday=weekday, start=start,
                                     end=end))
    session.flush()
    return employee


# --------------------------------------------------------------------------- resources, categories


def save_resource(session: Session, segment: Segment, resource: Resource | None,
                  values: Mapping) -> Resource:
    errs = _Collector()
    name = _text(values, "name")
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


def delete_resource(session: Session, resource: Resource) -> None:
    session.exec(delete(ServiceResource).where(ServiceResource.resource_id == resource.id))
    session.delete(resource)
    session.flush()


def save_category(session: Session, segment: Segment, category: ServiceCategory | None,
                  values: Mapping) -> ServiceCategory:
    errs = _Collector()
    name = _text(values, "name")
    if not name:
        errs.add("name", "O nome da categoria é obrigatório.")
    kind = _text(values, "kind")
    if kind not in {k.value for k in CategoryKind}:
        errs.add("kind", "Escolha o tipo da categoria.")
    order = errs.run("display_order", parse_int, values.get("display_order") or "0",
                     label="Ordem", minimum=0, maximum=999)
    errs.check()
    category = category or ServiceCategory(segment_id=segment.id, name=name)
    category.name, category.kind, category.display_order = name, kind, order
    session.add(category)
    session.flush()
    return category


# --------------------------------------------------------------------------- services


@dataclass
class PriceCellInput:
    price: str
    duration: str


def save_service(session: Session, shop: Shop, service: Service | None, values: Mapping, *,
                 species: Iterable[str],
                 grid: Mapping[tuple[str, str], PriceCellInput] | None = None,
                 breed_rows: list[tuple[str, str, str]] | None = None,
                 resources: Mapping[int, str] | None = None) -> Service:
    """``grid``: (porte, pelagem) → typed price and duration (blank cell = not offered).
    ``breed_rows`` (billing by breed): [(breed_id, price, duration)]. ``resources``:
    resource id → units typed (blank or 0 = not used)."""
    errs = _Collector()
    name = _text(values, "name")
    if not name:
        errs.add("name", "O nome do serviço é obrigatório.")
    category = session.get(ServiceCategory, int(values.get("category_id") or 0))
    segment = session.get(Segment, category.segment_id) if category else None
    if category is None or segment is None or segment.shop_id != shop.id:
        errs.add("category_id", "Escolha a categoria do serviço.")
    chosen_species = _species(errs, species)
    commission = errs.run("commission_pct", parse_int, values.get("commission_pct") or "0",
                          label="Comissão (%)", minimum=0, maximum=100)
    order = errs.run("display_order", parse_int, values.get("display_order") or "0",
                     label="Ordem", minimum=0, maximum=999)
    cells: list[PriceEntry] = []
    for (porte, pelagem), cell in (grid or {}).items():
        if porte not in {p.value for p in Porte} or pelagem not in {p.value for p in Pelagem}:
            continue
        key = f"cell_{porte}_{pelagem}"
        if not (cell.price or "").strip() and not (cell.duration or "").strip():
            continue
        price = errs.run(key, parse_money, cell.price, label="O preço")
        duration = errs.run(key, parse_int, cell.duration, label="Duração (min)", minimum=5,
                            maximum=24 * 60)
        if price is not None and duration is not None:
            cells.append(PriceEntry(porte=porte, pelagem=pelagem, price_cents=price,
                                    duration_min=duration, service_id=0))
    for index, (breed_id, price_text, duration_text) in enumerate(breed_rows or []):
        if not str(breed_id).strip():
            continue
        key = f"breed_{index}"
        breed = session.get(Breed, int(breed_id)) if str(breed_id).isdigit() else None
        if breed is None:
            errs.add(key, "Raça desconhecida.")
            continue
        price = errs.run(key, parse_money, price_text, label="O preço")
        duration = errs.run(key, parse_int, duration_text, label="Duração (min)", minimum=5,
                            maximum=24 * 60)
        if any(c.breed_id == breed.id for c in cells):
            errs.add(key, f"A raça {breed.name} aparece duas vezes na tabela.")
        elif price is not None and duration is not None:
            cells.append(PriceEntry(breed_id=breed.id, price_cents=price, duration_min=duration,
                                    service_id=0))
    if not cells and not errs.errors:
        errs.add("grid", "Preencha pelo menos uma célula da tabela de preço e duração.")
    units: dict[int, int] = {}
    valid_resources = {r.id for r in session.exec(select(Resource).where(
        Resource.segment_id == (segment.id if segment else -1))).all()}
    for resource_id, text in (resources or {}).items():
        if not str(text).strip():
            continue
        n = errs.run(f"res_{resource_id}", parse_int, text, label="Unidades", minimum=0,
                     maximum=10)
        if n and resource_id in valid_resources:
            units[resource_id] = n
        elif n and resource_id not in valid_resources:
            errs.add(f"res_{resource_id}", "Recurso de outro segmento.")
    errs.check()
    service = service or Service(category_id=category.id, name=name)
    service.name, service.category_id = name, category.id
    service.species = chosen_species
    service.show_on_bot = _flag(values, "show_on_bot")
    service.active = _flag(values, "active")
    service.is_addon = _flag(values, "is_addon")
    service.description = str(values.get("description") or "").strip()[:1000]
    service.guidance = str(values.get("guidance") or "").strip()[:1000]
    service.commission_pct, service.display_order = commission, order
    session.add(service)
    session.flush()
    session.exec(delete(PriceEntry).where(PriceEntry.service_id == service.id))
    for cell in cells:
        cell.service_id = service.id
        session.add(cell)
    session.exec(delete(ServiceResource).where(ServiceResource.service_id == service.id))
    for resource_id, n in units.items():
        session.add(ServiceResource(service_id=service.id, resource_id=resource_id, units=n))
    session.flush()
    return service


# --------------------------------------------------------------------------- combos


def save_combo(session: Session, shop: Shop, combo: Combo | None, values: Mapping, *,
               service_ids: Iterable[int], species: Iterable[str]) -> Combo:
    errs = _Collector()
    name = _text(values, "name")
    if not name:
        errs.add("name", "O nome do combo é obrigatório.")
    segment = session.get(Segment, int(values.get("segment_id") or 0))
    if segment is None or segment.shop_id != shop.id:
        errs.add("segment_id", "Escolha o segmento.")
    ids = sorted({int(s) for s in service_ids})
    services = session.exec(
        select(Service, ServiceCategory).join(ServiceCategory,
                                              ServiceCategory.id == Service.category_id)
        .where(col(Service.id).in_(ids))).all() if ids else []
    if len(ids) < 2:
        errs.add("services", "Um combo precisa de pelo menos 2 serviços.")
    elif segment is not None and any(cat.segment_id != segment.id for _s, cat in services):
        errs.add("services", "Todos os serviços do combo devem ser do mesmo segmento.")
    kind = _text(values, "discount_kind")
    if kind not in ("percentual", "valor"):
        errs.add("discount_kind", "Escolha o tipo de desconto.")
    if kind == "percentual":
        value = errs.run("discount_value", parse_int, values.get("discount_value") or "0",
                         label="Desconto (%)", minimum=0, maximum=100)
    else:
        value = errs.run("discount_value", parse_money, values.get("discount_value") or "0",
                         label="O desconto")
    chosen_species = _species(errs, species)
    errs.check()
    combo = combo or Combo(segment_id=segment.id, name=name)
    combo.name, combo.segment_id = name, segment.id
    combo.discount_kind, combo.discount_value = kind, value
    combo.species = chosen_species
    combo.show_on_bot = _flag(values, "show_on_bot")
    combo.active = _flag(values, "active")
    combo.description = str(values.get("description") or "").strip()[:1000]
    session.add(combo)
    session.flush()
    session.exec(delete(ComboItem).where(ComboItem.combo_id == combo.id))
    for sid in ids:
        session.add(ComboItem(combo_id=combo.id, service_id=sid))
    session.flush()
    return combo


# --------------------------------------------------------------------------- Leva e Traz


def save_leva_e_traz(session: Session, shop: Shop, values: Mapping) -> None:
    errs = _Collector()
    fee = errs.run("flat_fee", parse_money, values.get("flat_fee") or "0", label="A taxa fixa")
    notice = errs.run("min_notice", parse_int, values.get("min_notice"),
                      label="Antecedência mínima (h)", minimum=0, maximum=720)
    window = errs.run("pickup_window", parse_int, values.get("pickup_window"),
                      label="Janela de busca (min)", minimum=0, maximum=600)
    errs.check()
    shop.leva_e_traz_enabled = _flag(values, "enabled")
    shop.leva_e_traz_flat_fee_cents = fee
    shop.leva_e_traz_min_notice_hours = notice
    shop.leva_e_traz_pickup_window_min = window
    shop.leva_e_traz_notice = str(values.get("notice") or "").strip()[:500]
    session.add(shop)
    session.flush()


def save_zone(session: Session, shop: Shop, zone: LevaETrazZone | None,
              values: Mapping) -> LevaETrazZone:
    errs = _Collector()
    name = _text(values, "name")
    if not name:
        errs.add("name", "Dê um nome à zona.")
    neighborhoods = parse_list(values.get("neighborhoods"))
    prefixes = [re.sub(r"\D", "", p) for p in parse_list(values.get("cep_prefixes"))]
    if any(not p or len(p) > 8 for p in prefixes):
        errs.add("cep_prefixes", "Prefixos de CEP: use de 1 a 8 dígitos, separados por vírgula.")
    if not neighborhoods and not prefixes:
        errs.add("neighborhoods", "Informe bairros ou prefixos de CEP atendidos.")
    fee = errs.run("fee", parse_money, values.get("fee"), label="A taxa")
    errs.check()
    zone = zone or LevaETrazZone(shop_id=shop.id, name=name)
    zone.name, zone.neighborhoods, zone.cep_prefixes, zone.fee_cents = (
        name, neighborhoods, prefixes, fee)
    session.add(zone)
    session.flush()
    return zone


# --------------------------------------------------------------------------- restrictions


def save_restriction(session: Session, shop: Shop, restriction: Restriction | None,
                     values: Mapping, lists: Mapping[str, list[str]]) -> Restriction:
    """``lists`` holds the multi-selects: service_ids, segment_ids, weekdays, species, portes,
    pelagens, breed_ids, sexes."""
    errs = _Collector()
    name = _text(values, "name")
    if not name:
        errs.add("name", "Dê um nome à restrição.")
    scope = _text(values, "scope")
    if scope not in {s.value for s in RestrictionScope}:
        errs.add("scope", "Escolha onde a restrição vale.")
    conditions: dict = {}
    int_keys = ("service_ids", "segment_ids", "weekdays", "breed_ids")
    for key in int_keys:
        picked = [int(v) for v in lists.get(key, []) if str(v).isdigit()]
        if picked:
            conditions[key] = sorted(set(picked))
    if any(w > 6 for w in conditions.get("weekdays", [])):
        errs.add("weekdays", "Dia da semana inválido.")
    allowed = {"species": {s.value for s in Species}, "portes": {p.value for p in Porte},
               "pelagens": {p.value for p in Pelagem}, "sexes": {"macho", "femea"}}
    for key, ok in allowed.items():
        picked = [v for v in lists.get(key, []) if v in ok]
        if picked:
            conditions[key] = sorted(set(picked))
    age_min = errs.run("age_min_months", parse_int, values.get("age_min_months"),
                       label="Idade mínima (meses)", minimum=0, maximum=400, required=False)
    age_max = errs.run("age_max_months", parse_int, values.get("age_max_months"),
                       label="Idade máxima (meses)", minimum=0, maximum=400, required=False)
    if age_min is not None:
        conditions["age_min_months"] = age_min
    if age_max is not None:
        conditions["age_max_months"] = age_max
    if age_min is not None and age_max is not None and age_max < age_min:
        errs.add("age_max_months", "A idade máxima deve ser maior que a mínima.")
    if not conditions:
        errs.add("conditions", "Escolha pelo menos uma condição.")
    description = str(values.get("description") or "").strip()
    if not description:
        errs.add("description", "Escreva a explicação que o tutor vai ler.")
    errs.check()
    restriction = restriction or Restriction(shop_id=shop.id, name=name)
    restriction.name, restriction.scope = name, scope
    restriction.description = description[:500]
    restriction.active = _flag(values, "active")
    restriction.conditions = conditions
    session.add(restriction)
    session.flush()
    return restriction


# --------------------------------------------------------------------------- blocks


def create_block(session: Session, shop: Shop, values: Mapping, dates: Iterable[str]) -> Block:
    errs = _Collector()
    days: list[date] = []
    for text in dates:
        text = str(text).strip()
        if not text:
            continue
        try:
            days.append(date.fromisoformat(text))
        except ValueError:
            errs.add("dates", f"Data inválida: {text}.")
    if not days and "dates" not in errs.errors:
        errs.add("dates", "Escolha pelo menos uma data.")
    employee_id = int(values.get("employee_id") or 0) or None
    if employee_id is not None:
        emp = session.get(Employee, employee_id)
        if emp is None or emp.shop_id != shop.id:
            errs.add("employee_id", "Profissional desconhecido.")
    all_day = _flag(values, "all_day")
    start = end = None
    if not all_day:
        start = errs.run("start", parse_hhmm, values.get("start"), label="Início")
        end = errs.run("end", parse_hhmm, values.get("end"), label="Fim")
        if start and end and start >= end:
            errs.add("end", "O fim do bloqueio deve ser depois do início.")
    errs.check()
    block = Block(shop_id=shop.id, employee_id=employee_id,
                  dates=sorted({d.isoformat() for d in days}), all_day=all_day, start=start,
                  end=end, reason=_text(values, "reason", 300))
    block.created_at = for_column(Block.__table__.c.created_at, utc_now())
    session.add(block)
    session.flush()
    return block


# --------------------------------------------------------------------------- bot settings


def save_bot_settings(session: Session, shop: Shop, values: Mapping,
                      menu_order: list[str], menu_enabled: Iterable[str],
                      triggers: Iterable[tuple[str, str, str]] = ()) -> BotSettings:
    """Save the bot settings form; ``triggers`` are the (text, match, action) rows of the
    keyword-trigger table (blank rows are dropped)."""
    errs = _Collector()
    settings = session.get(BotSettings, shop.id) or BotSettings(shop_id=shop.id)
    mode = _text(values, "mode")
    if mode not in {m.value for m in BotMode}:
        errs.add("mode", "Escolha o modo do robô.")
    texts = {}
    for key in ("greeting_new", "greeting_known", "auto_reply_text", "msg_in_hours",
                "msg_out_hours"):
        text = str(values.get(key) or "").strip()
        if not text:
            errs.add(key, "Este texto não pode ficar vazio.")
        elif len(text) > 1000:
            errs.add(key, "No máximo 1000 caracteres.")
        texts[key] = text
    numbers = {
        "min_notice_hours": ("Antecedência mínima (h)", 0, 720),
        "cancel_min_notice_hours": ("Antecedência para cancelar (h)", 0, 720),
        "reschedule_min_notice_hours": ("Antecedência para remarcar (h)", 0, 720),
        "horizon_days": ("Dias à frente", 1, 90),
        "page_days": ("Dias por página", 1, 7),
        "handoff_timeout_min": ("Devolver ao robô após (min)", 5, 1440),
    }
    parsed = {k: errs.run(k, parse_int, values.get(k), label=label, minimum=lo, maximum=hi)
              for k, (label, lo, hi) in numbers.items()}
    slot_display = _text(values, "slot_display")
    if slot_display not in {s.value for s in SlotDisplay}:
        errs.add("slot_display", "Escolha como mostrar os horários.")
    price_display = _text(values, "price_display")
    if price_display not in {p.value for p in PriceDisplay}:
        errs.add("price_display", "Escolha como mostrar os preços.")
    known = [item["key"] for item in settings.menu] or list(MENU_LABELS)
    order = [k for k in menu_order if k in known]
    order += [k for k in known if k not in order]
    enabled = set(menu_enabled) & set(order)
    if not enabled:
        errs.add("menu", "Deixe pelo menos uma opção do menu ligada.")
    if len(enabled) > MAX_ACTIVE_MENU:
        errs.add("menu", f"No máximo {MAX_ACTIVE_MENU} opções ligadas.")
    rows = _triggers(errs, triggers)
    errs.check()
    settings.triggers = rows
    settings.mode, settings.slot_display, settings.price_display = mode, slot_display, price_display
    for key, text in texts.items():
        setattr(settings, key, text)
    for key, number in parsed.items():
        setattr(settings, key, number)
    for key in ("ask_species", "ask_breed", "ask_porte", "ask_pelagem", "ask_sex",
                "ask_birth_date", "ask_weight", "allow_pet_registration", "addons_enabled",
                "choose_employee", "same_service_other_pet", "cancel_enabled",
                "reschedule_enabled"):
        setattr(settings, key, _flag(values, key))
    settings.menu = [{"key": k, "enabled": k in enabled} for k in order]
    session.add(settings)
    session.flush()
    return settings


def _triggers(errs: _Collector, rows: Iterable[tuple[str, str, str]]) -> list[dict]:
    out = []
    for text, match, action in rows:
        text = (text or "").strip()
        if not text:
            continue
        if len(text) > 60:
            errs.add("triggers", f"Gatilho “{text[:20]}…”: no máximo 60 caracteres.")
        elif match not in MATCH_KINDS:
            errs.add("triggers", f"Gatilho “{text}”: escolha o tipo de comparação.")
        elif action not in MENU_LABELS:
            errs.add("triggers", f"Gatilho “{text}”: escolha a ação do menu.")
        else:
            out.append({"text": text, "match": match, "action": action})
    if len(out) > MAX_TRIGGERS:
        errs.add("triggers", f"No máximo {MAX_TRIGGERS} gatilhos.")
    return out
