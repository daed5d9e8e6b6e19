"""What every part of the WhatsApp channel shares at run time.

The app, the channel's configuration, the one database thread (``bot.dbexec``: storing
webhooks goes before processing), the app's clock, the shop this number answers, the
background tasks and the "stopping" flag. The input channel, the delivery pipeline, the turn
decisions and the output channel each hold the one :class:`Runtime` the gateway made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime

from aiohttp import web
from sqlmodel import Session, select

from app.keys import CLOCK, DB
from bot.config import BotConfig
from bot.dbexec import DbThread
from scheduler_core.shop.models import Shop


class Runtime:
    def __init__(self, app: web.Application, config: BotConfig):
        self.app = app
        self.config = config
        self.stopping = False
        self.loop: asyncio.AbstractEventLoop | None = None  # set by the gateway's start
        self._db: DbThread | None = None
        self._bg: set[asyncio.Task] = set()
        self._shop_id: int | None = config.shop_id

    async def db(self, fn, *args, priority: int = 1):
        """Run synchronous database work on the gateway's database thread."""
        if self._db is None:
            self._db = DbThread()
        return await self._db.run(fn, *args, priority=priority)

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

    @property
    def background(self) -> list[asyncio.Task]:
        return list(self._bg)

    def shop_id(self, session: Session) -> int | None:
        if self._shop_id is None:
            self._shop_id = session.exec(select(Shop.id).order_by(Shop.id).limit(1)).first()
        return self._shop_id

    def close_db(self) -> None:
        if self._db is not None:
            self._db.close()


__all__ = ["Runtime"]
