"""What several app workers share through Redis (REDIS_URL), and carrying on without it.

- The seen-set: a Redis ``SET NX`` per WhatsApp message id answers Meta's retries before the
  database does (the database's unique id is the dedupe that always holds).
- One lock per conversation (``petbot:wa:conv:<key>``, refreshed while a worker drains), so
  that one app worker at a time drains a tutor's messages.

Redis is optional at run time: when it stops answering, the gateway carries on with the
database alone (dedupe on the unique wamid, one worker per conversation in this process) and
tries Redis again after ``redis_retry_s``; the next success logs that it is back. With several
app workers, two of them may then drain one conversation at the same time until Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

import redis.exceptions as redis_errors

from bot.runtime import Runtime
from bot.wa_types import InboundMessage

log = logging.getLogger(__name__)

LOCK_TTL_S = 30.0  # Redis conversation lock, refreshed while a worker drains
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


def seen_key(wa_id: str) -> str:
    return f"petbot:wa:seen:{wa_id}"


class Coordination:
    def __init__(self, rt: Runtime):
        self.rt = rt
        self._redis = None
        self._redis_down_until = 0.0  # loop time until which Redis is not tried again
        self._lock_refresh: dict[str, asyncio.Task] = {}

    @property
    def configured(self) -> bool:
        return self._redis is not None

    def connect(self) -> None:
        if self.rt.config.redis_url:
            import redis.asyncio as aioredis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            self._redis = aioredis.from_url(
                self.rt.config.redis_url, socket_timeout=REDIS_TIMEOUT_S,
                socket_connect_timeout=REDIS_TIMEOUT_S, retry=Retry(NoBackoff(), 1))

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    async def fresh(self, messages: list[InboundMessage]) -> tuple[list, int]:
        """Drop the messages Redis has seen; with Redis unreachable every message goes on to
        the database, whose unique WhatsApp id is the dedupe that always holds."""
        pipe = self._redis.pipeline(transaction=False)
        for m in messages:
            pipe.set(seen_key(m.wa_id), "1", nx=True, ex=8 * 86400)
        try:
            results = await pipe.execute()
        except REDIS_ERRORS as exc:
            self._redis_failed(exc)
            return messages, 0
        self._redis_worked()
        fresh = [m for m, ok in zip(messages, results, strict=True) if ok]
        return fresh, len(messages) - len(fresh)

    def usable(self) -> bool:
        return self._redis is not None and self.rt.loop.time() >= self._redis_down_until

    def _redis_failed(self, exc: BaseException) -> None:
        if not self._redis_down_until:
            log.warning("Redis unavailable (%s): carrying on with the database only",
                        type(exc).__name__)
        self._redis_down_until = self.rt.loop.time() + self.rt.config.redis_retry_s

    def _redis_worked(self) -> None:
        if self._redis_down_until:
            log.info("Redis is back: using it again")
            self._redis_down_until = 0.0

    def forget(self, keys: list[str]) -> None:
        """Drop seen-set keys of messages the database did not store (on the loop)."""
        self.rt.spawn(self._forget_async(keys))

    async def _forget_async(self, keys: list[str]) -> None:
        try:
            await self._redis.delete(*keys)
        except REDIS_ERRORS as exc:
            self._redis_failed(exc)

    async def lock_conversation(self, key: str) -> str | bool | None:
        """With Redis, one app worker at a time drains a conversation (ordering across
        workers). Returns the lock token, False when another worker holds it, None without
        Redis (one process: the in-process worker map is enough)."""
        if not self.usable():
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
        self._lock_refresh[key] = self.rt.spawn(self._refresh_lock(key, token))
        return token

    async def _refresh_lock(self, key: str, token: str) -> None:
        while True:
            await asyncio.sleep(LOCK_TTL_S / 3)
            try:
                await self._redis.eval(_REFRESH_LUA, 1, f"petbot:wa:conv:{key}", token,
                                       int(LOCK_TTL_S * 1000))
            except REDIS_ERRORS as exc:
                self._redis_failed(exc)

    async def unlock_conversation(self, key: str, token: str) -> None:
        refresh = self._lock_refresh.pop(key, None)
        if refresh is not None:
            refresh.cancel()
        with contextlib.suppress(Exception):
            await self._redis.eval(_RELEASE_LUA, 1, f"petbot:wa:conv:{key}", token)


__all__ = ["Coordination", "seen_key"]
