"""The sender's units of work, each one short transaction (``transaction``: retried when the
database is busy), for the app's loop (app/notify.py) or a test's fake channel:

1. :func:`plan_and_claim` — recover rows a crashed process left ``enviando``, plan every shop's
   rows, claim the due ones (committed before anything is sent);
2. :func:`decide` — per claimed row: record a Drop / Postpone, or return the :class:`Send`;
3. the channel sends (outside any transaction);
4. :func:`record` — store the channel's answer.

A process that dies between 2 and 4 leaves the row ``enviando``: the next run marks it failed,
never resends it (at most once, see :mod:`scheduler_core.notifications.outbox`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler_core.db.engine import transaction
from scheduler_core.notifications import outbox, planner, sending
from scheduler_core.notifications.sending import Send
from scheduler_core.shop.models import Shop

#: A row ``enviando`` for longer than this was interrupted by a crash.
STUCK_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class SendResult:
    """What the channel answers for one :class:`Send`."""

    wa_message_id: str | None
    sent_as: str  # "texto" | "modelo"
    status: str  # the WhatsApp message's status: "sent", "delivered", "failed", …
    error: str = ""


def plan_and_claim(engine: Engine, now: datetime, *, limit: int = 50,
                   invoice_link: Callable[[int, int], str] | None = None) -> list[int]:
    def unit(session: Session) -> list[int]:
        outbox.recover_stuck(session, now, older_than=STUCK_AFTER)
        for shop_id in session.exec(select(Shop.id)).all():
            planner.plan_shop(session, shop_id, now, invoice_link=invoice_link)
        return []
    transaction(engine, unit)
    return transaction(engine, lambda session: outbox.claim_due(session, now, limit=limit))


def decide(engine: Engine, row_id: int, now: datetime, *,
           pace: timedelta = sending.PACE) -> Send | None:
    def unit(session: Session) -> Send | None:
        decision = sending.prepare(session, row_id, now, pace=pace)
        if decision is None or isinstance(decision, Send):
            return decision
        sending.apply(session, row_id, decision, now)
        return None
    return transaction(engine, unit)


def record(engine: Engine, row_id: int, result: SendResult, now: datetime) -> None:
    transaction(engine, lambda session: sending.record_send(
        session, row_id, wa_message_id=result.wa_message_id, sent_as=result.sent_as,
        status=result.status, error=result.error, now=now))


def catch_up(engine: Engine, receipts: list[tuple[str, str, str]], now: datetime) -> int:
    """Apply receipts ``(wa_message_id, status, error)`` that came back before the send was
    recorded (the status webhook beat :func:`record`): without this the row stayed "enviada"."""
    if not receipts:
        return 0
    return transaction(engine, lambda session: outbox.record_receipts(session, receipts, now))


def run_once(engine: Engine, now: datetime, channel: Callable[[Send], SendResult], *,
             invoice_link: Callable[[int, int], str] | None = None,
             pace: timedelta = sending.PACE) -> list[int]:
    """One synchronous tick with a synchronous channel (tests, scripts); returns the ids sent."""
    sent = []
    for row_id in plan_and_claim(engine, now, invoice_link=invoice_link):
        if (send := decide(engine, row_id, now, pace=pace)) is not None:
            record(engine, row_id, channel(send), now)
            sent.append(row_id)
    return sent
