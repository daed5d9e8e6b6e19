"""A job the app runs every few seconds while it is up (the back-office jobs, the notification
sender): started with the app as a ``cleanup_ctx``, cancelled on shutdown; an interval of 0
switches it off. ``tick`` handles its own errors: one failed run never stops the loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

Tick = Callable[[web.Application], Awaitable[object]]


def every(interval_of: Callable[[web.Application], float], tick: Tick
          ) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context running ``tick(app)`` now and then every ``interval_of(app)`` seconds."""

    async def loop(app: web.Application, interval_s: float) -> None:
        while True:
            await tick(app)
            await asyncio.sleep(interval_s)

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        interval = interval_of(app)
        task = asyncio.create_task(loop(app, interval)) if interval > 0 else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return ctx
