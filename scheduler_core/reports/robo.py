"""Robô: the bot's funnel (conversations started → tutor identified → booked by the bot),
hand-off rate and reasons, messages misunderstood, NLU confidence, busiest hours.

The channel's tables (conversations, messages, hand-offs) belong to ``bot/``, which the core
may not import; the panel loads their rows (``admin/panel/reports/robo_rows.py``, through the
``bot.models`` seam) and passes them in as :class:`ConversationRow`, message times and
:class:`HandoffRow`. The core reads its own tables: the bot's bookings (visits with origin
"bot"), the turns the dialogue answered (``chatbot.models.BotTurn``: intent, confidence,
misunderstood) and the "give back to the bot" entries of the audit trail.

Date basis: conversations by their creation, bookings by their creation (when the bot booked),
hand-offs by their start, turns and messages by when they arrived, all on the shop's clock.
Every hand-off counts with its reason, also after the conversation went back to the bot (the
channel keeps one history row per hand-off, ``bot.models.WaHandoff``). Conversations from
before that history have only their current hand-off: one given back then counts as "motivo
não registrado". The confidence histogram is over typed turns (a tapped button is not read by
the NLU): ten buckets of 0,1, the last one including 1,0.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, Origin
from scheduler_core.audit.models import AuditLog
from scheduler_core.chatbot.models import BotTurn
from scheduler_core.reports.period import ReportFilter, pct

NO_REASON = "Motivo não registrado"
BUCKETS = 10
LATEST_MISSES = 10


@dataclass(frozen=True)
class ConversationRow:
    id: int
    created_at: datetime
    tutor_id: int | None
    handoff_at: datetime | None
    handoff_reason: str


@dataclass(frozen=True)
class HandoffRow:
    conversation_id: int
    reason: str
    started_at: datetime
    returned_at: datetime | None


@dataclass(frozen=True)
class Missed:
    at: datetime
    text: str
    intent: str
    confidence: float


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
    bot_turns: int = 0
    misunderstood: int = 0
    latest_misunderstood: list[Missed] = field(default_factory=list)
    confidence: list[tuple[str, int]] = field(default_factory=list)  # typed turns per bucket

    @property
    def misunderstood_pct(self) -> float:
        return pct(self.misunderstood, self.bot_turns)

    @property
    def booked_pct(self) -> float:
        return pct(self.booked, self.started)

    @property
    def handoff_pct(self) -> float:
        return pct(self.handed_off, self.started)


def _label(bucket: int) -> str:
    return f"{bucket / BUCKETS:.1f}–{(bucket + 1) / BUCKETS:.1f}".replace(".", ",")


def turns(session: Session, f: ReportFilter
          ) -> tuple[int, int, list[Missed], list[tuple[str, int]]]:
    """(turns answered, misunderstood, the latest misunderstood, confidence histogram)."""
    lo, hi = f.utc_bounds()
    period = (BotTurn.shop_id == f.shop_id, BotTurn.at >= lo, BotTurn.at < hi)
    conn = session.connection()
    total, missed = conn.execute(select(
        func.count(), func.coalesce(func.sum(case((BotTurn.misunderstood.is_(True), 1),
                                                  else_=0)), 0)).where(*period)).one()
    latest = [Missed(*row) for row in conn.execute(
        select(BotTurn.at, BotTurn.text, BotTurn.intent, BotTurn.confidence)
        .where(*period, BotTurn.misunderstood.is_(True))
        .order_by(BotTurn.at.desc(), BotTurn.id.desc()).limit(LATEST_MISSES)).all()]
    bucket = case(*[(BotTurn.confidence < (b + 1) / BUCKETS, b) for b in range(BUCKETS - 1)],
                  else_=BUCKETS - 1)
    counts = dict(conn.execute(select(bucket, func.count()).where(
        *period, BotTurn.tapped.is_(False)).group_by(bucket)).all())
    histogram = [(_label(b), int(counts.get(b, 0))) for b in range(BUCKETS)]
    return int(total), int(missed), latest, histogram


def robo(session: Session, f: ReportFilter, conversations: list[ConversationRow],
         by_hour: list[int], handoffs: list[HandoffRow] = ()) -> Robo:
    """The panel's figures from the period's conversations, tutor messages per shop-local
    hour (24 counts, added up by the database: ``admin/panel/reports/robo_rows.py`` with
    ``local_time.local_hour``) and hand-offs (the channel's rows), and the bot's own turns
    and bookings."""
    if len(by_hour) != 24:
        raise ValueError("by_hour needs 24 counts")
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
    with_history = {h.conversation_id for h in handoffs}
    for h in handoffs:
        reasons[h.reason.strip() or NO_REASON] += 1
    for c in conversations:  # from before the hand-off history
        if c.id in with_history:
            continue
        if c.handoff_at is not None:
            reasons[c.handoff_reason.strip() or NO_REASON] += 1
        elif c.id in resumed:
            reasons[NO_REASON] += 1
    total, missed, latest, histogram = turns(session, f)
    return Robo(
        started=len(conversations),
        identified=sum(1 for c in conversations if c.tutor_id is not None),
        booked=sum(1 for c in conversations if c.tutor_id in booked_tutors),
        bot_bookings=len(bookers),
        handed_off=sum(reasons.values()),
        reasons=sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])),
        by_hour=list(by_hour), messages_in=sum(by_hour),
        bot_turns=total, misunderstood=missed, latest_misunderstood=latest,
        confidence=histogram,
    )
