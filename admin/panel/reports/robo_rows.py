"""The channel's rows the Robô panel needs, read through the ``bot.models`` seam.

The core may not import ``bot/`` (``.importlinter``), so the panel loads the period's
conversations, tutor messages per shop-local hour (counted by the
database with ``local_time.local_hour``: a year is tens of thousands of messages) and
hand-offs here, plainly, and hands them to
``scheduler_core.reports.robo``, which owns every figure made of them.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from bot.models import Author, Direction, WaConversation, WaHandoff, WaMessage
from scheduler_core.reports.local_time import local_hour
from scheduler_core.reports.panels import RoboRows
from scheduler_core.reports.period import ReportFilter
from scheduler_core.reports.robo import ConversationRow, HandoffRow


def load(session: Session, f: ReportFilter) -> RoboRows:
    lo, hi = f.utc_bounds()
    convs = [
        ConversationRow(*row)
        for row in session.connection().execute(
            select(WaConversation.id, WaConversation.created_at, WaConversation.tutor_id,
                   WaConversation.handoff_at, WaConversation.handoff_reason)
            .where(WaConversation.shop_id == f.shop_id, WaConversation.created_at >= lo,
                   WaConversation.created_at < hi)
        ).all()
    ]
    hour = local_hour(session, f, WaMessage.created_at)
    counts = dict(session.connection().execute(
        select(hour, func.count())
        .join(WaConversation, WaConversation.id == WaMessage.conversation_id)
        .where(WaConversation.shop_id == f.shop_id, WaMessage.direction == Direction.IN,
               WaMessage.author == Author.TUTOR, WaMessage.created_at >= lo,
               WaMessage.created_at < hi)
        .group_by(hour)
    ).all())
    by_hour = [int(counts.get(h, 0)) for h in range(24)]
    handoffs = [
        HandoffRow(*row)
        for row in session.connection().execute(
            select(WaHandoff.conversation_id, WaHandoff.reason, WaHandoff.started_at,
                   WaHandoff.returned_at)
            .where(WaHandoff.shop_id == f.shop_id, WaHandoff.started_at >= lo,
                   WaHandoff.started_at < hi)
        ).all()
    ]
    return RoboRows(convs, by_hour, handoffs)
