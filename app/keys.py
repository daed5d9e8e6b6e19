"""Typed keys for what the app process shares between its components."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy.engine import Engine

from scheduler_core.kernel.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", Engine)
# Returns the current time, timezone-aware. Tests replace it to travel in time.
CLOCK = web.AppKey("clock", Callable[[], datetime])
