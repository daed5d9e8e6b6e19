"""The staff panel (pt-BR, server-rendered jinja2) under /admin.

``setup(app)`` registers the panel's jinja2 environment, its static files and its routes on the
app process (see app/server.py). The first owner account comes from
:func:`admin.panel.accounts.ensure_owner`.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from admin.panel import fmt
from admin.panel.accounts import ensure_owner
from admin.panel.pages import PANEL_JINJA
from scheduler_core.kernel.dates_ptbr import WEEKDAY_SHORT_NAMES

ADMIN_DIR = Path(__file__).resolve().parent.parent
TEMPLATES = ADMIN_DIR / "templates"
STATIC = ADMIN_DIR / "static"


async def _root(request: web.Request) -> web.Response:
    raise web.HTTPFound("/admin")


def setup(app: web.Application) -> None:
    """Register this component's routes on the app."""
    from admin.panel import access, agenda, billing, config, inbox, not_found, reports, tutors

    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        app_key=PANEL_JINJA,
        autoescape=jinja2.select_autoescape(["html"]),
        filters=fmt.FILTERS,
        undefined=jinja2.ChainableUndefined,
    )
    env.globals.update(
        local=fmt.local_dt, STATUS_LABELS=fmt.STATUS_LABELS, WEEKDAYS=fmt.WEEKDAYS,
        WEEKDAYS_SHORT=WEEKDAY_SHORT_NAMES, PORTE_LABELS=fmt.PORTE_LABELS,
        PELAGEM_LABELS=fmt.PELAGEM_LABELS, SPECIES_LABELS=fmt.SPECIES_LABELS,
        SEGMENT_LABELS=fmt.SEGMENT_LABELS, CATEGORY_KIND_LABELS=fmt.CATEGORY_KIND_LABELS,
        SCOPE_LABELS=fmt.SCOPE_LABELS, BOARD_STATUSES=fmt.BOARD_STATUSES,
    )
    app.router.add_static("/admin/static", STATIC, name="admin_static")
    for package in (access, agenda, config, tutors, inbox, billing, reports):
        for table in package.ROUTES:
            app.router.add_routes(table)
    app.router.add_get("/", _root)
    not_found.setup(app)


__all__ = ["ensure_owner", "setup"]
