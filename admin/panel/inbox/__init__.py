"""The attendant inbox (built on ``bot.inbox``) and its quick replies."""

from __future__ import annotations

from admin.panel.inbox import conversations, quick_replies

# The quick replies' fixed paths before the conversation routes.
ROUTES = [quick_replies.routes, conversations.routes]
