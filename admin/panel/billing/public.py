"""The public invoice page of the signed link (no login): amount, items, Pix "copia e cola"
with a copy button and its QR image (scheduler_core.billing.links.public_invoice). A forged,
truncated or unknown token answers a pt-BR 404 page, an expired one 410; never a 500."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from admin.panel.billing.common import read
from admin.panel.pages import PANEL_JINJA, now
from app.keys import SETTINGS
from scheduler_core.billing import links
from scheduler_core.kernel.errors import NotFound, TokenExpired, TokenInvalid

routes = web.RouteTableDef()


def _public(session, token: str, secret: str, now_) -> dict:
    found = links.public_invoice(session, token, secret=secret, now=now_)
    return {"inv": found.invoice, "pix": found.pix, "shop_name": found.shop_name,
            "qr_svg": found.qr_svg}


def _page(request: web.Request, ctx: dict, status: int = 200) -> web.Response:
    response = aiohttp_jinja2.render_template("billing/public.html", request, ctx,
                                              app_key=PANEL_JINJA, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@routes.get("/fatura/{token}")
async def public_invoice(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    if len(token) > 400:
        return _page(request, {"missing": "Link de fatura inválido."}, 404)
    try:
        ctx = await read(request, _public, token, request.config_dict[SETTINGS].secret_key,
                         now(request))
    except TokenExpired as exc:
        return _page(request, {"missing": exc.message}, 410)
    except (TokenInvalid, NotFound):
        return _page(request, {"missing": "Fatura não encontrada. Confira o link ou peça um "
                                          "novo à loja."}, 404)
    return _page(request, ctx)
