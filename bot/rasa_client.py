"""Client of the Rasa engine's REST channel (``POST /webhooks/rest/webhook``)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

# Appended to the tracker when the bot resumes after a hand-off: no paused tracker, no active
# form (with its requested slot), and listening (FIELD-NOTES: without action_listen the engine
# ignores the next message).
RESUME_EVENTS = [
    {"event": "resume"},
    {"event": "active_loop", "name": None},
    {"event": "slot", "name": "requested_slot", "value": None},
    {"event": "action", "name": "action_listen"},
]


class RasaUnavailable(Exception):
    """The engine did not answer (down, timeout, bad status)."""


@dataclass(frozen=True)
class Turn:
    sender: str  # BSUID when known, else "+55..."
    message: str  # text, or the payload of the tapped button / list row
    phone: str | None
    wa_user_id: str | None
    profile_name: str
    shop_id: int

    def body(self) -> dict[str, Any]:
        return {
            "sender": self.sender,
            "message": self.message,
            "metadata": {
                "phone": self.phone,
                "wa_user_id": self.wa_user_id,
                "profile_name": self.profile_name,
                "shop_id": self.shop_id,
            },
        }


class RasaClient:
    def __init__(self, base_url: str, timeout_s: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _sess(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, turn: Turn) -> list[dict[str, Any]]:
        """One tutor turn → the bot's reply items. Retries once on a connection error."""
        url = f"{self.base_url}/webhooks/rest/webhook"
        for attempt in (1, 2):
            try:
                async with self._sess().post(url, json=turn.body()) as resp:
                    if resp.status != 200:
                        raise RasaUnavailable(f"HTTP {resp.status}")
                    data = await resp.json(content_type=None)
                    return data if isinstance(data, list) else []
            except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                if attempt == 2:
                    raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
                await asyncio.sleep(0.3)
        return []

    async def ready(self, timeout_s: float = 2.0) -> bool:
        """Whether the engine answers ``GET /status`` with a loaded model (cheap; used to tell
        an engine that is down or restarting from one turn that failed). An engine without the
        HTTP API (404/403 on /status) counts as ready: only a real turn can tell."""
        try:
            async with self._sess().get(f"{self.base_url}/status",
                                        timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
                if resp.status in (403, 404):
                    return True
                if resp.status != 200:
                    return False
                data = await resp.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, ValueError):
            return False
        return not isinstance(data, dict) or bool(data.get("model_file", True))

    async def resume(self, sender: str) -> None:
        """After a hand-off: un-pause the tracker, end any form still active (an attendant may
        have taken over in the middle of pet_form; the state machine then reads the next answer
        at that step itself) and append ``action_listen`` (best effort).

        Needs the engine's HTTP API (``rasa run --enable-api``); failures are only logged.
        """
        url = f"{self.base_url}/conversations/{sender}/tracker/events"
        events = RESUME_EVENTS
        try:
            async with self._sess().post(url, json=events) as resp:
                if resp.status >= 400:
                    log.info("rasa resume for %s answered %s", sender, resp.status)
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.info("rasa resume for %s failed: %s", sender, exc)
