"""Audit trail: one :class:`~scheduler_core.metadata.AuditLog` row per sensitive action.

The row is added to the caller's session, so it commits (or rolls back) with the action it
describes. ``details`` is made JSON-safe here (datetimes and dates become ISO strings, sets
become sorted lists, enums their values).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session, desc, select

from scheduler_core.audit.models import AuditLog

#: The actor of what the WhatsApp bot does ("Robô" in the audit log).
BOT_ACTOR = "bot"


def json_safe(value: Any) -> Any:  # noqa: ANN401 - any JSON-like value, in and out
    """A copy of ``value`` that the JSON column accepts."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((json_safe(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str = "",
    entity_id: int | None = None,
    details: Mapping[str, Any] | None = None,
    shop_id: int | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """Add an audit row to ``session`` (not flushed, not committed) and return it.

    ``actor`` follows the convention "staff:<employee id>", "bot", "api:<client>";
    ``action`` is a short verb such as "appointment.book"; ``at`` (aware; naive is read as UTC)
    defaults to the model default (the current UTC time).
    """
    row = AuditLog(
        shop_id=shop_id,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        details=json_safe(dict(details or {})),
    )
    if at is not None:
        row.at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    session.add(row)
    return row


def recent(session: Session, shop_id: int, limit: int = 300) -> list[AuditLog]:
    """The shop's latest audit rows, newest first (another shop's rows never show)."""
    stmt = (
        select(AuditLog)
        .where(AuditLog.shop_id == shop_id)
        .order_by(desc(AuditLog.at), desc(AuditLog.id))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def recorded_since(session: Session, *, shop_id: int, actor: str, action: str, entity: str,
                   entity_id: int, since: datetime) -> bool:
    """Whether ``actor`` has an ``action`` row on that entity at or after ``since`` (aware):
    e.g. a tutor's page opened with the operator PIN a few minutes ago."""
    since_utc = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
    stmt = (select(AuditLog.id).where(
        AuditLog.shop_id == shop_id, AuditLog.actor == actor, AuditLog.action == action,
        AuditLog.entity == entity, AuditLog.entity_id == entity_id, AuditLog.at >= since_utc)
        .limit(1))
    return session.exec(stmt).first() is not None
