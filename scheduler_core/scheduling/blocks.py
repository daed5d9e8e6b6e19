"""The read side of agenda blocks: which visits a block sits on (it never cancels them)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from scheduler_core.agenda.models import Block
from scheduler_core.kernel.clock import local
from scheduler_core.scheduling.appointments import AppointmentSummary, overlapping_appointments
from scheduler_core.shop.models import Shop


def block_conflicts(session: Session, shop: Shop, block: Block) -> list[AppointmentSummary]:
    """Active appointments under ``block``, earliest first: on any of its dates, within its
    hours (the whole day when ``all_day``), and, for one employee's block, only the visits
    with an item of that employee inside the blocked time."""
    tz = ZoneInfo(shop.timezone)
    found: dict[int, AppointmentSummary] = {}
    for text in block.dates:
        day = date.fromisoformat(text)
        if block.all_day:
            start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
            end = datetime.combine(day, datetime.max.time(), tzinfo=tz)
        else:
            start, end = local(day, block.start, tz), local(day, block.end, tz)
        for summary in overlapping_appointments(session, shop.id, start, end):
            items = summary.items
            if block.employee_id is not None:
                items = [it for it in items if it.employee_id == block.employee_id
                         and it.start < end and it.end > start]
                if not items:
                    continue
            found[summary.id] = summary
    return sorted(found.values(), key=lambda s: s.start)
