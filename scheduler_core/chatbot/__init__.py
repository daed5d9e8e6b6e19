"""The bot's settings (mode, greetings, rules per channel) and keyword triggers."""
