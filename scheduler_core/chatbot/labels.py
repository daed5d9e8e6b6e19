"""pt-BR labels of the chatbot's enumerations (the bot's mode)."""

from __future__ import annotations

from scheduler_core.chatbot.models import BotMode

BOT_MODE_LABELS: dict[str, str] = {
    BotMode.OFF: "Desligado",
    BotMode.AUTO_REPLY: "Só resposta automática",
    BotMode.SIMULATION: "Simulação (sem enviar)",
    BotMode.LIVE: "Ligado",
}
