"""Is the shop open at this moment? The one rule (a holiday block closes the day), for the
bot's urgency and hours answers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from scheduler_core.scheduling.availability import segment_open_at
from scheduler_core.scheduling.snapshot import blocks_in_range, segment_info
from scheduler_core.shop.models import Segment, Shop


def is_shop_open_now(session: Session, shop_id: int, now: datetime) -> bool:
    """True when any active segment is open at ``now`` (aware), by the core's one rule
    (:func:`scheduler_core.scheduling.availability.segment_open_at`: a holiday block closes the
    day)."""
    shop = session.get(Shop, shop_id)
    if shop is None:
        return False
    today = now.astimezone(ZoneInfo(shop.timezone)).date()
    blocks = blocks_in_range(session, shop_id, today, today)
    segments = session.exec(
        select(Segment).where(Segment.shop_id == shop_id, Segment.active == True)  # noqa: E712
    ).all()
    return any(
        segment_open_at(segment_info(session, s), shop.timezone, blocks, now) for s in segments
    )
