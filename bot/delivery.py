"""The delivery pipeline: every accepted message processed exactly once, in order per tutor.

1. Accept: each message of a verified webhook is inserted into ``WaInbound`` (unique WhatsApp
   id: Meta's retries are no-ops; with REDIS_URL a Redis ``SET NX`` answers duplicates first,
   ``bot.coordination``), and so are the webhook's status updates (one row) and any item that
   could not be read (recorded as rejected, never failing its neighbours), all *before* the 200
   is returned (``bot.intake``). Concurrent webhooks share one transaction (group commit) on the
   database thread's acknowledgement queue (``bot.dbexec``), which goes before processing.
2. Drain: a worker per conversation key drains that key's pending rows in order (different
   tutors run in parallel, at most ``MAX_WORKERS`` at once); with REDIS_URL a Redis lock per
   conversation lets several app workers share the queue. Receipts (the ``statuses`` key) are
   applied in bulk (``bot.receipts``). Each message goes to the turn handler the gateway wires in
   (``bot.turns``); a failure counts an attempt (``MAX_ATTEMPTS``) and is retried in order.
3. Recovery: on start-up every pending row is picked up again (:meth:`Pipeline.recover`). While
   the engine is down a turn raises :class:`Parked`: the conversation's message stays queued
   (not failed, no attempt counted) and so do the ones behind it, until
   :meth:`Pipeline.resume_parked` drains every parked conversation in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlmodel import select

from bot import intake, receipts
from bot.coordination import Coordination, seen_key
from bot.dbexec import ACK, settle
from bot.models import WaInbound
from bot.runtime import Runtime
from bot.wa_types import InboundMessage, WebhookBatch
from scheduler_core.db.engine import read_session, write_session

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
MAX_WORKERS = 64  # conversations processed at the same time (Rasa turns in flight)
LOCK_RETRY_S = 0.5

# Process one message; True when its queue row was already marked processed.
Handler = Callable[[InboundMessage, int], Awaitable[bool]]


class Parked(Exception):
    """The engine is down or restarting: the message stays queued (not failed) until it is back."""


class Pipeline:
    def __init__(self, rt: Runtime, coord: Coordination, handle: Handler):
        self.rt = rt
        self.coord = coord
        self.handle = handle
        self._workers: dict[int, asyncio.Task] = {}  # the bounded worker pool
        self._ready: deque[str] = deque()  # conversation keys waiting for a worker
        self._queued: set[str] = set()  # keys in _ready
        self._active: set[str] = set()  # keys being drained
        self._dirty: dict[str, bool] = {}  # an active key got new messages meanwhile
        self._ack_lock = threading.Lock()
        self._ack_buf: list = []
        self._ack_flush_queued = False
        self.engine_down = False  # the engine stopped answering: turns are parked
        self.parked: set[str] = set()  # conversation keys waiting for the engine

    @property
    def workers(self) -> list[asyncio.Task]:
        return list(self._workers.values())

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until no conversation worker runs (tests and the benchmark use it)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._workers or self._ready:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("gateway still busy")
            await asyncio.sleep(0.01)

    # ------------------------------------------------------------------ accept

    async def accept(self, batch: WebhookBatch) -> tuple[int, int, int]:
        """Store the messages and statuses of a parsed webhook.

        Returns (new, duplicates, rejected): rejected items are recorded and acknowledged
        with the rest (``bot.intake``).
        """
        fresh = batch.messages
        dups = 0
        if fresh and self.coord.usable():
            fresh, dups = await self.coord.fresh(fresh)
        stored = intake.Stored()
        if fresh or batch.statuses or batch.rejected:
            stored = await self._store_grouped(
                intake.Webhook(fresh, batch.statuses, batch.rejected))
        dups += len(fresh) - len(stored.keys)
        for key in dict.fromkeys(stored.keys):
            self.kick(key)
        if stored.statuses:
            self.kick(intake.STATUS_KEY)
        return len(stored.keys), dups, stored.rejected + batch.rejected_unrecorded

    async def _store_grouped(self, hook: intake.Webhook) -> intake.Stored:
        """Store one webhook's content; concurrent webhooks share one transaction (group
        commit): whoever arrives while a flush is queued joins it."""
        fut = asyncio.get_running_loop().create_future()
        with self._ack_lock:
            self._ack_buf.append((hook, fut))
            schedule = not self._ack_flush_queued
            self._ack_flush_queued = True
        if schedule:
            self.rt.spawn(self.rt.db(self._flush_acks, priority=ACK))
        return await fut

    def _flush_acks(self) -> None:
        with self._ack_lock:
            batch, self._ack_buf = self._ack_buf, []
            self._ack_flush_queued = False
        hooks = [hook for hook, _fut in batch]
        try:
            results: list = intake.store(self.rt.engine, hooks, self.rt.now())
        except Exception as exc:
            log.exception("storing %d webhooks failed", len(batch))
            results = [exc] * len(batch)
        loop = self.rt.loop
        for (hook, fut), result in zip(batch, results, strict=True):
            ok = not isinstance(result, Exception)
            if not ok and self.coord.configured and hook.messages:
                keys = [seen_key(m.wa_id) for m in hook.messages]
                loop.call_soon_threadsafe(self.coord.forget, keys)
            with contextlib.suppress(RuntimeError):  # loop closed at shutdown
                loop.call_soon_threadsafe(settle, fut, ok, result)

    # ------------------------------------------------------------------ workers

    def kick(self, key: str) -> None:
        """Make sure ``key``'s pending messages get drained: by the worker already on it, or
        queued for the next free worker (a bounded pool; one key is never in two workers)."""
        if self.rt.stopping:
            return
        if key in self._active:
            self._dirty[key] = True
        elif key not in self._queued:
            self._queued.add(key)
            self._ready.append(key)
        while self._ready and len(self._workers) < MAX_WORKERS:
            task = asyncio.get_running_loop().create_task(self._worker())
            self._workers[id(task)] = task

    async def _worker(self) -> None:
        me = id(asyncio.current_task())
        try:
            while self._ready:
                key = self._ready.popleft()
                self._queued.discard(key)
                self._active.add(key)
                try:
                    await self._drain(key)
                finally:
                    self._active.discard(key)
                    if self._dirty.pop(key, False):
                        self.kick(key)
        finally:
            self._workers.pop(me, None)

    def recover(self) -> int:
        """Start workers for every accepted-but-unprocessed message (after a restart)."""
        with read_session(self.rt.engine) as s:
            keys = s.exec(
                select(WaInbound.conv_key).where(WaInbound.processed_at.is_(None)).distinct()
            ).all()
        for key in keys:
            self.kick(key)
        if keys:
            log.info("recovering %d conversations with pending messages", len(keys))
        return len(keys)

    def resume_parked(self) -> None:
        """The engine answers again: drain every parked conversation, in order of key."""
        keys = sorted(self.parked)
        log.info("engine answers again: resuming %d parked conversations", len(keys))
        self.engine_down = False
        self.parked.clear()
        for key in keys:
            self.kick(key)

    async def _drain(self, key: str) -> None:
        failed: set[int] = set()
        parked = False
        lock = await self.coord.lock_conversation(key)
        if lock is False:  # another app worker is draining this conversation
            self._dirty.pop(key, None)
            asyncio.get_running_loop().call_later(LOCK_RETRY_S, self.kick, key)
            return
        try:
            while True:
                self._dirty[key] = False
                ids = [i for i in await self.rt.db(self._pending_ids, key) if i not in failed]
                if not ids and not self._dirty[key]:
                    break
                if key == intake.STATUS_KEY:
                    if not await self._apply_receipts(ids):
                        failed.update(ids)
                    ids = []
                for row_id in ids:
                    try:
                        ok = await self._process(row_id)
                    except Parked:
                        parked = True  # this and later messages wait for the engine, in order
                        self.parked.add(key)
                        break
                    if not ok:
                        failed.add(row_id)
                        break  # keep the order: later messages wait for the retry
                if parked or (failed and not self._dirty[key]):
                    break
        finally:
            self._dirty.pop(key, None)
            if lock:
                await self.coord.unlock_conversation(key, lock)
        if self.rt.stopping:
            return
        if parked and not self.engine_down:  # the engine came back while this one parked
            self.parked.discard(key)
            asyncio.get_running_loop().call_soon(self.kick, key)
        elif failed and not parked:
            asyncio.get_running_loop().call_later(2.0, self.kick, key)

    async def _apply_receipts(self, row_ids: list[int]) -> bool:
        """Apply queued status webhooks in bulk (``bot.receipts``), one short transaction per
        unit so that acknowledgements go first in between. False when the database failed
        (the rows stay queued and are tried again)."""
        engine = self.rt.engine
        try:
            for start in range(0, len(row_ids), receipts.ROWS_PER_LOAD):
                rows = await self.rt.db(receipts.load, engine,
                                        row_ids[start:start + receipts.ROWS_PER_LOAD])
                for statuses, done in receipts.units(rows):
                    await self.rt.db(receipts.apply_unit, engine, statuses, done, self.rt.now())
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("applying %d receipt rows failed", len(row_ids))
            return False
        return True

    # ------------------------------------------------------------------ queue rows

    def _pending_ids(self, key: str) -> list[int]:
        with read_session(self.rt.engine) as s:
            stmt = (
                select(WaInbound.id)
                .where(WaInbound.conv_key == key, WaInbound.processed_at.is_(None))
                .order_by(WaInbound.wa_timestamp, WaInbound.id)
            )
            return list(s.exec(stmt).all())

    def _load_inbound(self, row_id: int) -> InboundMessage | None:
        with read_session(self.rt.engine) as s:
            row = s.get(WaInbound, row_id)
            if row is None or row.processed_at is not None:
                return None
            return InboundMessage.from_dict(row.data)

    def _mark_processed(self, row_id: int, error: str | None, now: datetime) -> bool:
        """Set processed_at (or count a failed attempt); True when the row is finished."""
        with write_session(self.rt.engine) as s:
            row = s.get(WaInbound, row_id)
            if error is not None:
                row.attempts += 1
                row.error = error[:500]
                if row.attempts < MAX_ATTEMPTS:
                    s.add(row)
                    return False
            row.processed_at = now
            s.add(row)
            return True

    async def _process(self, row_id: int) -> bool:
        msg = await self.rt.db(self._load_inbound, row_id)
        if msg is None:
            return True
        try:
            finished = await self.handle(msg, row_id)
        except (asyncio.CancelledError, Parked):
            raise
        except Exception as exc:  # processing must never kill the worker
            log.exception("processing %s failed", msg.wa_id)
            return await self.rt.db(self._mark_processed, row_id,
                                    f"{type(exc).__name__}: {exc}", self.rt.now())
        if finished:
            return True
        return await self.rt.db(self._mark_processed, row_id, None, self.rt.now())


__all__ = ["MAX_ATTEMPTS", "Handler", "Parked", "Pipeline"]
