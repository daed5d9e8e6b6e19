"""The shop's data (with the breeds it does not accept), its segments and its team (employees,
the service categories each one does, their hours and operator PIN), and removing a resource.

Configuration use cases of the shop that name breeds, species and service categories; they sit
in ``catalog`` because ``catalog`` and ``people`` build on ``shop`` (never the reverse). Each
takes a Session (the caller commits) and raw form values, validates everything first and raises
:class:`~scheduler_core.kernel.errors.ValidationFailed` (``details["fields"]``) writing nothing
when anything is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from zoneinfo import available_timezones

from sqlmodel import Session, col, delete, select

from scheduler_core.catalog.models import (
    ServiceCategory,
    ServiceResource,
)
from scheduler_core.kernel.cpf import InvalidCPF, digits_only, has_foreign_digits, normalize_cpf
from scheduler_core.kernel.dates_ptbr import WEEKDAY_NAMES
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.kernel.forms import (
    Collector,
    flag,
    is_valid_cnpj,
    parse_hhmm,
    parse_ids,
    parse_int,
    parse_ranges,
    parse_species,
    text_of,
)
from scheduler_core.kernel.phones import InvalidPhone, parse_phone
from scheduler_core.people.labels import SPECIES_LABELS
from scheduler_core.people.models import Breed, NotAcceptedBreed, Species
from scheduler_core.shop.models import (
    Employee,
    EmployeeCategory,
    Resource,
    Segment,
    Shop,
    WorkingRange,
)
from scheduler_core.shop.service import MAX_WORKING_RANGES, OPERATOR_PIN_FORMAT, is_operator_pin

SPECIES = frozenset(s.value for s in Species)



def save_shop(session: Session, shop: Shop | None, values: Mapping,
              not_accepted_breed_ids: Iterable[int] = ()) -> Shop:
    errs = Collector()
    name = text_of(values, "name")
    if not name:
        errs.add("name", "O nome da loja é obrigatório.")
    whatsapp = text_of(values, "whatsapp", 40)
    if not whatsapp:
        errs.add("whatsapp", "O WhatsApp de atendimento é obrigatório.")
    else:
        try:
            whatsapp = parse_phone(whatsapp)
        except InvalidPhone as exc:
            errs.add("whatsapp", str(exc))
    cnpj = re.sub(r"\D", "", text_of(values, "cnpj", 30))
    if cnpj and not is_valid_cnpj(cnpj):
        errs.add("cnpj", "CNPJ inválido: confira os números.")
    description = str(values.get("description") or "").strip()
    if len(description) > 500:
        errs.add("description", "A descrição pode ter no máximo 500 caracteres.")
    timezone = text_of(values, "timezone", 60) or "America/Sao_Paulo"
    if timezone not in available_timezones():
        errs.add("timezone", "Fuso horário desconhecido (ex.: America/Sao_Paulo).")
    cep, state = _address(errs, values)
    breed_ids = _known_breeds(session, errs, not_accepted_breed_ids)
    errs.check()
    if shop is None:
        shop = Shop(name=name)
    shop.name, shop.whatsapp, shop.cnpj = name, whatsapp, cnpj
    shop.description, shop.timezone = description, timezone
    shop.cep = f"{cep[:5]}-{cep[5:]}" if cep else ""
    for key in ("street", "number", "complement", "neighborhood", "city"):
        setattr(shop, key, text_of(values, key))
    shop.state = state
    session.add(shop)
    session.flush()
    _sync_not_accepted(session, shop.id, breed_ids)
    return shop


def _address(errs: Collector, values: Mapping) -> tuple[str, str]:
    """(CEP digits, state) of the shop's address, or their errors (ASCII digits only)."""
    raw_cep = text_of(values, "cep", 12)
    cep = digits_only(raw_cep)
    if has_foreign_digits(raw_cep) or (cep and len(cep) != 8):
        errs.add("cep", "CEP inválido: use 8 dígitos, por exemplo 05433-000.")
    state = text_of(values, "state", 5).upper()
    if state and not re.fullmatch(r"[A-Z]{2}", state):
        errs.add("state", "Estado inválido: use a sigla, por exemplo SP.")
    return cep, state


def _known_breeds(session: Session, errs: Collector, ids: Iterable[int]) -> list[int]:
    """The breeds the shop does not accept, each one known."""
    breed_ids = sorted(set(parse_ids(ids)))
    if breed_ids:
        found = set(session.exec(select(Breed.id).where(col(Breed.id).in_(breed_ids))).all())
        if set(breed_ids) - found:
            errs.add("not_accepted", "Raça desconhecida na lista de não aceitas.")
    return breed_ids


def _sync_not_accepted(session: Session, shop_id: int, breed_ids: list[int]) -> None:
    current = {n.breed_id: n for n in session.exec(
        select(NotAcceptedBreed).where(NotAcceptedBreed.shop_id == shop_id)).all()}
    for breed_id, row in current.items():
        if breed_id not in breed_ids:
            session.delete(row)
    for breed_id in breed_ids:
        if breed_id not in current:
            session.add(NotAcceptedBreed(shop_id=shop_id, breed_id=breed_id))
    session.flush()


def _species_capacity(errs: Collector, values: Mapping, species: Iterable[str]
                      ) -> dict[str, int]:
    """The optional places per day of each species the segment serves ("capacity_cao": "6");
    an empty box means only the segment's own capacity counts (scheduling/occupancy.py)."""
    caps: dict[str, int] = {}
    for kind in species:
        cap = errs.run(f"capacity_{kind}", parse_int, values.get(f"capacity_{kind}"),
                       label=f"Vagas por dia ({SPECIES_LABELS.get(kind, kind)})", minimum=1,
                       maximum=500, required=False)
        if cap:
            caps[kind] = cap
    return caps


def save_segment(session: Session, shop: Shop, segment: Segment | None, values: Mapping,
                 species: Iterable[str]) -> Segment:
    from scheduler_core.shop.models import SegmentKind

    errs = Collector()
    name = text_of(values, "name")
    if not name:
        errs.add("name", "Dê um nome ao segmento (ex.: Banho e Tosa).")
    kind = text_of(values, "kind")
    if kind not in {k.value for k in SegmentKind}:
        errs.add("kind", "Escolha o tipo do segmento.")
    chosen_species = parse_species(errs, species, SPECIES)
    capacity = errs.run("daily_capacity", parse_int, values.get("daily_capacity"),
                        label="Capacidade por dia", minimum=1, maximum=500, required=False)
    per_species = _species_capacity(errs, values, chosen_species or [])
    check_in = errs.run("check_in_time", parse_hhmm, values.get("check_in_time") or "14:00",
                        label="Entrada (check-in)")
    check_out = errs.run("check_out_time", parse_hhmm, values.get("check_out_time") or "12:00",
                         label="Saída (check-out)")
    errs.check()
    segment = segment or Segment(shop_id=shop.id, name=name)
    segment.name, segment.kind, segment.species = name, kind, chosen_species
    segment.active = flag(values, "active")
    segment.daily_capacity = capacity
    segment.species_capacity = per_species
    segment.check_in_time, segment.check_out_time = check_in, check_out
    session.add(segment)
    session.flush()
    return segment


def save_employee(session: Session, shop_id: int, employee: Employee | None, values: Mapping, *,
                  category_ids: Iterable[object], species: Iterable[str],
                  days: Mapping[int, list[tuple[str, str]]],
                  hash_pin: Callable[[str], str]) -> Employee:
    """Create or update an employee with their categories and working hours; a typed
    ``employee_pin`` is stored through ``hash_pin`` (the panel's argon2)."""
    errs = Collector()
    name = text_of(values, "name")
    if not name:
        errs.add("name", "O nome é obrigatório.")
    cpf = text_of(values, "cpf", 20)
    if cpf:
        try:
            cpf = normalize_cpf(cpf)
        except InvalidCPF as exc:
            errs.add("cpf", str(exc))
    email, phone = _contacts(errs, values)
    chosen_species = parse_species(errs, species, SPECIES)
    cat_ids = _shop_categories(session, errs, shop_id, category_ids)
    has_calendar = flag(values, "has_calendar")
    if has_calendar and not cat_ids:
        errs.add("categories", "Escolha as categorias que este profissional atende.")
    pin = text_of(values, "employee_pin", 10)
    if pin and not is_operator_pin(pin):
        errs.add("employee_pin", OPERATOR_PIN_FORMAT)
    ranges = _week(errs, days)
    if has_calendar and not any(ranges.values()) and not errs.errors:
        errs.add("day_0", "Informe pelo menos um dia e horário de trabalho.")
    sensitive = _sensitive_choice(errs, values)
    errs.check()
    if employee is None:
        employee = Employee(shop_id=shop_id, name=name)
    employee.name, employee.cpf, employee.email, employee.phone = name, cpf, email.lower(), phone
    employee.species = chosen_species
    employee.has_calendar = has_calendar
    employee.active = flag(values, "active")
    for key in ("can_cancel", "can_edit_invoices", "can_edit_blocks", "can_revert_status"):
        setattr(employee, key, flag(values, key))
    employee.can_see_sensitive, employee.deny_sensitive = sensitive

    if pin:
        employee.operator_pin_hash = hash_pin(pin)
    session.add(employee)
    session.flush()
    _replace_categories_and_week(session, employee.id, cat_ids, ranges)
    return employee


#: An employee's own say on sensitive tutor data → (granted, refused).
SENSITIVE_CHOICES: dict[str, tuple[bool, bool]] = {
    "perfil": (False, False), "sim": (True, False), "nao": (False, True)}


def sensitive_choice_of(employee: Employee | None) -> str:
    """The employee form's choice for sensitive data: "perfil", "sim" or "nao"."""
    if employee is None:
        return "perfil"
    return "nao" if employee.deny_sensitive else ("sim" if employee.can_see_sensitive
                                                  else "perfil")


def _sensitive_choice(errs: Collector, values: Mapping) -> tuple[bool, bool]:
    """``values["sensitive"]`` ("perfil" follows the role, "sim" grants, "nao" refuses); a
    form without it keeps the older ``can_see_sensitive`` check box (grant or follow)."""
    choice = text_of(values, "sensitive")
    if not choice:
        return (flag(values, "can_see_sensitive"), False)
    if choice not in SENSITIVE_CHOICES:
        errs.add("sensitive", "Escolha se o funcionário vê os dados sensíveis.")
        return (False, False)
    return SENSITIVE_CHOICES[choice]


def save_status_back_roles(session: Session, shop: Shop, roles: Iterable[str], *,
                           allowed: Iterable[str]) -> Shop:
    """Which roles may move a visit's status backwards (of ``allowed``; the owner always
    may, and each employee can be granted it on top)."""
    allowed_list = list(allowed)
    chosen = set(roles)
    if chosen - set(allowed_list):
        raise ValidationFailed("Perfil desconhecido.", details={"field": "status_back_roles"})
    shop.status_back_roles = [r for r in allowed_list if r in chosen]
    session.add(shop)
    session.flush()
    return shop


def save_sensitive_settings(session: Session, shop: Shop, roles: Iterable[str], *,
                            allowed: Iterable[str], pin_to_open_tutor: bool) -> Shop:
    """Which roles see tutors' sensitive data by default (of ``allowed``; the owner always
    does) and whether opening a tutor's page asks for the operator PIN."""
    allowed_set = set(allowed)
    unknown = [r for r in roles if r not in allowed_set]
    if unknown:
        raise ValidationFailed("Perfil desconhecido.", details={"field": "sensitive_roles"})
    shop.sensitive_roles = [r for r in allowed if r in set(roles)]
    shop.pin_to_open_tutor = pin_to_open_tutor
    session.add(shop)
    session.flush()
    return shop


def _contacts(errs: Collector, values: Mapping) -> tuple[str, str]:
    """(e-mail, phone in E.164) of an employee, or their errors."""
    email = text_of(values, "email")
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        errs.add("email", "E-mail inválido.")
    phone = text_of(values, "phone", 40)
    if phone:
        try:
            phone = parse_phone(phone)
        except InvalidPhone as exc:
            errs.add("phone", str(exc))
    return email, phone


def _shop_categories(session: Session, errs: Collector, shop_id: int,
                     category_ids: Iterable[object]) -> list[int]:
    """The chosen service categories, each one of this shop."""
    cat_ids = sorted(set(parse_ids(category_ids)))
    valid_cats = set(session.exec(
        select(ServiceCategory.id).join(Segment, Segment.id == ServiceCategory.segment_id)
        .where(Segment.shop_id == shop_id)).all())
    if set(cat_ids) - valid_cats:
        errs.add("categories", "Categoria de serviço desconhecida.")
    return cat_ids


def _week(errs: Collector, days: Mapping[int, list[tuple[str, str]]]
          ) -> dict[int, list[tuple[str, str]]]:
    """Weekday → working ranges typed (at most MAX_WORKING_RANGES a day)."""
    ranges: dict[int, list[tuple[str, str]]] = {}
    for weekday in range(7):
        got = errs.run(f"day_{weekday}", parse_ranges, days.get(weekday, []),
                       max_ranges=MAX_WORKING_RANGES, what=WEEKDAY_NAMES[weekday])
        ranges[weekday] = got or []
    return ranges


def _replace_categories_and_week(session: Session, employee_id: int, cat_ids: list[int],
                                 ranges: dict[int, list[tuple[str, str]]]) -> None:
    employee = session.get(Employee, employee_id)
    session.exec(delete(EmployeeCategory).where(EmployeeCategory.employee_id == employee.id))
    for cat_id in cat_ids:
        session.add(EmployeeCategory(employee_id=employee.id, category_id=cat_id))
    session.exec(delete(WorkingRange).where(WorkingRange.employee_id == employee.id))
    for weekday, rows in ranges.items():
        for start, end in rows:
            session.add(WorkingRange(employee_id=employee.id, weekday=weekday, start=start,
                                     end=end))
    session.flush()


def delete_resource(session: Session, resource: Resource) -> None:
    session.exec(delete(ServiceResource).where(ServiceResource.resource_id == resource.id))
    session.delete(resource)
    session.flush()
