"""Per-tutor opt-out of notifications: the tutor answers "parar" (the bot's flow calls
:func:`set_opt_out`), the sender asks :func:`is_opted_out` before every send and records the
skipped row as ``descartada``. Opting out stops notifications only: the tutor can still talk to
the bot and book."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from scheduler_core.kernel.clock import to_utc
from scheduler_core.kernel.errors import NotFound
from scheduler_core.notifications.models import NotificationOptOut
from scheduler_core.people.models import Tutor


def set_opt_out(session: Session, tutor_id: int, opted_out: bool, *, now: datetime) -> None:
    """Switch the tutor's notifications off (``opted_out=True``) or back on. Idempotent; the
    caller commits. Unknown tutor: :class:`NotFound`."""
    tutor = session.get(Tutor, tutor_id)
    if tutor is None:
        raise NotFound("Tutor não encontrado.", details={"tutor_id": tutor_id})
    row = session.get(NotificationOptOut, tutor_id)
    if opted_out and row is None:
        session.add(NotificationOptOut(tutor_id=tutor_id, shop_id=tutor.shop_id,
                                       opted_out_at=to_utc(now)))
    elif not opted_out and row is not None:
        session.delete(row)
    session.flush()


def is_opted_out(session: Session, tutor_id: int) -> bool:
    """True when the tutor asked not to receive notifications."""
    return session.get(NotificationOptOut, tutor_id) is not None
