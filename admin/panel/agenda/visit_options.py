"""What the "Editar" section of a visit's page offers (read side, called inside the page's
``db`` work): the services and add-ons this pet can have, priced by its cell, that the visit
does not have yet, and the Leva e Traz fee for the tutor's address."""

from __future__ import annotations

from sqlmodel import Session

from scheduler_core.catalog import offers as catalog
from scheduler_core.shop.models import Shop


def edit_options(session: Session, shop: Shop, detail: dict) -> dict:
    appt, tutor = detail["appt"], detail["tutor"]
    have = {it["service_id"] for it in detail["items"]}
    offered = catalog.services_for_pet(session, shop.id, appt.pet_id, channel="staff")
    fee = catalog.leva_e_traz_fee(session, shop.id, neighborhood=tutor.neighborhood or "",
                                  cep=tutor.cep or "")
    return {
        "edit_services": [o for o in (*offered.services, *offered.addons)
                          if o.segment_id == appt.segment_id and o.id not in have],
        "leva_enabled": bool(shop.leva_e_traz_enabled),
        "leva_fee": fee[0] if fee is not None else None,
    }
