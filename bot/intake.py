"""Storing verified webhooks before they are acknowledged (the acknowledging path).

Everything a webhook carries becomes rows of ``WaInbound`` (unique ``wa_id``: Meta's retries
are no-ops), written by one multi-row ``INSERT … ON CONFLICT DO NOTHING`` per group commit:

- each message: one queue row, processed later by its conversation's worker;
- the statuses of one webhook: one row (``wa_id`` ``statuses:<hash>``, ``conv_key``
  :data:`STATUS_KEY`), applied later in bulk by ``bot.receipts`` — a webhook with 5,000
  receipts costs the acknowledgement one row, not 10,000 statements;
- each rejected item (``bot.wa_types.Rejected``): one row already processed, ``conv_key``
  :data:`REJECTED_KEY`, ``wa_id`` ``rejected:<hash of the item>`` (a retried poison is
  recorded once), ``error`` the reason, ``data`` the item's wamid, reason and JSON. Devs find
  them with ``SELECT * FROM wainbound WHERE conv_key = 'rejected'``; each is also logged with
  its wamid.

One bad item never fails its neighbours: when the grouped transaction fails for a reason other
than the database being unavailable (e.g. a value the database refuses), the webhooks are
stored again item by item, and an item that still fails is recorded as rejected instead. When
the database itself is unavailable (:func:`is_transient`) nothing is acknowledged: the caller
answers 503 and Meta retries.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from bot.models import WaInbound
from bot.wa_types import InboundMessage, Rejected, StatusUpdate
from scheduler_core.db.engine import is_postgres, write_connection
from scheduler_core.kernel.errors import Busy

log = logging.getLogger(__name__)

STATUS_KEY = "statuses"  # never a conversation key ("<phone id>|<tutor>")
REJECTED_KEY = "rejected"
ROWS_PER_STATEMENT = 500


@dataclass
class Webhook:
    """The content of one verified body."""

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


@dataclass
class Stored:
    """What storing one webhook changed."""

    keys: list[str] = field(default_factory=list)  # conversation key of each new message
    statuses: bool = False  # a new batch of receipts is queued
    rejected: int = 0  # items recorded as rejected (new or already recorded)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` means the database is unavailable (retry later), not a bad item."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError
                      | sa_exc.TimeoutError | sa_exc.DisconnectionError | ConnectionError | Busy)


def message_row(m: InboundMessage, now: datetime) -> dict[str, Any]:
    return {"wa_id": m.wa_id, "conv_key": m.conv_key, "wa_timestamp": m.timestamp,
            "data": m.to_dict(), "received_at": now, "processed_at": None, "attempts": 0,
            "error": ""}


def status_row(statuses: list[StatusUpdate], now: datetime) -> dict[str, Any]:
    """One queue row for a webhook's receipts, compact: ``[wa_id, status, timestamp, error]``
    each (what applying needs)."""
    data = [[s.wa_id, s.status, s.timestamp, s.error] for s in statuses]
    digest = hashlib.sha256("\n".join(f"{w} {st} {ts} {e}" for w, st, ts, e in data)
                            .encode()).hexdigest()[:40]
    return {"wa_id": f"statuses:{digest}", "conv_key": STATUS_KEY, "wa_timestamp": 0,
            "data": {"statuses": data}, "received_at": now, "processed_at": None,
            "attempts": 0, "error": ""}


def rejected_row(r: Rejected, now: datetime) -> dict[str, Any]:
    return {"wa_id": f"rejected:{r.digest[:40]}", "conv_key": REJECTED_KEY, "wa_timestamp": 0,
            "data": {"wa_id": r.wa_id, "reason": r.reason, "raw": r.raw},
            "received_at": now, "processed_at": now, "attempts": 0,
            "error": f"rejected: {r.reason}"[:500]}


def _rows(hook: Webhook, now: datetime) -> list[tuple[str, dict[str, Any]]]:
    """(kind, row) for each row of one webhook; kind is "message", "statuses" or "rejected"."""
    rows = [("message", message_row(m, now)) for m in hook.messages]
    if hook.statuses:
        rows.append(("statuses", status_row(hook.statuses, now)))
    rows += [("rejected", rejected_row(r, now)) for r in hook.rejected]
    return rows


def _insert(engine: Engine, rows: list[dict[str, Any]]) -> set[str]:
    """Insert ``rows`` in one transaction; the ``wa_id`` of those that were new."""
    insert = pg_insert if is_postgres(engine) else sqlite_insert
    table = WaInbound.__table__
    inserted: set[str] = set()
    with write_connection(engine) as conn:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            inserted.update(conn.execute(
                insert(table).values(rows[start:start + ROWS_PER_STATEMENT])
                .on_conflict_do_nothing(index_elements=["wa_id"])
                .returning(table.c.wa_id)
            ).scalars())
    return inserted


def _log_rejected(r: Rejected) -> None:
    log.warning("webhook item rejected (wamid %s): %s", r.wa_id or "?", r.reason)


def store(engine: Engine, hooks: list[Webhook], now: datetime) -> list[Stored | Exception]:
    """Store several webhooks in one transaction (group commit); per webhook, what it changed,
    or the exception that keeps it from being acknowledged. Raises when the database is
    unavailable."""
    per_hook = [_rows(h, now) for h in hooks]
    for hook in hooks:
        for r in hook.rejected:
            _log_rejected(r)
    try:
        inserted = _insert(engine, [row for rows in per_hook for _kind, row in rows])
    except Exception as exc:
        if is_transient(exc):
            raise
        log.warning("group commit of %d webhooks failed (%s: %s): storing item by item",
                    len(hooks), type(exc).__name__, exc)
        return [_store_each(engine, rows, now) for rows in per_hook]
    results = []
    for rows in per_hook:
        stored = Stored()
        for kind, row in rows:
            new = row["wa_id"] in inserted
            inserted.discard(row["wa_id"])  # a repeat in the same flush is a duplicate
            _count(stored, kind, row, new)
        results.append(stored)
    return results


def _count(stored: Stored, kind: str, row: dict[str, Any], new: bool) -> None:
    if kind == "rejected":
        stored.rejected += 1
    elif new and kind == "message":
        stored.keys.append(row["conv_key"])
    elif new:
        stored.statuses = True


def _store_each(engine: Engine, rows: list[tuple[str, dict[str, Any]]],
                now: datetime) -> Stored | Exception:
    """One webhook, one transaction per row; a row the database refuses becomes rejected."""
    stored = Stored()
    try:
        for kind, row in rows:
            try:
                new = row["wa_id"] in _insert(engine, [row])
            except Exception as exc:
                if is_transient(exc):
                    raise
                rejected = Rejected.of(row["data"], f"{type(exc).__name__}: {exc}"[:300],
                                       wa_id=row["data"].get("wa_id") or row["wa_id"])
                _log_rejected(rejected)
                _insert(engine, [rejected_row(rejected, now)])
                kind, new = "rejected", True
            _count(stored, kind, row, new)
    except Exception as exc:
        log.exception("webhook could not be stored item by item")
        return exc
    return stored
