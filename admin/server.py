"""The app process: REST API, admin panel, WhatsApp gateway and simulator on one aiohttp server.

Each component exposes ``setup(app)``; this module only composes them.
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy.engine import Engine

from admin.appkeys import CLOCK, DB, SETTINGS
from scheduler_core import settings as settings_mod
from scheduler_core.db import make_engine
from scheduler_core.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(settings: Settings, engine: Engine | None = None, clock=utc_now) -> web.Application:
    from admin import api, panel
    from bot import gateway, simulator

    app = web.Application(client_max_size=4 * 1024**2)
    app[SETTINGS] = settings
    app[DB] = engine or make_engine(settings.database_url)
    app[CLOCK] = clock
    app.router.add_get("/healthz", healthz)
    for component in (api, panel, gateway, simulator):
        component.setup(app)
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


if __name__ == "__main__":
    main()
