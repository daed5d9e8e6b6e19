"""The attendant inbox (built on ``bot.inbox``)."""

from __future__ import annotations

from admin.panel.inbox import conversations

ROUTES = [conversations.routes]
