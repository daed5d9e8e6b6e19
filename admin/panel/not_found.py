"""Pages the browser asks for that no route serves: a pt-BR 404 inside the panel layout (with
the menu when signed in) instead of aiohttp's bare "404: Not Found", and ``/favicon.ico``.

The middleware answers only what a person's browser would show: every path under /admin, and
other GET requests that accept HTML; the REST API (/api, its own JSON errors), the webhook and
the simulator's JSON calls keep their answers."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from admin.panel.pages import error_page, page

FAVICON = Path(__file__).resolve().parent.parent / "static" / "favicon.ico"


def _wants_page(request: web.Request) -> bool:
    path = request.path
    if path == "/admin" or path.startswith("/admin/"):
        return True
    if path == "/api" or path.startswith("/api/"):
        return False
    return request.method in ("GET", "HEAD") and "text/html" in request.headers.get("Accept", "")


def _page(request: web.Request) -> web.Response:
    return error_page(request, 404, "Página não encontrada",
                      "O endereço que você abriu não existe no painel. Confira o link ou volte "
                      "ao início.")


@page(public=True)
async def not_found_page(request: web.Request) -> web.Response:
    """GET: with the signed-in staff's menu (the session is loaded by ``page``)."""
    return _page(request)


@web.middleware
async def not_found_middleware(request: web.Request, handler):
    """No route matched this browser request: the panel's 404 page."""
    missing = getattr(request.match_info, "http_exception", None)
    if missing is not None and missing.status == 404 and _wants_page(request):
        if request.method in ("GET", "HEAD"):
            return await not_found_page(request)
        return _page(request)  # a form sent to nowhere: 404, no CSRF or session check first
    return await handler(request)


async def favicon(request: web.Request) -> web.FileResponse:
    response = web.FileResponse(FAVICON, headers={"Cache-Control": "public, max-age=86400"})
    response.content_type = "image/x-icon"
    return response


def setup(app: web.Application) -> None:
    app.middlewares.append(not_found_middleware)
    app.router.add_get("/favicon.ico", favicon)
