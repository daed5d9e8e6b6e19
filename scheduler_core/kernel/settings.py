"""Configuration from environment variables, with the documented defaults (see README)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # scheduler_core/kernel/settings.py → the repository
VAR = Path(os.environ.get("PETBOT_VAR", ROOT / "var"))


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR / "secret_key"
    if not path.exists():
        VAR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    secret_key: str
    app_host: str
    app_port: int
    api_tokens: tuple[str, ...]
    rasa_url: str
    action_port: int
    # Addresses (or CIDR networks) of reverse proxies whose X-Forwarded-For is believed.
    trusted_proxies: tuple[str, ...] = ()
    # False when the product runs without the Rasa engine (PETBOT_NO_ENGINE set).
    engine_enabled: bool = True
    # Seconds between two runs of the back-office jobs (overdue invoices, plan expiry);
    # 0 turns the periodic runner off (PETBOT_JOBS_INTERVAL_S).
    jobs_interval_s: float = 300.0
    # Seconds between two ticks of the notification sender (app/notify.py); 0 turns it off.
    # PETBOT_NOTIFY_INTERVAL_S, 60 when unset; a Settings built in code (tests) has it off.
    notify_interval_s: float = 0.0
    # Seconds a greeting-only message waits for the tutor's next line before it is answered
    # (scheduler_core.chatbot.bursts). PETBOT_BURST_WAIT_S, 2 when unset; 0 in code (tests).
    burst_wait_s: float = 0.0
    # Folder of the checklists' photos ("" = var/photos, see photos_folder).
    photos_dir: str = ""


def photos_folder(settings: Settings) -> Path:
    """Where checklist photos are stored: PETBOT_PHOTOS_DIR, else ``<var>/photos``."""
    return Path(settings.photos_dir) if settings.photos_dir else VAR / "photos"


def load() -> Settings:
    VAR.mkdir(parents=True, exist_ok=True)
    return Settings(
        database_url=os.environ.get("DATABASE_URL", f"sqlite:///{VAR / 'petbot.db'}"),
        redis_url=os.environ.get("REDIS_URL") or None,
        secret_key=_secret_key(),
        app_host=os.environ.get("APP_HOST", "127.0.0.1"),
        app_port=int(os.environ.get("APP_PORT", "8080")),
        api_tokens=tuple(t for t in os.environ.get("API_TOKENS", "").split(",") if t),
        rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005"),
        action_port=int(os.environ.get("ACTION_PORT", "5055")),
        trusted_proxies=tuple(
            p.strip() for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()
        ),
        engine_enabled=not os.environ.get("PETBOT_NO_ENGINE"),
        photos_dir=os.environ.get("PETBOT_PHOTOS_DIR", ""),
        jobs_interval_s=float(os.environ.get("PETBOT_JOBS_INTERVAL_S", "300")),
        notify_interval_s=float(os.environ.get("PETBOT_NOTIFY_INTERVAL_S", "60")),
        burst_wait_s=float(os.environ.get("PETBOT_BURST_WAIT_S", "2")),
    )
