"""The channel's app keys: its configuration and the running gateway (``bot.gateway.Gateway``).

A leaf module, so that the input channel, the inbox seam and the simulator find the running
parts without importing the composition (``bot.gateway``), which imports them.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.config import BotConfig

BOT_CONFIG = web.AppKey("wa_config", BotConfig)
# The value is a bot.gateway.Gateway; typed loosely here so this module imports none of it.
GATEWAY = web.AppKey("wa_gateway", Any)

__all__ = ["BOT_CONFIG", "GATEWAY"]
