"""Placeholders of sections that other components will own (Planos, Cobranças)."""

from __future__ import annotations

from aiohttp import web

from admin.panel.pages import page, render

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- placeholders

_FUTURE = {
    "planos": ("Planos & Pacotes",
               "A venda e o acompanhamento de planos e pacotes chegam em breve."),
    "cobrancas": ("Cobranças", "As telas de faturas e pagamentos chegam em breve."),
}


@routes.get("/admin/em-breve/{section}")
@page()
async def placeholder(request: web.Request) -> web.Response:
    section = request.match_info["section"]
    if section not in _FUTURE:
        raise web.HTTPNotFound(text="Página não encontrada.")
    title, message = _FUTURE[section]
    return render(request, "placeholder.html", {"title": title, "message": message})
