"""``db(request, fn, *args)``: the one way a panel view or an API handler runs database work.

The event loop that serves staff pages also acknowledges WhatsApp webhooks (Meta resends a
webhook that is not answered quickly). So a handler never opens a session itself: it parses its
input, then ``await db(request, some_sync_fn, ...)`` — a small synchronous function that opens
the session (or calls a core use case that does) — then renders what it returned. A guard test
(tests/admin/panel/test_event_loop_guard.py) scans ``admin/panel`` and ``admin/api`` for an
``async def`` that opens a session, reads through one or hands an engine to anything but ``db``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")

# Decision (the spec is silent): staff and API clients get their own small pool.
# - Not the gateway's database thread (bot.dbexec): that single thread stores every accepted
#   webhook ahead of any other work; a staff save waiting on a lock, or a 31-day slot search,
#   queued there would hold up the 200 that Meta waits for.
# - Not the loop's default executor either (what ``asyncio.to_thread`` uses): aiohttp's DNS
#   resolver and the gateway's request decoding run there, so a burst of slow staff requests
#   could queue ahead of them.
# - Bounded: a handful of staff clicking at once, or an API client hammering, cannot spawn
#   dozens of threads that fight the loop for the GIL; extra calls wait their turn in the pool.
#   SQLite has one writer at a time anyway, so more threads would only queue on its lock.
STAFF_DB_THREADS = 4

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _staff_pool() -> ThreadPoolExecutor:
    """The process's staff/API database pool (created on first use; its threads are idle
    daemons-at-exit like every ThreadPoolExecutor's)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=STAFF_DB_THREADS,
                                           thread_name_prefix="petbot-staff-db")
    return _pool


async def db(request: web.Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` — a view's or handler's database work — on the bounded
    staff pool (``STAFF_DB_THREADS`` threads, apart from the gateway's), off the event loop.

    Exceptions (``CoreError``, ``Busy``, ``web.HTTPException``…) reach the caller unchanged.
    ``request`` is taken so that every call reads the same and the pool can become per-app."""
    del request
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await loop.run_in_executor(_staff_pool(), call)


__all__ = ["STAFF_DB_THREADS", "db"]
