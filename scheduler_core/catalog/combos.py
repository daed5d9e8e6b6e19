"""What a combo expands into: the services of a visit, in one documented order.

The order: each combo's services in catalogue order (category display order, service display
order, id), then the other chosen services in the order given, each service once. The bot, the
panel's booking wizard and the API all expand through :func:`visit_services`; the availability
engine then lays the visit's items out in catalogue order.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session

from scheduler_core.catalog.models import ComboItem, Service, ServiceCategory


def combo_services(session: Session, combo_id: int) -> list[int]:
    """The combo's service ids in catalogue order (category order, display order, id)."""
    return [
        sid
        for (sid,) in session.execute(
            select(Service.id)
            .join(ComboItem, ComboItem.service_id == Service.id)
            .join(ServiceCategory, ServiceCategory.id == Service.category_id)
            .where(ComboItem.combo_id == combo_id)
            .order_by(ServiceCategory.display_order, Service.display_order, Service.id)
        ).all()
    ]


def visit_services(
    session: Session, service_ids: Iterable[int], combo_ids: Iterable[int] = ()
) -> list[int]:
    """The services of a visit: the combos' (catalogue order), then ``service_ids`` as given;
    each once."""
    ids = [sid for combo_id in combo_ids for sid in combo_services(session, combo_id)]
    return list(dict.fromkeys([*ids, *(int(s) for s in service_ids)]))
