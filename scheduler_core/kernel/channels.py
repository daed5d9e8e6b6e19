"""Who is booking: staff (panel, API) or the bot; rules differ per channel."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    STAFF = "staff"
    BOT = "bot"


#: The booking rules' channel as the audit log reads it.
CHANNEL_LABELS: dict[str, str] = {Channel.STAFF: "Equipe", Channel.BOT: "Robô (WhatsApp)"}
