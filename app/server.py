"""The app process: REST API, admin panel, WhatsApp gateway and simulator on one aiohttp server.

Each component exposes ``setup(app)``; this module only composes them. ``app/jobs.py`` runs the
back office's periodic jobs (overdue invoices, plan expiry) while the app runs; ``app/notify.py``
plans and sends the WhatsApp notifications. The WhatsApp
simulator is mounted only on the embedded default (``WHATSAPP_API_BASE=simulator``); its access
rule is :func:`simulator_access`.
"""

from __future__ import annotations

import argparse
import logging

from aiohttp import web
from sqlalchemy.engine import Engine

from app.keys import CLOCK, DB, SETTINGS
from scheduler_core.db.engine import make_engine
from scheduler_core.kernel import settings as settings_mod
from scheduler_core.kernel.clock import utc_now
from scheduler_core.kernel.settings import Settings


async def simulator_access(request: web.Request, test_hook: bool) -> bool:
    """The simulator's chat page and its calls: a browser on this machine (demos, no login) or a
    signed-in staff member; its test hooks (deliver any webhook, make sends fail): signed-in
    staff only, wherever they are."""
    from admin.panel.pages import signed_in_staff
    from app.http_security import is_local_request

    if not test_hook and is_local_request(request):
        return True
    return await signed_in_staff(request) is not None


def create_app(settings: Settings, engine: Engine | None = None, clock=utc_now) -> web.Application:
    from admin import api, panel
    from app import health, http_security, jobs, notify
    from bot import gateway, simulator
    from bot.config import BotConfig
    from bot.keys import BOT_CONFIG

    app = web.Application(client_max_size=4 * 1024**2)
    app[SETTINGS] = settings
    app[DB] = engine or make_engine(settings.database_url)
    app[CLOCK] = clock
    app[BOT_CONFIG] = BotConfig.from_env(settings)
    http_security.setup(app)
    health.setup(app)
    jobs.setup(app)
    for component in (api, panel, gateway):
        component.setup(app)
    notify.setup(app)  # after the gateway: it sends through it
    if app[BOT_CONFIG].uses_simulator:
        simulator.setup(app, simulator_access)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the petbot app process.")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = settings_mod.load()
    web.run_app(
        create_app(settings),
        host=args.host or settings.app_host,
        port=args.port or settings.app_port,
        print=None,
    )


__all__ = ["create_app", "main", "simulator_access"]

if __name__ == "__main__":
    main()
