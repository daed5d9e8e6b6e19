"""WhatsApp channel configuration from environment variables (12-factor).

| Variable | Default | Meaning |
|---|---|---|
| WHATSAPP_TOKEN | derived from SECRET_KEY | Graph API access token (Bearer) |
| WHATSAPP_PHONE_ID | ``100000000000001`` (the simulator's number) | phone-number id we send from |
| WHATSAPP_APP_SECRET | derived from SECRET_KEY | app secret: checks X-Hub-Signature-256 |
| WHATSAPP_VERIFY_TOKEN | derived from SECRET_KEY | answer to Meta's GET verification |
| WHATSAPP_API_BASE | ``simulator`` | ``simulator`` (this app, simulator mounted), ``meta``, a URL |
| WHATSAPP_API_VERSION | pywa's default | Graph API version, e.g. ``23.0`` |
| WHATSAPP_SEND_RATE | ``80`` | outbound messages per second per number |
| WHATSAPP_MAX_BODY | ``3145728`` | webhook body limit in bytes (413 above) |
| WHATSAPP_SHOP_ID | the first shop | shop answered by this number |
| PETBOT_PUBLIC_URL | ``http://APP_HOST:APP_PORT`` | this app's own URL (simulator ⇄ gateway) |
| REDIS_URL | unset | when set, inbound message ids are also deduplicated in Redis (SET NX) |

The simulator always answers on ``SIM_PHONE_ID``; conversations on that number are simulated
(bot mode "simulation" answers only those). It exists only when ``WHATSAPP_API_BASE`` is
``simulator``; its Graph API endpoint accepts only ``WHATSAPP_TOKEN``, which by default is a
secret derived from SECRET_KEY (never a well-known value anybody could send).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from scheduler_core.kernel.settings import Settings

SIM_PHONE_ID = "100000000000001"
SIM_DISPLAY_PHONE = "5511900000000"
META_BASE = "https://graph.facebook.com"


def _derived(secret_key: str, label: str) -> str:
    return hmac.new(secret_key.encode(), label.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass
class BotConfig:
    token: str
    phone_id: str
    app_secret: str
    verify_token: str
    api_base: str  # "simulator" or a URL
    api_version: str | None
    send_rate: float
    max_body: int
    shop_id: int | None
    public_url: str
    redis_url: str | None
    rasa_url: str
    # Tuning knobs (tests shorten them).
    send_retries: int = 4
    retry_base_s: float = 0.5
    rasa_timeout_s: float = 30.0
    handoff_check_s: float = 30.0
    engine_probe_s: float = 0.5  # first wait before asking a down engine's /status again
    engine_probe_max_s: float = 5.0  # back-off cap of that probe
    redis_retry_s: float = 1.0  # after a Redis error, the database alone for this long
    status_delay_s: float = 0.02  # simulator: delay before "sent"/"delivered" webhooks
    burst_wait_s: float = 0.0  # a greeting waits this long for the next line (bot.turns)

    @property
    def uses_simulator(self) -> bool:
        return self.api_base == "simulator"

    def base_for(self, phone_id: str) -> str:
        """Graph API base URL for a conversation on ``phone_id``."""
        if phone_id == SIM_PHONE_ID or self.uses_simulator:
            return self.public_url
        return META_BASE if self.api_base == "meta" else self.api_base.rstrip("/")

    @classmethod
    def from_env(cls, settings: Settings) -> BotConfig:
        env = os.environ.get
        base = env("WHATSAPP_API_BASE", "simulator").strip() or "simulator"
        shop = env("WHATSAPP_SHOP_ID")
        return cls(
            token=env("WHATSAPP_TOKEN") or _derived(settings.secret_key, "wa-access-token"),
            phone_id=env("WHATSAPP_PHONE_ID", SIM_PHONE_ID),
            app_secret=env("WHATSAPP_APP_SECRET") or _derived(settings.secret_key, "wa-app-secret"),
            verify_token=env("WHATSAPP_VERIFY_TOKEN")
            or _derived(settings.secret_key, "wa-verify-token"),
            api_base=base,
            api_version=env("WHATSAPP_API_VERSION") or None,
            send_rate=float(env("WHATSAPP_SEND_RATE", "80")),
            max_body=int(env("WHATSAPP_MAX_BODY", str(3 * 1024 * 1024))),
            shop_id=int(shop) if shop else None,
            public_url=(
                env("PETBOT_PUBLIC_URL") or f"http://{settings.app_host}:{settings.app_port}"
            ).rstrip("/"),
            redis_url=settings.redis_url,
            rasa_url=settings.rasa_url.rstrip("/"),
            burst_wait_s=settings.burst_wait_s,
        )
