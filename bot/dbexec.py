"""One database thread that acknowledges first and works after.

The gateway's database work is synchronous SQLAlchemy. Run on the event loop, a burst of
processing transactions would delay every webhook answer; run on a thread pool, SQLite writers
would queue on its file lock in arbitrary order. Here every statement runs on one thread with
two queues:

- ``ACK``: storing an accepted webhook — always taken first;
- ``WORK``: processing steps — taken only after ``quiet_s`` without an acknowledgement, or when
  the oldest has waited ``max_starve_s`` (so processing still advances during a long burst).

Under a burst of webhooks the process spends its CPU on answering Meta quickly; the queued
messages (already stored) are processed as soon as the burst eases.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

ACK = 0
WORK = 1


def settle(fut: asyncio.Future, ok: bool, value: Any) -> None:
    """Give a waiting future its result or exception (on the loop's thread), unless the waiter
    gave up."""
    if fut.cancelled():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)


class DbThread:
    def __init__(self, name: str = "petbot-db", quiet_s: float = 0.004,
                 max_starve_s: float = 0.1) -> None:
        self.quiet_s = quiet_s
        self.max_starve_s = max_starve_s
        self._cv = threading.Condition()
        self._acks: deque = deque()
        self._works: deque = deque()
        self._closing = False
        self._last_ack = 0.0
        self._last_work = time.monotonic()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    async def run(self, fn: Callable[..., T], *args: Any, priority: int = WORK) -> T:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        with self._cv:
            (self._acks if priority == ACK else self._works).append((fn, args, fut, loop))
            self._cv.notify()
        return await fut

    def _next(self) -> tuple[int, tuple] | None:
        with self._cv:
            while True:
                if self._acks:
                    return ACK, self._acks.popleft()
                if self._works:
                    now = time.monotonic()
                    quiet_left = self.quiet_s - (now - self._last_ack)
                    if quiet_left <= 0 or now - self._last_work >= self.max_starve_s:
                        return WORK, self._works.popleft()
                    self._cv.wait(timeout=quiet_left)
                elif self._closing:
                    return None
                else:
                    self._cv.wait()

    def _work(self) -> None:
        while (item := self._next()) is not None:
            kind, (fn, args, fut, loop) = item
            try:
                result = fn(*args)
            except BaseException as exc:  # handed to the awaiting coroutine
                outcome = (False, exc)
            else:
                outcome = (True, result)
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile (shutdown)
                loop.call_soon_threadsafe(settle, fut, *outcome)
            if kind == ACK:
                self._last_ack = time.monotonic()
            else:
                self._last_work = time.monotonic()

    def close(self) -> None:
        with self._cv:
            self._closing = True
            self._cv.notify()
        self._thread.join(timeout=10)
