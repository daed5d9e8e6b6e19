"""One database thread with priorities, so webhook acknowledgements never wait for processing.

The gateway's database work is synchronous SQLAlchemy. Run on the event loop, a burst of
processing transactions would delay every webhook answer; run on a plain thread pool, SQLite
writers would queue on its file lock in arbitrary order. Here every statement runs on one
thread, and the queue is ordered by priority: storing an accepted webhook (``ACK``) goes before
any processing step (``WORK``) that is waiting.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

ACK = 0
WORK = 1


def _resolve(fut: asyncio.Future, ok: bool, value: Any) -> None:
    if fut.cancelled():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)


class DbThread:
    def __init__(self, name: str = "petbot-db") -> None:
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._seq = itertools.count()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    async def run(self, fn: Callable[..., T], *args: Any, priority: int = WORK) -> T:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._queue.put((priority, next(self._seq), fn, args, fut, loop))
        return await fut

    def _work(self) -> None:
        while True:
            _prio, _seq, fn, args, fut, loop = self._queue.get()
            if fn is None:
                return
            try:
                result = fn(*args)
            except BaseException as exc:  # handed to the awaiting coroutine
                loop.call_soon_threadsafe(_resolve, fut, False, exc)
            else:
                loop.call_soon_threadsafe(_resolve, fut, True, result)

    def close(self) -> None:
        self._queue.put((99, next(self._seq), None, (), None, None))
        self._thread.join(timeout=10)
