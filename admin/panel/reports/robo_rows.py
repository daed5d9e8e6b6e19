"""The channel's rows the Robô panel needs, read through the ``bot.models`` seam.

The core may not import ``bot/`` (``.importlinter``), so the panel loads the period's
conversations and tutor-message times here, plainly, and hands them to
``scheduler_core.reports.robo``, which owns every figure made of them.
"""

from __future__ import annotations

from sqlmodel import Session, select

from bot.models import Author, Direction, WaConversation, WaMessage
from scheduler_core.reports.panels import RoboRows
from scheduler_core.reports.period import ReportFilter
from scheduler_core.reports.robo import ConversationRow


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
    times = list(session.connection().execute(
        select(WaMessage.created_at)
        .join(WaConversation, WaConversation.id == WaMessage.conversation_id)
        .where(WaConversation.shop_id == f.shop_id, WaMessage.direction == Direction.IN,
               WaMessage.author == Author.TUTOR, WaMessage.created_at >= lo,
               WaMessage.created_at < hi)
    ).scalars().all())
    return RoboRows(convs, times)
