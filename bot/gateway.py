"""Component of the app process (see admin/server.py)."""

from aiohttp import web


def setup(app: web.Application) -> None:
    """Register this component's routes on the app."""
