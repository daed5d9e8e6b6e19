"""Which segment (banho e tosa, clínica…) services belong to: a visit happens in one."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session

from scheduler_core.catalog.models import Service, ServiceCategory
from scheduler_core.kernel.errors import NotFound, ValidationFailed


def services_segment(session: Session, service_ids: Iterable[int]) -> int:
    """The segment all ``service_ids`` belong to.

    Raises ``NotFound`` for an unknown id and ``ValidationFailed`` when the services come from
    more than one segment (a visit happens in one segment) or the list is empty.
    """
    ids = sorted(set(service_ids))
    if not ids:
        raise ValidationFailed("Escolha pelo menos um serviço.")
    rows = session.execute(
        select(Service.id, ServiceCategory.segment_id)
        .join(ServiceCategory, ServiceCategory.id == Service.category_id)
        .where(Service.id.in_(ids))
    ).all()
    found = {sid: seg for sid, seg in rows}
    missing = [sid for sid in ids if sid not in found]
    if missing:
        raise NotFound("Serviço não encontrado.", details={"service_ids": missing})
    segments = set(found.values())
    if len(segments) != 1:
        raise ValidationFailed(
            "Os serviços escolhidos são de setores diferentes; agende-os separadamente.",
            details={"segment_ids": sorted(segments)},
        )
    return segments.pop()


def segments_of_services(session: Session, service_ids: Iterable[int]) -> dict[int, int]:
    """service id → segment id (unknown ids are left out)."""
    ids = sorted(set(service_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Service.id, ServiceCategory.segment_id)
        .join(ServiceCategory, ServiceCategory.id == Service.category_id)
        .where(Service.id.in_(ids))
    ).all()
    return {sid: seg for sid, seg in rows}
