"""Robô: the bot's funnel (conversations started → tutor identified → booked by the bot),
hand-off rate and reasons, busiest hours.

The channel's tables (conversations, messages) belong to ``bot/``, which the core may not
import; the panel loads their rows (``admin/panel/reports/robo_rows.py``, through the
``bot.models`` seam) and passes them in as :class:`ConversationRow` and message times. The
core reads its own tables: the bot's bookings (visits with origin "bot") and the "give back to
the bot" entries of the audit trail.

Date basis: conversations by their creation, bookings by their creation (when the bot booked),
messages by when they arrived, all on the shop's clock. A conversation handed to a human and
given back has lost its reason (the channel clears it): it counts as a hand-off "motivo não
registrado". The channel does not store the NLU's confidence nor the misunderstood turns, so
those two figures are reported as unavailable (``None``) until it does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, Origin
from scheduler_core.audit.models import AuditLog
from scheduler_core.reports.period import ReportFilter, pct

NO_REASON = "Motivo não registrado"


@dataclass(frozen=True)
class ConversationRow:
    id: int
    created_at: datetime
    tutor_id: int | None
    handoff_at: datetime | None
    handoff_reason: str


@dataclass(frozen=True)
class Robo:
    started: int
    identified: int
    booked: int
    bot_bookings: int
    handed_off: int
    reasons: list[tuple[str, int]]
    by_hour: list[int]  # 24 counts of tutor messages, shop clock
    messages_in: int
    misunderstood: int | None = None
    confidence: list[tuple[str, int]] | None = None

    @property
    def booked_pct(self) -> float:
        return pct(self.booked, self.started)

    @property
    def handoff_pct(self) -> float:
        return pct(self.handed_off, self.started)


def robo(session: Session, f: ReportFilter, conversations: list[ConversationRow],
         inbound_times: list[datetime]) -> Robo:
    """The panel's figures from the period's conversations and tutor-message times."""
    lo, hi = f.utc_bounds()
    stmt = select(Appointment.tutor_id).where(
        Appointment.shop_id == f.shop_id, Appointment.origin == Origin.BOT,
        Appointment.created_at >= lo, Appointment.created_at < hi)
    if f.segment_id is not None:
        stmt = stmt.where(Appointment.segment_id == f.segment_id)
    bookers = list(session.connection().execute(stmt).scalars().all())
    resumed = set(session.connection().execute(
        select(AuditLog.entity_id).where(
            AuditLog.shop_id == f.shop_id, AuditLog.action == "whatsapp.resume_bot",
            AuditLog.at >= lo)).scalars().all())
    booked_tutors = set(bookers)
    reasons: Counter = Counter()
    for c in conversations:
        if c.handoff_at is not None:
            reasons[c.handoff_reason.strip() or NO_REASON] += 1
        elif c.id in resumed:
            reasons[NO_REASON] += 1
    hours = [0] * 24
    for at in inbound_times:
        hours[f.local_hour(at)] += 1
    return Robo(
        started=len(conversations),
        identified=sum(1 for c in conversations if c.tutor_id is not None),
        booked=sum(1 for c in conversations if c.tutor_id in booked_tutors),
        bot_bookings=len(bookers),
        handed_off=sum(reasons.values()),
        reasons=sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])),
        by_hour=hours, messages_in=len(inbound_times),
    )
