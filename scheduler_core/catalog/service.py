"""The catalogue's configuration use cases: service categories, services with their price ×
duration grid and resources, combos, Leva e Traz settings and zones, restrictions.

Each function takes a Session (the caller commits) and the raw form values; it validates
everything first and raises :class:`~scheduler_core.kernel.errors.ValidationFailed`
(``details["fields"]``: ``{field: pt-BR message}``) writing nothing when anything is wrong.

Names are one per shop for services and combos (a tutor picks either by name in the bot, in
any segment) and one per segment for categories (the bot lists them segment by segment), once
case, accents and spacing are ignored (:func:`same_name`); a clash is refused with the
existing one's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from sqlmodel import Session, col, delete, select

from scheduler_core.agenda.models import Restriction, RestrictionScope
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
from scheduler_core.kernel.forms import (
    Collector,
    flag,
    parse_id,
    parse_ids,
    parse_int,
    parse_list,
    parse_money,
    parse_species,
    text_of,
)
from scheduler_core.kernel.text import normalize
from scheduler_core.people.models import Breed, Pelagem, Porte, Species
from scheduler_core.shop.models import (
    Resource,
    Segment,
    Shop,
)

SPECIES = frozenset(s.value for s in Species)
_Named = TypeVar("_Named", ServiceCategory, Service, Combo)


def save_category(session: Session, segment: Segment, category: ServiceCategory | None,
                  values: Mapping) -> ServiceCategory:
    errs = Collector()
    name = text_of(values, "name")
    if not name:
        errs.add("name", "O nome da categoria é obrigatório.")
    kind = text_of(values, "kind")
    if kind not in {k.value for k in CategoryKind}:
        errs.add("kind", "Escolha o tipo da categoria.")
    order = errs.run("display_order", parse_int, values.get("display_order") or "0",
                     label="Ordem", minimum=0, maximum=999)
    if name and segment is not None:
        rows = session.exec(select(ServiceCategory).where(
            ServiceCategory.segment_id == segment.id)).all()
        clash = _same_named(name, rows, category)
        if clash is not None:
            errs.add("name", f"Já existe uma categoria chamada “{clash.name}” neste segmento: "
                     "escolha outro nome ou edite a categoria existente.")
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


def _grid_cells(errs: Collector, grid: Mapping[tuple[str, str], PriceCellInput] | None
                ) -> list[PriceEntry]:
    """The porte × pelagem cells typed (a blank cell is not offered)."""
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
    return cells


def _breed_cells(session: Session, errs: Collector,
                 breed_rows: list[tuple[str, str, str]] | None,
                 cells: list[PriceEntry]) -> list[PriceEntry]:
    """The rows of a price table by breed; a breed listed twice is an error."""
    out: list[PriceEntry] = []
    for index, (breed_id, price_text, duration_text) in enumerate(breed_rows or []):
        if not str(breed_id).strip():
            continue
        key = f"breed_{index}"
        breed_pk = parse_id(breed_id)
        breed = session.get(Breed, breed_pk) if breed_pk else None
        if breed is None:
            errs.add(key, "Raça desconhecida.")
            continue
        price = errs.run(key, parse_money, price_text, label="O preço")
        duration = errs.run(key, parse_int, duration_text, label="Duração (min)", minimum=5,
                            maximum=24 * 60)
        if any(c.breed_id == breed.id for c in [*cells, *out]):
            errs.add(key, f"A raça {breed.name} aparece duas vezes na tabela.")
        elif price is not None and duration is not None:
            out.append(PriceEntry(breed_id=breed.id, price_cents=price, duration_min=duration,
                                  service_id=0))
    return out


def _resource_units(session: Session, errs: Collector, segment: Segment | None,
                    resources: Mapping[int, str] | None) -> dict[int, int]:
    """Resource id → units the service uses (blank or 0 = not used), of its own segment."""
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
    return units


def save_service(session: Session, shop: Shop, service: Service | None, values: Mapping, *,
                 species: Iterable[str],
                 grid: Mapping[tuple[str, str], PriceCellInput] | None = None,
                 breed_rows: list[tuple[str, str, str]] | None = None,
                 resources: Mapping[int, str] | None = None) -> Service:
    """``grid``: (porte, pelagem) → typed price and duration (blank cell = not offered).
    ``breed_rows`` (billing by breed): [(breed_id, price, duration)]. ``resources``:
    resource id → units typed (blank or 0 = not used)."""
    errs = Collector()
    name = text_of(values, "name")
    if not name:
        errs.add("name", "O nome do serviço é obrigatório.")
    category_id = parse_id(values.get("category_id"))
    category = session.get(ServiceCategory, category_id) if category_id else None
    segment = session.get(Segment, category.segment_id) if category else None
    if category is None or segment is None or segment.shop_id != shop.id:
        errs.add("category_id", "Escolha a categoria do serviço.")
    chosen_species = parse_species(errs, species, SPECIES)
    commission = errs.run("commission_pct", parse_int, values.get("commission_pct") or "0",
                          label="Comissão (%)", minimum=0, maximum=100)
    order = errs.run("display_order", parse_int, values.get("display_order") or "0",
                     label="Ordem", minimum=0, maximum=999)
    cells = _grid_cells(errs, grid)
    cells += _breed_cells(session, errs, breed_rows, cells)
    if not cells and not errs.errors:
        errs.add("grid", "Preencha pelo menos uma célula da tabela de preço e duração.")
    units = _resource_units(session, errs, segment, resources)
    if name and segment is not None:
        clash = _same_named_service(session, shop, name, service)
        if clash is not None:
            errs.add("name", f"Já existe um serviço chamado “{clash.name}”: escolha outro nome "
                     "ou edite o serviço existente.")
    errs.check()
    service = service or Service(category_id=category.id, name=name)
    service.name, service.category_id = name, category.id
    service.species = chosen_species
    service.show_on_bot = flag(values, "show_on_bot")
    service.active = flag(values, "active")
    service.is_addon = flag(values, "is_addon")
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


def same_name(name: str, others: Iterable[str]) -> bool:
    """Whether ``name`` is one of ``others`` once case, accents and spacing are ignored (the
    bot matches names the same way, so "Banho" and "banho " are one name to a tutor)."""
    key = normalize(name)
    return any(normalize(other) == key for other in others)


def _same_named(name: str, rows: Iterable[_Named], editing: _Named | None) -> _Named | None:
    """The row of ``rows`` other than ``editing`` whose name is ``name`` by :func:`same_name`."""
    return next((r for r in rows if same_name(name, [r.name])
                 and (editing is None or r.id != editing.id)), None)


def _same_named_service(session: Session, shop: Shop, name: str,
                        service: Service | None) -> Service | None:
    """Another service of the shop (any segment) with that name, or None."""
    rows = session.exec(select(Service).join(ServiceCategory,
                                             ServiceCategory.id == Service.category_id)
                        .join(Segment, Segment.id == ServiceCategory.segment_id)
                        .where(Segment.shop_id == shop.id)).all()
    return _same_named(name, rows, service)


# --------------------------------------------------------------------------- combos


def save_combo(session: Session, shop: Shop, combo: Combo | None, values: Mapping, *,
               service_ids: Iterable[int], species: Iterable[str]) -> Combo:
    errs = Collector()
    name = text_of(values, "name")
    if not name:
        errs.add("name", "O nome do combo é obrigatório.")
    segment_id = parse_id(values.get("segment_id"))
    segment = session.get(Segment, segment_id) if segment_id else None
    if segment is None or segment.shop_id != shop.id:
        errs.add("segment_id", "Escolha o segmento.")
    ids = sorted(set(parse_ids(service_ids)))
    services = session.exec(
        select(Service, ServiceCategory).join(ServiceCategory,
                                              ServiceCategory.id == Service.category_id)
        .where(col(Service.id).in_(ids))).all() if ids else []
    if len(ids) < 2:
        errs.add("services", "Um combo precisa de pelo menos 2 serviços.")
    elif segment is not None and any(cat.segment_id != segment.id for _s, cat in services):
        errs.add("services", "Todos os serviços do combo devem ser do mesmo segmento.")
    kind = text_of(values, "discount_kind")
    if kind not in ("percentual", "valor"):
        errs.add("discount_kind", "Escolha o tipo de desconto.")
    if kind == "percentual":
        value = errs.run("discount_value", parse_int, values.get("discount_value") or "0",
                         label="Desconto (%)", minimum=0, maximum=100)
    else:
        value = errs.run("discount_value", parse_money, values.get("discount_value") or "0",
                         label="O desconto")
    chosen_species = parse_species(errs, species, SPECIES)
    if name:
        rows = session.exec(select(Combo).join(Segment, Segment.id == Combo.segment_id)
                            .where(Segment.shop_id == shop.id)).all()
        clash = _same_named(name, rows, combo)
        if clash is not None:
            errs.add("name", f"Já existe um combo chamado “{clash.name}”: escolha outro nome "
                     "ou edite o combo existente.")
    errs.check()
    combo = combo or Combo(segment_id=segment.id, name=name)
    combo.name, combo.segment_id = name, segment.id
    combo.discount_kind, combo.discount_value = kind, value
    combo.species = chosen_species
    combo.show_on_bot = flag(values, "show_on_bot")
    combo.active = flag(values, "active")
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
    errs = Collector()
    fee = errs.run("flat_fee", parse_money, values.get("flat_fee") or "0", label="A taxa fixa")
    notice = errs.run("min_notice", parse_int, values.get("min_notice"),
                      label="Antecedência mínima (h)", minimum=0, maximum=720)
    window = errs.run("pickup_window", parse_int, values.get("pickup_window"),
                      label="Janela de busca (min)", minimum=0, maximum=600)
    errs.check()
    shop.leva_e_traz_enabled = flag(values, "enabled")
    shop.leva_e_traz_flat_fee_cents = fee
    shop.leva_e_traz_min_notice_hours = notice
    shop.leva_e_traz_pickup_window_min = window
    shop.leva_e_traz_notice = str(values.get("notice") or "").strip()[:500]
    session.add(shop)
    session.flush()


def save_zone(session: Session, shop: Shop, zone: LevaETrazZone | None,
              values: Mapping) -> LevaETrazZone:
    errs = Collector()
    name = text_of(values, "name")
    if not name:
        errs.add("name", "Dê um nome à zona.")
    neighborhoods = parse_list(values.get("neighborhoods"))
    prefixes = [re.sub(r"\D", "", p) for p in parse_list(values.get("cep_prefixes"))]
    if any(not p or len(p) > 8 for p in prefixes):
        errs.add("cep_prefixes", "Prefixos de CEP: use de 1 a 8 dígitos, separados por vírgula.")
    if not neighborhoods and not prefixes:
        errs.add("neighborhoods", "Informe bairros ou prefixos de CEP atendidos.")
    fee = errs.run("fee", parse_money, values.get("fee"), label="A taxa")
    others = session.exec(select(LevaETrazZone.name).where(
        LevaETrazZone.shop_id == shop.id,
        LevaETrazZone.id != (zone.id if zone and zone.id else -1))).all()
    if name and same_name(name, others):
        errs.add("name", f"Já existe uma zona chamada “{name}”: escolha outro nome ou edite a "
                 "zona existente.")
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
    errs = Collector()
    name = text_of(values, "name")
    if not name:
        errs.add("name", "Dê um nome à restrição.")
    scope = text_of(values, "scope")
    if scope not in {s.value for s in RestrictionScope}:
        errs.add("scope", "Escolha onde a restrição vale.")
    conditions: dict = {}
    int_keys = ("service_ids", "segment_ids", "weekdays", "breed_ids")
    for key in int_keys:
        picked = parse_ids(lists.get(key, []))
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
    restriction.active = flag(values, "active")
    restriction.conditions = conditions
    session.add(restriction)
    session.flush()
    return restriction
