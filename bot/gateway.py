"""WhatsApp gateway: webhook routes, exactly-once queue, per-conversation workers, replies.

Flow of an inbound message:
1. ``POST /webhook/whatsapp``: body limit (413), X-Hub-Signature-256 in constant time (401),
   JSON parsed once into typed objects (``bot.wa_types``; 400 when it is not a webhook we know,
   or nested too deep to parse).
2. Each message is inserted into ``WaInbound`` (unique WhatsApp id: Meta's retries are no-ops;
   with REDIS_URL a Redis ``SET NX`` answers duplicates first), and so are the webhook's status
   updates (one row) and any item that could not be read (recorded as rejected, never failing
   its neighbours), all *before* the 200 is returned (``bot.intake``). Receipts are applied to
   the messages afterwards, in bulk (``bot.receipts``).
3. A worker per conversation key drains that key's pending rows in order (different tutors run
   in parallel); on start-up every pending row is picked up again. With REDIS_URL, a Redis
   lock per conversation lets several app workers share the queue (one drains a tutor at a
   time). Database work runs on one prioritised thread (``bot.dbexec``): storing webhooks
   (group commit) goes before processing.
4. Processing: conversation + tutor turn stored, hand-off / bot mode decide, Rasa is asked,
   its reply rendered (``bot.render``) and sent through pywa (``bot.sender``).

Recovery (issue 8, finding 14):
- Engine down or restarting (connection refused, time-out, and its ``/status`` does not answer
  with a model): the conversation's message stays queued (not failed, no attempt counted) and so
  do the ones behind it; the tutor gets "Recebi sua mensagem, já te respondo" once (until the bot
  speaks again); later turns of any conversation are parked without asking the engine. A
  background probe asks ``/status`` (0.5 s, doubling up to 5 s) and, when the engine answers
  with its model, drains every parked conversation in order. An engine that is up but fails one
  turn (e.g. HTTP 500) is not "down": that tutor gets the apology, as before.
- Redis unreachable (REDIS_URL set): dedupe and ordering carry on from the database alone (the
  unique wamid; this process's one-worker-per-conversation), Redis is tried again after
  ``redis_retry_s`` and used as soon as it answers. With several app workers, two of them may
  then drain one conversation at the same time until Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import hmac
import json
import logging
import sys
import threading
import uuid
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.exceptions as redis_errors
from aiohttp import web
from sqlmodel import Session, select

from app.keys import CLOCK, DB, SETTINGS
from bot import intake, receipts
from bot import render as rnd
from bot.config import SIM_PHONE_ID, BotConfig
from bot.dbexec import ACK, DbThread
from bot.handoff import (
    ALLOW_BOT_OFF_REASON,
    WAITING_NOTICE,
    AttendantResult,
    resume_expired,
    take_over,
    waiting_notice_due,
)
from bot.models import (
    STATUS_RANK,
    Author,
    Direction,
    OutStatus,
    Owner,
    WaConversation,
    WaInbound,
    WaMessage,
    WaReplyId,
    WaStatusEvent,
)
from bot.rasa_client import RasaClient, RasaUnavailable, Turn
from bot.sender import GraphSender, SendError
from bot.texts import t
from bot.wa_types import FILE_KINDS, InboundMessage, PayloadError, WebhookBatch, parse_webhook
from scheduler_core.chatbot import answering
from scheduler_core.chatbot.answering import Answer
from scheduler_core.chatbot.models import BotMode, BotSettings
from scheduler_core.db.engine import read_session, write_connection, write_session
from scheduler_core.people import registry as people
from scheduler_core.people.models import Tutor
from scheduler_core.shop.models import Shop

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhook/whatsapp"
WINDOW = timedelta(hours=24)
MAX_ATTEMPTS = 3
# Stored for staff, never answered: notices, reactions (also a removed one), deletions, edits.
SILENT_KINDS = frozenset({"system", "request_welcome", "errors", "reaction", "revoke", "edit"})
BIG_BODY = 64 * 1024  # bodies above this are decoded off the event loop
MAX_WORKERS = 64  # conversations processed at the same time (Rasa turns in flight)
LOCK_TTL_S = 30.0  # Redis conversation lock, refreshed while a worker drains
LOCK_RETRY_S = 0.5
REDIS_TIMEOUT_S = 0.5  # a Redis that hangs must not hold the acknowledgement
REDIS_ERRORS = (redis_errors.RedisError, OSError, TimeoutError)
_RELEASE_LUA = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end "
    "return 0"
)
_REFRESH_LUA = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)


# Auto-reply mode sends its fixed message once per conversation in this period, not to every
# message (a tutor who writes five lines gets one notice; the messages wait for staff): the
# rule is scheduler_core.chatbot.answering.mode_decision.
AUTO_REPLY_EVERY = answering.AUTO_REPLY_EVERY
# What the bot cannot read (photos, audio, locations, contacts, orders, unsupported kinds) gets
# the polite "only text and buttons" notice at most once per conversation in this period: a
# tutor who sends five photos is told once; after five minutes a new one is told again, since by
# then the tutor may have forgotten. Everything is stored for staff either way.
NOTICE_EVERY = timedelta(minutes=5)


def _last_auto_reply_at(s: Session, conv_id: int, text: str) -> datetime | None:
    """When this conversation last got the shop's auto-reply text (aware UTC), or None."""
    found = s.exec(
        select(WaMessage.created_at)
        .where(
            WaMessage.conversation_id == conv_id,
            WaMessage.direction == Direction.OUT,
            WaMessage.author == Author.SYSTEM,
            WaMessage.text == text,
        )
        .order_by(WaMessage.created_at.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _noticed_since(s: Session, conv_id: int, since: datetime) -> bool:
    texts = (t("media_reply"), t("unsupported_reply"))
    return (
        s.exec(
            select(WaMessage.id).where(
                WaMessage.conversation_id == conv_id,
                WaMessage.direction == Direction.OUT,
                WaMessage.author == Author.SYSTEM,
                WaMessage.text.in_(texts),
                WaMessage.created_at >= since,
            )
        ).first()
        is not None
    )


class _Parked(Exception):
    """The engine is down or restarting: the message stays queued (not failed) until it is back."""


@dataclass
class _Decision:
    conv_id: int
    shop_id: int
    key: str
    phone: str | None
    wa_user_id: str | None
    profile_name: str
    business_phone_id: str
    answer: Answer  # what the shop's bot mode makes of this message
    owner: str
    auto_reply_text: str
    menu_state: dict
    finished: bool = False
    notice_due: bool = True
    waiting_notice_due: bool = False  # human-owned, nobody answered yet: "já avisei a equipe"

    @property
    def marks_read(self) -> bool:
        """Whether the gateway sends the read receipt now: only when the bot handles the
        message; a human-owned one is marked read when an attendant opens it in the inbox."""
        return self.answer != Answer.OFF and self.owner != Owner.HUMAN


class Gateway:
    def __init__(self, app: web.Application, config: BotConfig):
        self.app = app
        self.config = config
        self.rasa = RasaClient(config.rasa_url, config.rasa_timeout_s)
        self._senders: dict[tuple[str, str], GraphSender] = {}
        self._workers: dict[int, asyncio.Task] = {}  # the bounded worker pool
        self._ready: deque[str] = deque()  # conversation keys waiting for a worker
        self._queued: set[str] = set()  # keys in _ready
        self._active: set[str] = set()  # keys being drained
        self._dirty: dict[str, bool] = {}  # an active key got new messages meanwhile
        self._bg: set[asyncio.Task] = set()
        self._redis = None
        self._shop_id: int | None = config.shop_id
        self._stopping = False
        self._db: DbThread | None = None
        self._ack_lock = threading.Lock()
        self._ack_buf: list = []
        self._ack_flush_queued = False
        self._lock_refresh: dict[str, asyncio.Task] = {}
        self._engine_down = False  # the engine stopped answering: turns are parked
        self._parked: set[str] = set()  # conversation keys waiting for the engine
        self._probe: asyncio.Task | None = None
        self._redis_down_until = 0.0  # loop time until which Redis is not tried again

    async def db(self, fn, *args, priority: int = 1):
        """Run synchronous database work on the gateway's database thread."""
        if self._db is None:
            self._db = DbThread()
        return await self._db.run(fn, *args, priority=priority)

    # ------------------------------------------------------------------ plumbing

    @property
    def engine(self):
        return self.app[DB]

    def now(self) -> datetime:
        return self.app[CLOCK]().astimezone(UTC)

    def spawn(self, coro: Coroutine, loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Task:
        task = (loop or asyncio.get_running_loop()).create_task(coro)
        self._bg.add(task)
        task.add_done_callback(self._bg.discard)
        return task

    def sender_for(self, phone_id: str) -> GraphSender:
        base = self.config.base_for(phone_id)
        key = (base, phone_id)
        if key not in self._senders:
            self._senders[key] = GraphSender(
                base_url=base,
                token=self.config.token,
                phone_id=phone_id,
                api_version=self.config.api_version,
                rate=self.config.send_rate,
                retries=self.config.send_retries,
                retry_base_s=self.config.retry_base_s,
            )
        return self._senders[key]

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        # The database thread and the event loop share the GIL: hand it over every 0.5 ms
        # instead of 5 ms, so a webhook never waits long behind a processing transaction.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.0005))
        # Objects alive at start-up (modules, models, templates) never become garbage: keep
        # them out of the collector's full passes, which otherwise pause every webhook.
        gc.freeze()
        if self.config.redis_url:
            import redis.asyncio as aioredis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            self._redis = aioredis.from_url(
                self.config.redis_url, socket_timeout=REDIS_TIMEOUT_S,
                socket_connect_timeout=REDIS_TIMEOUT_S, retry=Retry(NoBackoff(), 1))
        self.recover()
        self.spawn(self._handoff_loop())

    async def stop(self) -> None:
        self._stopping = True
        for task in list(self._workers.values()) + list(self._bg):
            task.cancel()
        for task in list(self._workers.values()) + list(self._bg):
            with contextlib.suppress(BaseException):
                await task
        for sender in self._senders.values():
            await sender.close()
        await self.rasa.close()
        if self._redis is not None:
            await self._redis.aclose()
        if self._db is not None:
            self._db.close()

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until no conversation worker runs (tests and the benchmark use it)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._workers or self._ready:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("gateway still busy")
            await asyncio.sleep(0.01)

    def shop_id(self, session: Session) -> int | None:
        if self._shop_id is None:
            self._shop_id = session.exec(select(Shop.id).order_by(Shop.id).limit(1)).first()
        return self._shop_id

    # ------------------------------------------------------------------ accept (webhook side)

    async def accept(self, body: bytes) -> tuple[int, int, int]:
        """Store the messages and statuses of a verified body.

        Returns (new, duplicates, rejected): rejected items are recorded and acknowledged
        with the rest (``bot.intake``). Raises PayloadError when the body is not a webhook.
        """
        if len(body) > BIG_BODY:  # e.g. 5,000 receipts: parsed while the loop serves others
            batch = await asyncio.to_thread(_decode, body)
        else:
            batch = _decode(body)
        if batch.rejected_unrecorded:
            log.warning("webhook with %d more rejected items (not recorded)",
                        batch.rejected_unrecorded)
        fresh = batch.messages
        dups = 0
        if fresh and self._redis_usable():
            fresh, dups = await self._redis_fresh(fresh)
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

    async def _redis_fresh(self, messages: list[InboundMessage]) -> tuple[list, int]:
        """Drop the messages Redis has seen; with Redis unreachable every message goes on to
        the database, whose unique WhatsApp id is the dedupe that always holds."""
        pipe = self._redis.pipeline(transaction=False)
        for m in messages:
            pipe.set(f"petbot:wa:seen:{m.wa_id}", "1", nx=True, ex=8 * 86400)
        try:
            results = await pipe.execute()
        except REDIS_ERRORS as exc:
            self._redis_failed(exc)
            return messages, 0
        self._redis_worked()
        fresh = [m for m, ok in zip(messages, results, strict=True) if ok]
        return fresh, len(messages) - len(fresh)

    # Redis is optional at run time: when it stops answering, the gateway carries on with the
    # database alone (dedupe on the unique wamid, one worker per conversation in this process)
    # and tries Redis again after ``redis_retry_s``; the next success logs that it is back.

    def _redis_usable(self) -> bool:
        return self._redis is not None and self._loop.time() >= self._redis_down_until

    def _redis_failed(self, exc: BaseException) -> None:
        if not self._redis_down_until:
            log.warning("Redis unavailable (%s): carrying on with the database only",
                        type(exc).__name__)
        self._redis_down_until = self._loop.time() + self.config.redis_retry_s

    def _redis_worked(self) -> None:
        if self._redis_down_until:
            log.info("Redis is back: using it again")
            self._redis_down_until = 0.0

    async def _store_grouped(self, hook: intake.Webhook) -> intake.Stored:
        """Store one webhook's content; concurrent webhooks share one transaction (group
        commit): whoever arrives while a flush is queued joins it."""
        fut = asyncio.get_running_loop().create_future()
        with self._ack_lock:
            self._ack_buf.append((hook, fut))
            schedule = not self._ack_flush_queued
            self._ack_flush_queued = True
        if schedule:
            self.spawn(self.db(self._flush_acks, priority=ACK))
        return await fut

    def _flush_acks(self) -> None:
        with self._ack_lock:
            batch, self._ack_buf = self._ack_buf, []
            self._ack_flush_queued = False
        hooks = [hook for hook, _fut in batch]
        try:
            results: list = intake.store(self.engine, hooks, self.now())
        except Exception as exc:
            log.exception("storing %d webhooks failed", len(batch))
            results = [exc] * len(batch)
        for (hook, fut), result in zip(batch, results, strict=True):
            ok = not isinstance(result, Exception)
            if not ok and self._redis is not None and hook.messages:
                keys = [f"petbot:wa:seen:{m.wa_id}" for m in hook.messages]
                self._loop.call_soon_threadsafe(self._forget, keys)
            with contextlib.suppress(RuntimeError):  # loop closed at shutdown
                self._loop.call_soon_threadsafe(_settle, fut, ok, result)

    def _forget(self, keys: list[str]) -> None:
        self.spawn(self._forget_async(keys))

    async def _forget_async(self, keys: list[str]) -> None:
        try:
            await self._redis.delete(*keys)
        except REDIS_ERRORS as exc:
            self._redis_failed(exc)

    # ------------------------------------------------------------------ workers

    def kick(self, key: str) -> None:
        """Make sure ``key``'s pending messages get drained: by the worker already on it, or
        queued for the next free worker (a bounded pool; one key is never in two workers)."""
        if self._stopping:
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
        with read_session(self.engine) as s:
            keys = s.exec(
                select(WaInbound.conv_key).where(WaInbound.processed_at.is_(None)).distinct()
            ).all()
        for key in keys:
            self.kick(key)
        if keys:
            log.info("recovering %d conversations with pending messages", len(keys))
        return len(keys)

    async def _drain(self, key: str) -> None:
        failed: set[int] = set()
        parked = False
        lock = await self._lock_conversation(key)
        if lock is False:  # another app worker is draining this conversation
            self._dirty.pop(key, None)
            asyncio.get_running_loop().call_later(LOCK_RETRY_S, self.kick, key)
            return
        try:
            while True:
                self._dirty[key] = False
                ids = [i for i in await self.db(self._pending_ids, key) if i not in failed]
                if not ids and not self._dirty[key]:
                    break
                if key == intake.STATUS_KEY:
                    if not await self._apply_receipts(ids):
                        failed.update(ids)
                    ids = []
                for row_id in ids:
                    try:
                        ok = await self._process(row_id)
                    except _Parked:
                        parked = True  # this and later messages wait for the engine, in order
                        self._parked.add(key)
                        break
                    if not ok:
                        failed.add(row_id)
                        break  # keep the order: later messages wait for the retry
                if parked or (failed and not self._dirty[key]):
                    break
        finally:
            self._dirty.pop(key, None)
            if lock:
                await self._unlock_conversation(key, lock)
        if self._stopping:
            return
        if parked and not self._engine_down:  # the engine came back while this one parked
            self._parked.discard(key)
            asyncio.get_running_loop().call_soon(self.kick, key)
        elif failed and not parked:
            asyncio.get_running_loop().call_later(2.0, self.kick, key)

    async def _apply_receipts(self, row_ids: list[int]) -> bool:
        """Apply queued status webhooks in bulk (``bot.receipts``), one short transaction per
        unit so that acknowledgements go first in between. False when the database failed
        (the rows stay queued and are tried again)."""
        try:
            for start in range(0, len(row_ids), receipts.ROWS_PER_LOAD):
                rows = await self.db(receipts.load, self.engine,
                                     row_ids[start:start + receipts.ROWS_PER_LOAD])
                for statuses, done in receipts.units(rows):
                    await self.db(receipts.apply_unit, self.engine, statuses, done, self.now())
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("applying %d receipt rows failed", len(row_ids))
            return False
        return True

    async def _lock_conversation(self, key: str) -> str | bool | None:
        """With Redis, one app worker at a time drains a conversation (ordering across
        workers). Returns the lock token, False when another worker holds it, None without
        Redis (one process: the in-process worker map is enough)."""
        if not self._redis_usable():
            return None
        token = uuid.uuid4().hex
        try:
            got = await self._redis.set(f"petbot:wa:conv:{key}", token, nx=True,
                                        px=int(LOCK_TTL_S * 1000))
        except REDIS_ERRORS as exc:
            self._redis_failed(exc)
            return None  # Redis gone: this process's own worker map keeps the order
        self._redis_worked()
        if not got:
            return False
        self._lock_refresh[key] = self.spawn(self._refresh_lock(key, token))
        return token

    async def _refresh_lock(self, key: str, token: str) -> None:
        while True:
            await asyncio.sleep(LOCK_TTL_S / 3)
            try:
                await self._redis.eval(_REFRESH_LUA, 1, f"petbot:wa:conv:{key}", token,
                                       int(LOCK_TTL_S * 1000))
            except REDIS_ERRORS as exc:
                self._redis_failed(exc)

    async def _unlock_conversation(self, key: str, token: str) -> None:
        refresh = self._lock_refresh.pop(key, None)
        if refresh is not None:
            refresh.cancel()
        with contextlib.suppress(Exception):
            await self._redis.eval(_RELEASE_LUA, 1, f"petbot:wa:conv:{key}", token)

    def _pending_ids(self, key: str) -> list[int]:
        with read_session(self.engine) as s:
            stmt = (
                select(WaInbound.id)
                .where(WaInbound.conv_key == key, WaInbound.processed_at.is_(None))
                .order_by(WaInbound.wa_timestamp, WaInbound.id)
            )
            return list(s.exec(stmt).all())

    def _load_inbound(self, row_id: int) -> InboundMessage | None:
        with read_session(self.engine) as s:
            row = s.get(WaInbound, row_id)
            if row is None or row.processed_at is not None:
                return None
            return InboundMessage.from_dict(row.data)

    def _mark_processed(self, row_id: int, error: str | None, now: datetime) -> bool:
        """Set processed_at (or count a failed attempt); True when the row is finished."""
        with write_session(self.engine) as s:
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
        msg = await self.db(self._load_inbound, row_id)
        if msg is None:
            return True
        try:
            finished = await self.handle(msg, row_id)
        except (asyncio.CancelledError, _Parked):
            raise
        except Exception as exc:  # processing must never kill the worker
            log.exception("processing %s failed", msg.wa_id)
            return await self.db(self._mark_processed, row_id,
                                 f"{type(exc).__name__}: {exc}", self.now())
        if finished:
            return True
        return await self.db(self._mark_processed, row_id, None, self.now())

    # ------------------------------------------------------------------ processing

    def _conversation(self, s: Session, shop_id: int, msg: InboundMessage) -> WaConversation:
        key = msg.tutor_key
        conv = s.exec(
            select(WaConversation).where(
                WaConversation.shop_id == shop_id, WaConversation.key == key
            )
        ).first()
        if conv is None and msg.user_id and msg.phone:
            # Same tutor, known before Meta shared a BSUID: re-key the old conversation.
            conv = s.exec(
                select(WaConversation).where(
                    WaConversation.shop_id == shop_id, WaConversation.key == msg.phone
                )
            ).first()
            if conv is not None:
                conv.key = key
        if conv is None:
            conv = WaConversation(shop_id=shop_id, key=key, created_at=self.now())
        conv.wa_user_id = msg.user_id or conv.wa_user_id
        conv.phone = msg.phone or conv.phone
        conv.profile_name = msg.profile_name or conv.profile_name
        conv.business_phone_id = msg.business_phone_id
        if conv.tutor_id is None:
            tutor = people.find_sender(s, shop_id, wa_user_id=msg.user_id, phone=msg.phone)
            conv.tutor_id = tutor.id if tutor else None
        elif msg.user_id:
            tutor = s.get(Tutor, conv.tutor_id)
            if tutor is not None:
                people.key_on_wa_user_id(s, tutor, msg.user_id)
        return conv

    async def handle(self, msg: InboundMessage, row_id: int | None = None) -> bool:
        """Process one accepted inbound message (called once per WhatsApp message id).

        Returns True when the queue row was already marked processed (answers that need no
        network call are finished inside the storing transaction).
        """
        result = await self.db(self._store_turn, msg, self.now(), row_id)
        if result is None:
            return True
        d, resumed = result
        await self._act(d, resumed, msg)
        return d.finished

    def _store_turn(
        self, msg: InboundMessage, now: datetime, row_id: int | None = None
    ) -> tuple[_Decision, bool] | None:
        """Store the tutor's turn, update the conversation, gather what decides the answer."""
        with write_session(self.engine) as s:
            shop_id = self.shop_id(s)
            if shop_id is None:
                log.warning("no shop configured: message %s stored only", msg.wa_id)
                _finish(s, row_id, now)
                return None
            conv = self._conversation(s, shop_id, msg)
            conv.last_inbound_at = now
            conv.updated_at = now
            s.add(conv)
            s.flush()
            resumed = resume_expired(s, now, conv)
            exists = s.exec(select(WaMessage.id).where(WaMessage.wa_id == msg.wa_id)).first()
            inbound = None
            if exists is None:
                s.add(
                    inbound := WaMessage(
                        conversation_id=conv.id,
                        direction=Direction.IN,
                        author=Author.TUTOR,
                        wa_id=msg.wa_id,
                        kind=msg.kind,
                        text=_describe(msg),
                        payload=self._payload_of(s, msg.reply_id) if msg.reply_id else None,
                        status="received",
                        error=msg.error,
                        created_at=now,
                    )
                )
            bs = s.get(BotSettings, shop_id) or BotSettings(shop_id=shop_id)
            answer = answering.mode_decision(
                bs,
                now,
                _last_auto_reply_at(s, conv.id, bs.auto_reply_text)
                if bs.mode == BotMode.AUTO_REPLY
                else None,
                simulator=conv.business_phone_id == SIM_PHONE_ID,
            )
            notice_due = _unreadable(msg) and not _noticed_since(s, conv.id, now - NOTICE_EVERY)
            if not answering.bot_may_answer(s, shop_id, conv.tutor_id):
                take_over(s, conv, now, ALLOW_BOT_OFF_REASON)
            waiting_due = msg.kind not in SILENT_KINDS and waiting_notice_due(s, conv)
            d = _Decision(
                conv_id=conv.id,
                shop_id=shop_id,
                key=conv.key,
                phone=conv.phone,
                wa_user_id=conv.wa_user_id,
                profile_name=conv.profile_name,
                business_phone_id=conv.business_phone_id,
                answer=answer,
                owner=conv.owner,
                auto_reply_text=bs.auto_reply_text,
                menu_state=dict(conv.menu_state or {}),
                notice_due=notice_due,
                waiting_notice_due=waiting_due,
            )
            if inbound is not None and d.marks_read:
                inbound.status = "read"
            if row_id is not None and (
                d.answer == Answer.OFF
                or (d.owner == Owner.HUMAN and not d.waiting_notice_due)
                or msg.kind in SILENT_KINDS
            ):
                _finish(s, row_id, now)  # nothing will be sent: done in this transaction
                d.finished = True
        return d, bool(resumed)

    async def _act(self, d: _Decision, resumed: bool, msg: InboundMessage) -> None:
        if resumed:
            self.spawn(self.rasa.resume(d.key))
        if d.answer == Answer.OFF:
            return  # bot off, or simulation and a real tutor: stored only
        if d.owner == Owner.HUMAN:
            # The inbox has it (read receipt when an attendant opens it); the bot is silent,
            # except for one "já avisei a equipe" per hand-off while nobody has answered.
            if d.waiting_notice_due:
                await self.deliver(d.conv_id, rnd.TextOut(WAITING_NOTICE), Author.SYSTEM)
            return
        self.spawn(self.sender_for(d.business_phone_id).mark_read(msg.wa_id))
        if msg.kind in SILENT_KINDS:
            return  # e.g. "user changed number" notices: stored, nothing to answer
        if d.answer in (Answer.AUTO_REPLY, Answer.AUTO_REPLIED):
            if d.answer == Answer.AUTO_REPLY:  # at most once per AUTO_REPLY_EVERY
                await self.deliver(d.conv_id, rnd.TextOut(d.auto_reply_text), Author.SYSTEM)
            return
        if _unreadable(msg):
            if d.notice_due:  # at most one per NOTICE_EVERY per conversation
                notice = t("media_reply" if msg.kind in FILE_KINDS else "unsupported_reply")
                await self.deliver(d.conv_id, rnd.TextOut(notice), Author.SYSTEM)
            return
        if msg.reply_id == rnd.MORE_ID:
            await self._more(d)
            return
        await self._bot_turn(d, msg)

    def _payload_of(self, s: Session, reply_id: str) -> str:
        if reply_id.startswith("p:"):
            mapped = s.get(WaReplyId, reply_id)
            if mapped is not None:
                return mapped.payload
        return reply_id

    async def _more(self, d: _Decision) -> None:
        page, rest = rnd.next_page(d.menu_state.get("pages") or [])
        if page is None:
            await self.deliver(d.conv_id, rnd.TextOut(t("no_more_options")), Author.BOT)
            return
        options = [c.payload for c in page.rows if c.id != rnd.MORE_ID]
        await self.db(self._save_menu, d.conv_id, rest, options)
        await self.deliver(d.conv_id, page, Author.BOT)

    def _reply_payload(self, reply_id: str) -> str:
        with read_session(self.engine) as s:
            return self._payload_of(s, reply_id)

    def _save_menu(self, conv_id: int, pages: list, options: list[str]) -> None:
        with write_session(self.engine) as s:
            conv = s.get(WaConversation, conv_id)
            conv.menu_state = {"pages": pages, "options": options}
            s.add(conv)

    async def _bot_turn(self, d: _Decision, msg: InboundMessage) -> None:
        if msg.reply_id:
            message = await self.db(self._reply_payload, msg.reply_id)
        else:
            message = msg.text
            options = d.menu_state.get("options") or []
            typed = message.strip().rstrip(".)")
            if typed.isdigit() and 1 <= int(typed) <= len(options):
                message = options[int(typed) - 1]
        turn = Turn(
            sender=d.key,
            message=message,
            phone=d.phone,
            wa_user_id=d.wa_user_id,
            profile_name=d.profile_name,
            shop_id=d.shop_id,
        )
        if self._engine_down:
            await self._park(d, "still down")
        try:
            items = await self.rasa.send(turn)
        except RasaUnavailable as exc:
            if await self.rasa.ready():  # the engine is up: this one turn failed
                log.warning("engine failed on one turn: %s", exc)
                await self.deliver(d.conv_id, rnd.TextOut(t("engine_down")), Author.SYSTEM)
                return
            await self._park(d, str(exc))
        long_ids: dict[str, str] = {}

        def id_for(payload: str) -> str:
            rid = rnd.default_id_for(payload)
            if rid != payload:
                long_ids[rid] = payload
            return rid

        rendered = rnd.render(items, id_for)
        if not await self.db(self._save_rendered, d.conv_id, long_ids, rendered):
            return  # an attendant took over while Rasa was thinking
        for out in rendered.messages:
            if not await self.db(self._bot_may_speak, d.conv_id):
                return
            await self.deliver(d.conv_id, out, Author.BOT)
        if rendered.handoff_reason is not None:
            await self.db(self._take_over, d.conv_id, self.now(), rendered.handoff_reason)

    # ------------------------------------------------------------------ engine down

    async def _park(self, d: _Decision, why: str) -> None:
        """The engine is down or restarting (killed, crashed, not answering): this
        conversation's messages stay queued in order, neither failed nor lost; the tutor is
        told once that the answer is coming; a probe of the engine's ``/status`` (back-off
        ``engine_probe_s`` doubling up to ``engine_probe_max_s``) drains them when it is back.
        Raises :class:`_Parked`."""
        if not self._engine_down:
            log.warning("engine unavailable (%s): parking conversations until it answers", why)
            self._engine_down = True
        if self._probe is None or self._probe.done():
            self._probe = self.spawn(self._probe_engine())
        if await self.db(self._engine_wait_due, d.conv_id):
            await self.deliver(d.conv_id, rnd.TextOut(t("engine_wait")), Author.SYSTEM)
        raise _Parked(why)

    def _engine_wait_due(self, conv_id: int) -> bool:
        """Whether "Recebi sua mensagem, já te respondo" is due: not yet sent since the
        bot last spoke in this conversation (once per outage, also across app restarts)."""
        with Session(self.engine) as s:
            last_bot = s.exec(
                select(WaMessage.id)
                .where(WaMessage.conversation_id == conv_id, WaMessage.author == Author.BOT)
                .order_by(WaMessage.id.desc())
                .limit(1)
            ).first()
            told = select(WaMessage.id).where(
                WaMessage.conversation_id == conv_id,
                WaMessage.author == Author.SYSTEM,
                WaMessage.text == t("engine_wait"),
            )
            if last_bot is not None:
                told = told.where(WaMessage.id > last_bot)
            return s.exec(told.limit(1)).first() is None

    async def _probe_engine(self) -> None:
        delay = self.config.engine_probe_s
        while not await self.rasa.ready():
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.engine_probe_max_s)
        keys = sorted(self._parked)
        log.info("engine answers again: resuming %d parked conversations", len(keys))
        self._engine_down = False
        self._parked.clear()
        for key in keys:
            self.kick(key)

    def _save_rendered(self, conv_id: int, long_ids: dict[str, str], rendered) -> bool:
        with write_session(self.engine) as s:
            for rid, payload in long_ids.items():
                if s.get(WaReplyId, rid) is None:
                    s.add(WaReplyId(id=rid, payload=payload))
            conv = s.get(WaConversation, conv_id)
            if conv.owner == Owner.HUMAN:
                return False
            if rendered.options or rendered.pending_pages:
                conv.menu_state = {"pages": rendered.pending_pages, "options": rendered.options}
            elif rendered.messages:
                conv.menu_state = {}
            s.add(conv)
            return True

    def _take_over(self, conv_id: int, now: datetime, reason: str,
                   attendant: bool = False) -> None:
        with write_session(self.engine) as s:
            conv = s.get(WaConversation, conv_id)
            if conv is None:
                raise KeyError(conv_id)
            take_over(s, conv, now, reason)
            if attendant:
                conv.last_attendant_at = now
                s.add(conv)

    def _bot_may_speak(self, conv_id: int) -> bool:
        with read_session(self.engine) as s:
            conv = s.get(WaConversation, conv_id)
            return conv is not None and conv.owner == Owner.BOT

    # ------------------------------------------------------------------ outbound

    async def deliver(
        self, conv_id: int, out: rnd.Out, author: str, actor: str = "", *, fallback: bool = True
    ) -> WaMessage:
        """Store and send one message to the conversation's tutor (24-hour window enforced)."""
        stored = await self.db(self._store_out, conv_id, out, author, actor, self.now())
        row_id, to, phone_id, in_window = stored
        if not in_window:
            return await self.db(self._message, row_id)
        try:
            wamid = await self.sender_for(phone_id).send(to, out)
        except SendError as exc:
            await self.db(self._set_sent, row_id, None, OutStatus.FAILED, str(exc))
            if fallback and isinstance(out, rnd.ButtonsOut | rnd.ListOut) and not exc.retryable:
                choices = out.buttons if isinstance(out, rnd.ButtonsOut) else out.rows
                return await self.deliver(
                    conv_id, rnd.numbered(out.body, choices), author, actor, fallback=False
                )
            return await self.db(self._message, row_id)
        await self.db(self._set_sent, row_id, wamid, OutStatus.SENT, "")
        return await self.db(self._message, row_id)

    def _store_out(self, conv_id: int, out: rnd.Out, author: str, actor: str, now: datetime):
        with write_session(self.engine) as s:
            conv = s.get(WaConversation, conv_id)
            row = WaMessage(
                conversation_id=conv_id,
                direction=Direction.OUT,
                author=author,
                actor=actor,
                kind=out.kind,
                text=_out_text(out),
                body=_out_body(out),
                status=OutStatus.PENDING,
                created_at=now,
            )
            in_window = conv.last_inbound_at is not None and now - conv.last_inbound_at < WINDOW
            if not in_window:
                row.status = OutStatus.FAILED
                row.error = t("out_of_window")
            s.add(row)
            s.flush()
            return row.id, conv.key, conv.business_phone_id, in_window

    def _set_sent(self, row_id: int, wamid: str | None, status: str, error: str) -> None:
        with write_connection(self.engine) as conn:
            conn.execute(
                WaMessage.__table__.update()
                .where(WaMessage.__table__.c.id == row_id)
                .values(wa_id=wamid, status=status, error=error)
            )
            if wamid:
                events = conn.execute(
                    select(WaStatusEvent.status, WaStatusEvent.error).where(
                        WaStatusEvent.wa_id == wamid
                    )
                ).all()
                for st, err in events:  # statuses that arrived before the send returned
                    _apply_status(conn, wamid, st, err)

    def _message(self, row_id: int) -> WaMessage:
        with read_session(self.engine) as s:
            row = s.get(WaMessage, row_id)
            s.expunge(row)
            return row

    async def attendant_seen(self, conv_id: int) -> int:
        """An attendant opened the conversation: the tutor's unread messages are marked read
        (one Graph API call for the latest; WhatsApp marks the earlier ones with it). Returns
        how many messages were unread."""
        found = await self.db(self._mark_seen, conv_id)
        if found is None:
            return 0
        latest, phone_id, count = found
        self.spawn(self.sender_for(phone_id).mark_read(latest))
        return count

    def _mark_seen(self, conv_id: int) -> tuple[str, str, int] | None:
        with write_session(self.engine) as s:
            conv = s.get(WaConversation, conv_id)
            unread = s.exec(
                select(WaMessage)
                .where(
                    WaMessage.conversation_id == conv_id,
                    WaMessage.direction == Direction.IN,
                    WaMessage.status == "received",
                )
                .order_by(WaMessage.id)
            ).all()
            if conv is None or not unread:
                return None
            for row in unread:
                row.status = "read"
                s.add(row)
            latest = next((r.wa_id for r in reversed(unread) if r.wa_id), None)
            if latest is None:
                return None
            return latest, conv.business_phone_id, len(unread)

    async def attendant_message(self, conv_id: int, text: str, actor: str) -> AttendantResult:
        await self.db(self._take_over, conv_id, self.now(), t("handoff_attendant"), True)
        row = await self.deliver(conv_id, rnd.TextOut(rnd.cut_text(text)), Author.ATTENDANT, actor)
        return AttendantResult(False, row.id, row.status, row.error)

    async def send_template(
        self,
        to: str,
        name: str,
        language: str = "pt_BR",
        params: list | None = None,
        *,
        phone_id: str | None = None,
        text: str = "",
        shop_id: int | None = None,
    ) -> WaMessage:
        """Send an approved template (allowed outside the 24-hour window).

        ``to`` is a phone "+55..." or a BSUID; ``params`` are pywa template params;
        ``text`` is what staff see in the conversation history. Errors are kept on the row
        (status ``failed``) rather than raised.
        """
        phone_id = phone_id or self.config.phone_id
        row_id = await self.db(self._store_template, to, name, language, phone_id, text,
                               shop_id, self.now())
        try:
            wamid = await self.sender_for(phone_id).send_template(to, name, language, params)
        except SendError as exc:
            await self.db(self._set_sent, row_id, None, OutStatus.FAILED, str(exc))
            return await self.db(self._message, row_id)
        await self.db(self._set_sent, row_id, wamid, OutStatus.SENT, "")
        return await self.db(self._message, row_id)

    def _store_template(self, to, name, language, phone_id, text, shop_id, now) -> int:
        with write_session(self.engine) as s:
            sid = shop_id or self.shop_id(s)
            conv = s.exec(
                select(WaConversation).where(
                    WaConversation.shop_id == sid, WaConversation.key == to
                )
            ).first()
            if conv is None:
                conv = WaConversation(
                    shop_id=sid,
                    key=to,
                    phone=to if to.startswith("+") else None,
                    wa_user_id=None if to.startswith("+") else to,
                    business_phone_id=phone_id,
                    created_at=now,
                )
                s.add(conv)
                s.flush()
            row = WaMessage(
                conversation_id=conv.id,
                direction=Direction.OUT,
                author=Author.SYSTEM,
                kind="template",
                text=text or f"[modelo {name}]",
                body={"template": name, "language": language},
                status=OutStatus.PENDING,
                created_at=now,
            )
            s.add(row)
            s.flush()
            return row.id

    # ------------------------------------------------------------------ hand-off timeout

    async def _handoff_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.handoff_check_s)
            try:
                for key in await self.db(self._resume_idle_tx):
                    self.spawn(self.rasa.resume(key[1]))
            except Exception:
                log.exception("hand-off timeout check failed")

    def _resume_idle_tx(self) -> list[tuple[int, str]]:
        with write_session(self.engine) as s:
            return [(c.id, c.key) for c in resume_expired(s, self.now())]

    def resume_idle(self) -> list[int]:
        """Resume every conversation past the hand-off timeout now (on the calling thread)."""
        keys = self._resume_idle_tx()
        for _id, key in keys:
            self.spawn(self.rasa.resume(key))
        return [i for i, _ in keys]


def _decode(body: bytes) -> WebhookBatch:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadError("invalid JSON") from exc
    return parse_webhook(data)


def _settle(fut: asyncio.Future, ok: bool, value: Any) -> None:
    if fut.cancelled():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)


def _finish(s: Session, row_id: int | None, now: datetime) -> None:
    if row_id is not None:
        row = s.get(WaInbound, row_id)
        if row is not None:
            row.processed_at = now
            s.add(row)


def _apply_status(conn, wa_id: str, status: str, error: str) -> None:
    table = WaMessage.__table__
    row = conn.execute(select(table.c.id, table.c.status).where(table.c.wa_id == wa_id)).first()
    if row is None:
        return
    if STATUS_RANK.get(status, 0) > STATUS_RANK.get(row.status, 0):
        values: dict[str, Any] = {"status": status}
        if error:
            values["error"] = error
        conn.execute(table.update().where(table.c.id == row.id).values(**values))


def _unreadable(msg: InboundMessage) -> bool:
    """A message the bot cannot answer (no text, no button) and that is not silent."""
    return msg.kind not in SILENT_KINDS and msg.kind not in ("text", "interactive", "button")


_DESCRIPTIONS = {
    "image": "[imagem]",
    "audio": "[áudio]",
    "voice": "[áudio]",
    "video": "[vídeo]",
    "document": "[documento]",
    "location": "[localização]",
    "sticker": "[figurinha]",
    "reaction": "[reação removida]",  # a reaction with an emoji is stored as the emoji
    "contacts": "[contato]",
    "order": "[pedido]",
    "revoke": "[mensagem apagada]",
    "edit": "[mensagem editada]",
    "unsupported": "[mensagem não suportada]",
}


def _describe(msg: InboundMessage) -> str:
    """The text staff see for a tutor's message in the conversation."""
    if msg.kind == "edit":
        return f"[mensagem editada] {msg.text}".strip()
    return msg.text or _DESCRIPTIONS.get(msg.kind, f"[{msg.kind}]")


def _out_text(out: rnd.Out) -> str:
    if isinstance(out, rnd.ButtonsOut):
        return out.body + "\n" + " | ".join(f"[{c.title}]" for c in out.buttons)
    if isinstance(out, rnd.ListOut):
        return out.body + "\n" + "\n".join(f"• {c.title}" for c in out.rows)
    return out.body


def _out_body(out: rnd.Out) -> dict:
    if isinstance(out, rnd.ButtonsOut):
        return {"type": "buttons", "body": out.body, "buttons": [c.to_dict() for c in out.buttons]}
    if isinstance(out, rnd.ListOut):
        return {"type": "list", "body": out.body, "button": out.button,
                "rows": [c.to_dict() for c in out.rows]}
    return {"type": "text", "body": out.body}


# ---------------------------------------------------------------------- routes

GATEWAY = web.AppKey("wa_gateway", Gateway)
BOT_CONFIG = web.AppKey("wa_config", BotConfig)


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256: ``sha256=<hex HMAC of the raw body with the app secret>``."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header[7:].strip().encode())


def _pt_error(status: int, message: str) -> web.Response:
    return web.json_response({"erro": message}, status=status)


async def webhook_verify(request: web.Request) -> web.Response:
    config = request.app[BOT_CONFIG]
    q = request.query
    if q.get("hub.mode") == "subscribe" and hmac.compare_digest(
        q.get("hub.verify_token", "").encode(), config.verify_token.encode()
    ):
        return web.Response(text=q.get("hub.challenge", ""))
    return _pt_error(403, t("webhook_bad_verify_token"))


async def webhook_receive(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    limit = gateway.config.max_body
    if request.content_length is not None and request.content_length > limit:
        return _pt_error(413, t("webhook_too_large"))
    chunks = []
    size = 0
    try:
        async for chunk in request.content.iter_chunked(65536):
            size += len(chunk)
            if size > limit:
                return _pt_error(413, t("webhook_too_large"))
            chunks.append(chunk)
    except (ConnectionError, asyncio.IncompleteReadError):
        return _pt_error(400, t("webhook_incomplete"))
    body = b"".join(chunks)
    if not verify_signature(
        gateway.config.app_secret, body, request.headers.get("X-Hub-Signature-256")
    ):
        log.warning("webhook with a bad signature from %s", request.remote)
        return _pt_error(401, t("webhook_bad_signature"))
    try:
        new, dups, rejected = await gateway.accept(body)
    except PayloadError as exc:
        log.warning("webhook payload refused: %s", exc)
        return _pt_error(400, t("webhook_unknown_payload"))
    except Exception:
        log.exception("webhook could not be stored")
        return _pt_error(503, t("webhook_store_failed"))
    return web.json_response(
        {"status": "ok", "novas": new, "duplicadas": dups, "rejeitadas": rejected})


def setup(app: web.Application) -> None:
    """Register the webhook routes and the gateway's start-up / clean-up."""
    app.router.add_get(WEBHOOK_PATH, webhook_verify)
    app.router.add_post(WEBHOOK_PATH, webhook_receive)

    async def _ctx(app: web.Application):
        if BOT_CONFIG not in app:
            app[BOT_CONFIG] = BotConfig.from_env(app[SETTINGS])
        gateway = Gateway(app, app[BOT_CONFIG])
        app[GATEWAY] = gateway
        await gateway.start()
        yield
        await gateway.stop()

    app.cleanup_ctx.append(_ctx)


async def send_template(app: web.Application, to: str, name: str, language: str = "pt_BR",
                        params: list | None = None, **kwargs) -> WaMessage:
    """Send an approved WhatsApp template (for notifications); see Gateway.send_template."""
    return await app[GATEWAY].send_template(to, name, language, params, **kwargs)


__all__ = ["GATEWAY", "BOT_CONFIG", "Gateway", "send_template", "setup", "verify_signature"]
