"""The NLU's reading of each turn the dialogue answers, for the Robô panel: intent,
confidence, tapped or typed, misunderstood. The action server records it through
:func:`record_turn` inside the turn's own unit of work (``actions.flow.handle``), so a retried
turn is recorded once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from scheduler_core.chatbot.models import BotTurn
from scheduler_core.kernel.clock import to_utc

TEXT_LIMIT = 300


def record_turn(session: Session, *, shop_id: int, sender: str, at: datetime, text: str,
                intent: str | None, confidence: float, tapped: bool,
                misunderstood: bool) -> None:
    """Add the turn's row (the caller's transaction commits it)."""
    session.add(BotTurn(
        shop_id=shop_id, sender=sender[:64], at=to_utc(at), text=(text or "")[:TEXT_LIMIT],
        intent=(intent or "")[:64], confidence=max(0.0, min(1.0, float(confidence or 0.0))),
        tapped=tapped, misunderstood=misunderstood))
