"""Meta's delivery receipts (status webhooks), applied in bulk off the acknowledging path.

The acknowledgement only queues a webhook's statuses as one ``WaInbound`` row
(``bot.intake``); the delivery pipeline's ``statuses`` worker (``bot.delivery``) then applies
the queued rows here, in units of at most :data:`UNIT` receipts, each unit one short
transaction on the database thread's WORK queue (webhook acknowledgements go first between units):

1. each receipt is recorded once in ``WaStatusEvent`` (unique ``(wa_id, status)``;
   multi-row ``INSERT … ON CONFLICT DO NOTHING``);
2. each outbound message shows its best status so far (rank only goes up: sent < delivered <
   read < failed): one ``UPDATE … WHERE wa_id IN (…)`` per target status;
3. the outbox rows of the notifications with those message ids follow
   (:func:`scheduler_core.notifications.outbox.record_receipts`; a 131047 "failed" puts the
   notification back to go out as its template);
4. the queue rows whose receipts are all applied are marked processed.

Applying is idempotent, so a unit interrupted by a restart is simply applied again: nothing is
lost (the queue row stays pending until its last unit) and nothing doubles.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from bot.intake import ROWS_PER_STATEMENT, is_transient
from bot.models import STATUS_RANK, WaInbound, WaMessage, WaStatusEvent
from bot.wa_types import StatusUpdate
from scheduler_core.db.engine import is_postgres, write_connection
from scheduler_core.notifications.outbox import record_receipts

log = logging.getLogger(__name__)

UNIT = 500  # receipts per transaction
ROWS_PER_LOAD = 200  # queue rows read at a time


def load(engine: Engine, row_ids: list[int]) -> list[tuple[int, list[StatusUpdate]]]:
    """The pending receipt rows among ``row_ids``, in queue order."""
    table = WaInbound.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(table.c.id, table.c.data)
            .where(table.c.id.in_(row_ids), table.c.processed_at.is_(None))
            .order_by(table.c.id)
        ).all()
    return [(r.id, [StatusUpdate(w, st, ts, None, None, e)
                     for w, st, ts, e in (r.data or {}).get("statuses", [])])
            for r in rows]


def units(rows: Iterable[tuple[int, list[StatusUpdate]]], size: int = UNIT
          ) -> list[tuple[list[StatusUpdate], list[int]]]:
    """Split queued rows into units of at most ``size`` receipts: (receipts, ids of the rows
    whose last receipt is in this unit). Small rows share a unit; a large one spans several."""
    out: list[tuple[list[StatusUpdate], list[int]]] = []
    current: list[StatusUpdate] = []
    done: list[int] = []
    for row_id, statuses in rows:
        for start in range(0, max(len(statuses), 1), size):
            piece = statuses[start:start + size]
            if current and len(current) + len(piece) > size:
                out.append((current, done))
                current, done = [], []
            current += piece
            if start + size >= len(statuses):
                done.append(row_id)
    if current or done:
        out.append((current, done))
    return out


def apply_unit(engine: Engine, statuses: list[StatusUpdate], done: list[int],
               now: datetime) -> None:
    """Apply one unit of receipts and mark the finished queue rows, in one transaction. A unit
    the database refuses is applied receipt by receipt; a receipt that still fails is logged
    with its wamid and skipped."""
    try:
        with write_connection(engine) as conn:
            _apply(conn, statuses, now)
            _finish(conn, done, now)
        return
    except Exception as exc:
        if is_transient(exc):
            raise
        log.warning("receipts unit of %d failed (%s): applying one by one", len(statuses), exc)
    for st in statuses:
        try:
            with write_connection(engine) as conn:
                _apply(conn, [st], now)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.error("receipt %s for %s skipped: %s", st.status, st.wa_id, exc)
    with write_connection(engine) as conn:
        _finish(conn, done, now)


def _finish(conn: Connection, done: list[int], now: datetime) -> None:
    if done:
        table = WaInbound.__table__
        conn.execute(table.update().where(table.c.id.in_(done)).values(processed_at=now))


def _apply(conn: Connection, statuses: list[StatusUpdate], now: datetime) -> None:
    insert = pg_insert if is_postgres(conn) else sqlite_insert
    events = WaStatusEvent.__table__
    rows = [{"wa_id": s.wa_id, "status": s.status, "wa_timestamp": s.timestamp,
             "error": s.error, "received_at": now} for s in statuses]
    if rows:  # executemany: compiled once, whatever the number of receipts
        conn.execute(insert(events).on_conflict_do_nothing(index_elements=["wa_id", "status"]),
                     rows)
    best: dict[str, StatusUpdate] = {}
    for s in statuses:
        rank = STATUS_RANK.get(s.status, 0)
        if rank and rank > STATUS_RANK.get(best[s.wa_id].status if s.wa_id in best else "", 0):
            best[s.wa_id] = s
    targets: dict[tuple[str, str], list[str]] = {}
    for s in best.values():
        targets.setdefault((s.status, s.error), []).append(s.wa_id)
    record_receipts(conn, [(s.wa_id, s.status, s.error) for s in best.values()], now)
    messages = WaMessage.__table__
    for (status, error), wa_ids in targets.items():
        rank = STATUS_RANK[status]
        not_below = [k for k, r in STATUS_RANK.items() if r >= rank]
        values = {"status": status, **({"error": error} if error else {})}
        for start in range(0, len(wa_ids), ROWS_PER_STATEMENT):
            conn.execute(messages.update()
                         .where(messages.c.wa_id.in_(wa_ids[start:start + ROWS_PER_STATEMENT]),
                                messages.c.status.not_in(not_below))
                         .values(**values))


def stored_for(engine: Engine, wa_id: str) -> list[tuple[str, str, str]]:
    """The receipts already stored for one message ``(wa_id, status, error)``: a notification
    whose receipts came back before its send was recorded catches up with them
    (``app/notify.py``)."""
    from scheduler_core.db.engine import read_session

    with read_session(engine) as s:
        rows = s.exec(select(WaStatusEvent.wa_id, WaStatusEvent.status, WaStatusEvent.error)
                      .where(WaStatusEvent.wa_id == wa_id)).all()
    return [(w, st, err or "") for w, st, err in rows]

