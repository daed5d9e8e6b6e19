"""The Leva e Traz (pick-up and drop-off) answer: zones and fees, or the flat fee, and the
notice, as the bot tells a tutor."""

from __future__ import annotations

from sqlmodel import Session, select

from scheduler_core.catalog.models import LevaETrazZone
from scheduler_core.kernel.money import format_brl
from scheduler_core.shop.models import Shop


def leva_e_traz_text(session: Session, shop: Shop) -> str | None:
    """Zones with fees (or the flat fee) and the notice; None when Leva e Traz is off."""
    if not shop.leva_e_traz_enabled:
        return None
    zones = session.exec(
        select(LevaETrazZone).where(LevaETrazZone.shop_id == shop.id).order_by(LevaETrazZone.id)
    ).all()
    lines = []
    for zone in zones:
        where = ", ".join(zone.neighborhoods) or ", ".join(f"CEP {p}…" for p in zone.cep_prefixes)
        fee = format_brl(zone.fee_cents) if zone.fee_cents else "grátis"
        lines.append(f"• {zone.name}{f' ({where})' if where and where != zone.name else ''}: {fee}")
    if not zones:
        flat = shop.leva_e_traz_flat_fee_cents
        fee = format_brl(flat) if flat else "grátis"
        lines.append(f"Taxa única: {fee}")
    lines.append(f"Pedimos {shop.leva_e_traz_min_notice_hours} h de antecedência.")
    if shop.leva_e_traz_notice:
        lines.append(shop.leva_e_traz_notice)
    return "\n".join(lines)


# Decision (the spec is silent; issue 10 found "Leva e Traz asked for a vaccine"): the shop picks
# up pets for the pet shop's services (banho, tosa, their add-ons); a clinic visit or a vaccine
# is not offered the pick-up by the bot (staff can still add it to a visit).
PICK_UP_CATEGORY_KINDS = frozenset({"banho", "tosa", "adicional", "outro"})


def offered_for(session: Session, shop: Shop, service_ids: list[int]) -> bool:
    """Whether the bot offers Leva e Traz for a booking of ``service_ids``: the shop has it on
    and the main service is a pet shop service (not the clinic, not day care or hotel)."""
    from scheduler_core.catalog.models import Service, ServiceCategory

    if not shop.leva_e_traz_enabled or not service_ids:
        return False
    main = session.get(Service, service_ids[0])
    category = session.get(ServiceCategory, main.category_id) if main else None
    return category is not None and category.kind in PICK_UP_CATEGORY_KINDS
