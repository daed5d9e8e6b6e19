"""What the plan and invoice screens share: running one core use case in a write unit of work
off the event loop, the shop's date, reading a form's amount."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from aiohttp import web

from admin.panel.pages import db, engine, now, staff
from admin.panel.timeutil import today
from scheduler_core.db.engine import read_session, transaction

T = TypeVar("T")


def _write_unit(eng, fn: Callable[..., T], args, kwargs) -> T:
    return transaction(eng, lambda s: fn(s, *args, **kwargs), expire_on_commit=False)


def _read_unit(eng, fn: Callable[..., T], args, kwargs) -> T:
    with read_session(eng, expire_on_commit=False) as session:
        return fn(session, *args, **kwargs)


async def write(request: web.Request, fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(session, *args, **kwargs)`` as one retried unit of work (committed), off the loop."""
    return await db(request, _write_unit, engine(request), fn, args, kwargs)


async def read(request: web.Request, fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(session, *args, **kwargs)`` in a read session, off the loop."""
    return await db(request, _read_unit, engine(request), fn, args, kwargs)


def shop_today(request: web.Request) -> date:
    shop = staff(request).shop
    return today(now(request), shop.timezone if shop else "America/Sao_Paulo")


def actor(request: web.Request) -> str:
    return staff(request).actor
