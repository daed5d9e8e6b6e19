"""Audit rows written by the panel (through ``scheduler_core.audit``), stamped with aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from scheduler_core import audit


def record(session: Session, *, now: datetime | None = None, **kwargs):
    row = audit.record(session, **kwargs)
    row.at = (now or datetime.now(UTC)).astimezone(UTC)
    return row
