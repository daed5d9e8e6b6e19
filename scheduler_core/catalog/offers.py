"""Long because: the pet's catalogue and the price table without a pet share one loader (_load).

The service catalogue as a tutor or staff member sees it for one pet.

A service's price and duration come from its Price & Duration table (spec scheduling.md §2.4):
in billing mode ``porte_pelagem`` the cell of the pet's porte × pelagem, in mode ``raca`` the cell
of the pet's breed (as the availability engine does). When the pet
lacks the data for its cell, the catalogue shows the lowest price of the table as
"a partir de" (from) and no duration.

Without a pet (a new tutor asking "quanto custa o banho?"), :func:`price_table_by_porte` gives
each service's price range per porte, for the bot to answer at once.

Combos are priced as the sum of their services' prices for the pet minus the discount (R$ or %);
their duration is the sum of the durations. Add-ons are services flagged ``is_addon`` or in an
``adicional`` category. Leva e Traz is not a service here: its fee comes from the zones
(:func:`leva_e_traz_fee`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from scheduler_core.catalog.models import (
    CategoryKind,
    Combo,
    ComboItem,
    LevaETrazZone,
    PriceEntry,
    Service,
    ServiceCategory,
)
from scheduler_core.catalog.prices import PriceCell
from scheduler_core.kernel.channels import Channel
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.kernel.money import format_brl
from scheduler_core.kernel.text import normalize
from scheduler_core.people.labels import PORTE_LABELS
from scheduler_core.people.models import Pet, Porte, Tutor
from scheduler_core.shop.models import BillingMode, Segment, SegmentKind, Shop


def price_label(price_cents: int | None, min_price_cents: int | None) -> str:
    """The exact price for this pet, else "a partir de" the table's lowest, else "sob consulta"."""
    if price_cents is not None:
        return format_brl(price_cents)
    if min_price_cents is not None:
        return "a partir de " + format_brl(min_price_cents)
    return "sob consulta"


@dataclass(frozen=True)
class ServiceOffer:
    id: int
    name: str
    category_id: int
    category: str
    category_kind: str
    segment_id: int
    segment_kind: str
    is_addon: bool
    show_on_bot: bool
    species: tuple[str, ...]
    description: str
    # For the pet: exact price and duration, or None when the pet lacks porte/pelagem/breed.
    price_cents: int | None
    duration_min: int | None
    # Lowest price of the table ("a partir de"), None when the table is empty.
    min_price_cents: int | None
    category_order: int = 0
    display_order: int = 0

    @property
    def price_label(self) -> str:
        return price_label(self.price_cents, self.min_price_cents)


@dataclass(frozen=True)
class ComboOffer:
    id: int
    name: str
    segment_id: int
    description: str
    service_ids: tuple[int, ...]
    discount_kind: str
    discount_value: int
    price_cents: int | None
    full_price_cents: int | None
    discount_cents: int | None
    duration_min: int | None
    min_price_cents: int | None

    @property
    def price_label(self) -> str:
        return price_label(self.price_cents, self.min_price_cents)


@dataclass(frozen=True)
class PetCatalog:
    pet_id: int | None
    services: tuple[ServiceOffer, ...]
    addons: tuple[ServiceOffer, ...]
    combos: tuple[ComboOffer, ...] = field(default_factory=tuple)


def price_for(
    entries: list[PriceEntry],
    billing_mode: str,
    porte: str | None,
    pelagem: str | None,
    breed_id: int | None,
) -> PriceCell | None:
    """The table cell for a pet, or None when the pet lacks the key or the table has no cell."""
    if billing_mode == BillingMode.RACA:
        for entry in entries:
            if breed_id is not None and entry.breed_id == breed_id:
                return PriceCell(entry.price_cents, entry.duration_min)
        return None
    if porte and pelagem:
        for entry in entries:
            if entry.breed_id is None and entry.porte == porte and entry.pelagem == pelagem:
                return PriceCell(entry.price_cents, entry.duration_min)
    return None


def combo_price(total_cents: int, discount_kind: str, discount_value: int) -> tuple[int, int]:
    """(price, discount) for a combo whose services add up to ``total_cents``."""
    if discount_kind == "valor":
        discount = min(total_cents, max(0, discount_value))
    else:
        discount = round(total_cents * max(0, min(100, discount_value)) / 100)
    return total_cents - discount, discount


def _pet_key(pet: Pet | None, billing_mode: str) -> bool:
    """Whether the pet has what its price cell needs (breed, or porte and pelagem)."""
    if pet is None:
        return False
    if billing_mode == BillingMode.RACA:
        return pet.breed_id is not None
    return bool(pet.porte and pet.pelagem)


def _load(
    session: Session, shop_id: int, segment_kind: str | None, channel: str, species: str | None
) -> tuple[
    dict[int, Segment], dict[int, ServiceCategory], list[Service], dict[int, list[PriceEntry]]
]:
    """Segments, categories, services and price entries visible on ``channel``."""
    if segment_kind is not None and segment_kind not in {k.value for k in SegmentKind}:
        raise ValidationFailed(
            "Setor inválido: use " + ", ".join(k.value for k in SegmentKind) + ".",
            details={"field": "segment_kind"},
        )
    if channel not in {c.value for c in Channel}:
        raise ValidationFailed("Canal inválido: use staff ou bot.", details={"field": "channel"})
    query = select(Segment).where(Segment.shop_id == shop_id, Segment.active.is_(True))
    if segment_kind is not None:
        query = query.where(Segment.kind == segment_kind)
    segments = {
        s.id: s
        for s in session.exec(query).all()
        if species is None or species in (s.species or [])
    }
    categories: dict[int, ServiceCategory] = {}
    if segments:
        categories = {
            c.id: c
            for c in session.exec(
                select(ServiceCategory).where(col(ServiceCategory.segment_id).in_(list(segments)))
            ).all()
            if c.kind != CategoryKind.LEVA_E_TRAZ
        }
    services: list[Service] = []
    if categories:
        services = [
            s
            for s in session.exec(
                select(Service).where(
                    col(Service.category_id).in_(list(categories)), Service.active.is_(True)
                )
            ).all()
            if (channel == Channel.STAFF or s.show_on_bot)
            and (species is None or species in (s.species or []))
        ]
    entries: dict[int, list[PriceEntry]] = defaultdict(list)
    if services:
        for entry in session.exec(
            select(PriceEntry).where(col(PriceEntry.service_id).in_([s.id for s in services]))
        ).all():
            entries[entry.service_id].append(entry)
    return segments, categories, services, entries


def _catalog(
    session: Session,
    shop: Shop,
    pet: Pet | None,
    segment_kind: str | None,
    channel: str,
) -> PetCatalog:
    species = pet.species if pet is not None else None
    segments, categories, services, entries = _load(
        session, shop.id, segment_kind, channel, species
    )
    has_key = _pet_key(pet, shop.billing_mode)
    offers: list[ServiceOffer] = []
    for service in services:
        table = entries.get(service.id, [])
        cell = (
            price_for(table, shop.billing_mode, pet.porte, pet.pelagem, pet.breed_id)
            if has_key
            else None
        )
        if has_key and cell is None:
            continue  # no price for this pet: the service cannot be booked for it
        category = categories[service.category_id]
        segment = segments[category.segment_id]
        offers.append(
            ServiceOffer(
                id=service.id,
                name=service.name,
                category_id=category.id,
                category=category.name,
                category_kind=category.kind,
                segment_id=segment.id,
                segment_kind=segment.kind,
                is_addon=service.is_addon or category.kind == CategoryKind.ADICIONAL,
                show_on_bot=service.show_on_bot,
                species=tuple(service.species or ()),
                description=service.description,
                price_cents=cell.price_cents if cell else None,
                duration_min=cell.duration_min if cell else None,
                min_price_cents=min((e.price_cents for e in table), default=None),
                category_order=category.display_order,
                display_order=service.display_order,
            )
        )
    offers.sort(key=lambda o: (o.segment_id, o.category_order, o.display_order, o.name, o.id))
    by_id = {o.id: o for o in offers}

    combos: list[ComboOffer] = []
    if segments:
        combo_rows = session.exec(
            select(Combo).where(col(Combo.segment_id).in_(list(segments)), Combo.active.is_(True))
        ).all()
        items: dict[int, list[int]] = defaultdict(list)
        if combo_rows:
            for item in session.exec(
                select(ComboItem).where(col(ComboItem.combo_id).in_([c.id for c in combo_rows]))
            ).all():
                items[item.combo_id].append(item.service_id)
        for combo in combo_rows:
            if channel == Channel.BOT and not combo.show_on_bot:
                continue
            if species is not None and species not in (combo.species or []):
                continue
            parts = [by_id.get(sid) for sid in items.get(combo.id, [])]
            if not parts or any(p is None for p in parts):
                continue  # a component is not offered (inactive, hidden or unpriced)
            exact = all(p.price_cents is not None for p in parts)
            full = sum(p.price_cents for p in parts) if exact else None
            price, discount = (
                combo_price(full, combo.discount_kind, combo.discount_value)
                if full is not None
                else (None, None)
            )
            minimum = None
            if all(p.min_price_cents is not None for p in parts):
                minimum = combo_price(
                    sum(p.min_price_cents for p in parts),
                    combo.discount_kind,
                    combo.discount_value,
                )[0]
            combos.append(
                ComboOffer(
                    id=combo.id,
                    name=combo.name,
                    segment_id=combo.segment_id,
                    description=combo.description,
                    service_ids=tuple(
                        p.id
                        for p in sorted(parts, key=lambda p: (p.category_order, p.display_order))
                    ),
                    discount_kind=combo.discount_kind,
                    discount_value=combo.discount_value,
                    price_cents=price,
                    full_price_cents=full,
                    discount_cents=discount,
                    duration_min=(
                        sum(p.duration_min for p in parts)
                        if all(p.duration_min is not None for p in parts)
                        else None
                    ),
                    min_price_cents=minimum,
                )
            )
        combos.sort(key=lambda c: (c.segment_id, c.name, c.id))

    return PetCatalog(
        pet_id=pet.id if pet is not None else None,
        services=tuple(o for o in offers if not o.is_addon),
        addons=tuple(o for o in offers if o.is_addon),
        combos=tuple(combos),
    )


def services_for_pet(
    session: Session,
    shop_id: int,
    pet_id: int,
    segment_kind: str | None = None,
    channel: str = "bot",
) -> PetCatalog:
    """What can be booked for this pet, with its price and duration.

    ``channel="bot"`` keeps only services and combos shown on the bot; both channels keep only
    active services of active segments that serve the pet's species. When the pet has its
    porte × pelagem (or breed), services without a cell for it are left out; otherwise each
    service shows its "a partir de" price.
    """
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound("Loja não encontrada.", details={"shop_id": shop_id})
    pet = session.get(Pet, pet_id)
    tutor = session.get(Tutor, pet.tutor_id) if pet is not None else None
    if pet is None or tutor is None or tutor.shop_id != shop_id:
        raise NotFound("Pet não encontrado.", details={"pet_id": pet_id})
    return _catalog(session, shop, pet, segment_kind, channel)


def list_services(
    session: Session,
    shop_id: int,
    segment_kind: str | None = None,
    channel: str = "staff",
) -> PetCatalog:
    """The whole catalogue (no pet): every service with its "a partir de" price."""
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound("Loja não encontrada.", details={"shop_id": shop_id})
    return _catalog(session, shop, None, segment_kind, channel)


@dataclass(frozen=True)
class PriceRange:
    low_cents: int
    high_cents: int

    def label(self, from_only: bool = False) -> str:
        """"R$ 45", "R$ 45 a 65" (whole reais without ",00"); ``from_only``: the low end."""
        if from_only or self.low_cents == self.high_cents:
            return _short_brl(self.low_cents)
        return f"{_short_brl(self.low_cents)} a {_short_brl(self.high_cents)[3:]}"


@dataclass(frozen=True)
class ServicePrices:
    """A service's prices without a pet: a range per porte (billing by porte × pelagem: the
    range over the pelagens), or one range over the whole table (billing by breed)."""

    id: int
    name: str
    is_addon: bool
    by_porte: tuple[tuple[str, PriceRange], ...]  # Porte order; empty when not billed by porte
    overall: PriceRange

    def label(self, from_only: bool = False) -> str:
        """One compact pt-BR line: "Mini R$ 45 a 65 · Pequeno R$ 55 a 80 · …", or a single
        price or range when the porte makes no difference (or the shop bills by breed)."""
        if len({r for _, r in self.by_porte}) > 1:
            return " · ".join(
                f"{PORTE_LABELS[Porte(p)]} {r.label(from_only)}" for p, r in self.by_porte
            )
        return self.overall.label(from_only)


def _short_brl(cents: int) -> str:
    text = format_brl(cents)
    return text[:-3] if text.endswith(",00") else text


def price_table_by_porte(
    session: Session, shop_id: int, segment_kind: str | None = None, channel: str = "bot"
) -> tuple[ServicePrices, ...]:
    """Each service's (and add-on's) prices without a pet, in catalogue order: the answer to
    a price question from a tutor with no pet registered yet. Services with an empty table are
    left out; visibility rules are those of :func:`services_for_pet` without a species."""
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound("Loja não encontrada.", details={"shop_id": shop_id})
    _segments, categories, services, entries = _load(session, shop_id, segment_kind, channel, None)
    by_porte_mode = shop.billing_mode != BillingMode.RACA
    rows = []
    for service in services:
        table = entries.get(service.id, [])
        if not table:
            continue
        per_porte: dict[str, list[int]] = defaultdict(list)
        for entry in table:
            if by_porte_mode and entry.breed_id is None and entry.porte in PORTE_LABELS:
                per_porte[entry.porte].append(entry.price_cents)
        prices = [e.price_cents for e in table]
        category = categories[service.category_id]
        rows.append((
            (category.segment_id, category.display_order, service.display_order, service.name,
             service.id),
            ServicePrices(
                id=service.id,
                name=service.name,
                is_addon=service.is_addon or category.kind == CategoryKind.ADICIONAL,
                by_porte=tuple(
                    (p.value, PriceRange(min(per_porte[p]), max(per_porte[p])))
                    for p in Porte
                    if per_porte.get(p)
                ),
                overall=PriceRange(min(prices), max(prices)),
            ),
        ))  # fmt: skip
    rows.sort(key=lambda row: row[0])
    return tuple(row for _, row in rows)


def leva_e_traz_fee(
    session: Session, shop_id: int, *, neighborhood: str = "", cep: str = ""
) -> tuple[int, LevaETrazZone | None] | None:
    """Leva e Traz fee for an address: (fee, zone) by neighbourhood or CEP prefix, else the
    flat fee with zone None; None when the shop has no Leva e Traz or does not serve the
    address (zones exist and none matches, and there is no flat fee)."""
    shop = session.get(Shop, shop_id)
    if shop is None or not shop.leva_e_traz_enabled:
        return None
    wanted = normalize(neighborhood)
    cep_digits = "".join(ch for ch in cep or "" if ch.isdigit())
    zones = session.exec(
        select(LevaETrazZone).where(LevaETrazZone.shop_id == shop_id).order_by(LevaETrazZone.id)
    ).all()
    for zone in zones:
        if wanted and any(normalize(n) == wanted for n in zone.neighborhoods or []):
            return zone.fee_cents, zone
        if cep_digits and any(
            cep_digits.startswith("".join(ch for ch in p if ch.isdigit()))
            for p in zone.cep_prefixes or []
            if p
        ):
            return zone.fee_cents, zone
    if shop.leva_e_traz_flat_fee_cents:
        return shop.leva_e_traz_flat_fee_cents, None
    return None
