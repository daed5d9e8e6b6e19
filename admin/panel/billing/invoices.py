"""Cobranças: the invoice list (filters, totals, batch payment, print), the invoice page with
its actions (pay by method, partial, due date, items, cancel, receipt, public link, send by
WhatsApp). Payments go through scheduler_core.plans.payments.pay (it writes the plan record of a
cycle invoice); the other actions through scheduler_core.billing.invoices."""

from __future__ import annotations

import os
from datetime import date

from aiohttp import web
from sqlmodel import Session

from admin.panel.billing.common import actor, read, shop_today, write
from admin.panel.config.common import required_shop
from admin.panel.pages import form, form_list, now, page, panel_path, redirect, render
from admin.panel.permissions import Perm
from admin.panel.timeutil import parse_date
from app.keys import SETTINGS
from scheduler_core.billing import credit, links
from scheduler_core.billing import invoices as billing
from scheduler_core.billing import payments as billing_payments
from scheduler_core.billing.labels import (
    INVOICE_ITEM_KIND_LABELS,
    INVOICE_KIND_LABELS,
    INVOICE_STATUS_LABELS,
)
from scheduler_core.billing.models import InvoiceItemKind, InvoiceStatus
from scheduler_core.billing.queries import InvoiceFilter, search_invoices
from scheduler_core.kernel.errors import CoreError
from scheduler_core.kernel.forms import FieldError, parse_id, parse_ids, parse_int, parse_money
from scheduler_core.notifications.queries import send_invoice_now
from scheduler_core.plans import payments as plan_payments
from scheduler_core.shop.labels import PAYMENT_METHOD_LABELS

routes = web.RouteTableDef()
#: The kinds staff add by hand (a voucher's item comes from selling the voucher).
ITEM_KIND_LABELS = {k: t for k, t in INVOICE_ITEM_KIND_LABELS.items()
                    if k != InvoiceItemKind.VOUCHER}
def _public_base(request: web.Request) -> str:
    """The app's public address for the tutor's link: PETBOT_PUBLIC_URL (as the gateway and the
    bot read it), else the address this page was opened at."""
    return (os.environ.get("PETBOT_PUBLIC_URL") or f"{request.scheme}://{request.host}").rstrip("/")


def _day(text: str | None) -> date | None:
    return parse_date(text)


def _filters(query) -> InvoiceFilter:
    """The list's filters from the query string; an unknown status or kind (a hand-edited
    address) is ignored rather than refused."""
    status, kind = query.get("status"), query.get("tipo")
    return InvoiceFilter(
        status=status if status in INVOICE_STATUS_LABELS else None,
        kind=kind if kind in INVOICE_KIND_LABELS else None,
        due_from=_day(query.get("de")), due_to=_day(query.get("ate")),
        tutor_id=parse_id(query.get("tutor")), tutor_name=query.get("q", "")[:80],
        overdue=query.get("vencidas") == "1",
    )


def _invoice_of_shop(session: Session, invoice_id: int, shop_id: int) -> billing.InvoiceView:
    try:
        view = billing.invoice_view(session, invoice_id)
    except CoreError as exc:
        raise web.HTTPNotFound(text="Fatura não encontrada.") from exc
    if view.shop_id != shop_id:
        raise web.HTTPNotFound(text="Fatura não encontrada.")
    return view


@routes.get("/admin/cobrancas")
@page(Perm.INVOICES_EDIT)
async def invoice_list(request: web.Request) -> web.Response:
    shop = required_shop(request)
    filters = _filters(request.query)
    result = await read(request, search_invoices, shop.id, filters, today=shop_today(request))
    return render(request, "billing/invoices.html", {
        "result": result, "f": filters, "q": request.query,
        "STATUSES": INVOICE_STATUS_LABELS, "KINDS": INVOICE_KIND_LABELS,
        "METHODS": PAYMENT_METHOD_LABELS,
    })


def _views(session: Session, ids: list[int], shop_id: int) -> list[billing.InvoiceView]:
    return [_invoice_of_shop(session, i, shop_id) for i in ids]


@routes.get("/admin/cobrancas/imprimir")
@page(Perm.INVOICES_EDIT)
async def invoice_print(request: web.Request) -> web.Response:
    """A print-friendly page of the chosen invoices (the browser prints it or saves a PDF)."""
    shop = required_shop(request)
    ids = parse_ids(request.query.getall("id", []))[:100]
    views = await read(request, _views, ids, shop.id)
    return render(request, "billing/print.html", {"views": views, "shop": shop})


def _amount(text: str | None) -> int:
    cents = parse_money(text, label="O valor")
    if not cents:
        raise FieldError("Informe um valor maior que zero.")
    return cents


@routes.post("/admin/cobrancas/pagar")
@page(Perm.INVOICES_EDIT)
async def batch_pay(request: web.Request) -> web.Response:
    """One payment over several invoices (the list's checkboxes)."""
    shop = required_shop(request)
    data = await form(request)
    ids = parse_ids(await form_list(request, "id"))
    back = panel_path(data.get("next"), "/admin/cobrancas", "/admin/cobrancas")
    if data.get("action") == "imprimir":
        raise redirect("/admin/cobrancas/imprimir?" + "&".join(f"id={i}" for i in ids))
    try:
        if not ids:
            raise FieldError("Marque as faturas a pagar.")
        await read(request, _views, ids, shop.id)
        amount = _amount(data.get("amount"))
        receipt = await write(request, plan_payments.pay, invoice_ids=ids,
                              method=data.get("method", ""), amount_cents=amount,
                              now=now(request), actor=actor(request))
    except FieldError as exc:
        raise redirect(back, str(exc), "erro") from exc
    except CoreError as exc:
        raise redirect(back, exc.message, "erro") from exc
    raise redirect(f"/admin/cobrancas/recibo/{receipt.batch}", "Pagamento registrado.")


def _invoice_ctx(session: Session, invoice_id: int, shop_id: int, secret: str) -> dict:
    view = _invoice_of_shop(session, invoice_id, shop_id)
    batches = list(dict.fromkeys(p.batch for p in view.payments if p.batch))
    return {"inv": view, "credit": credit.balance(session, view.tutor_id), "batches": batches,
            "token": links.invoice_token(view.id, view.shop_id, secret)}


@routes.get("/admin/cobrancas/{id:[0-9]{1,9}}")
@page(Perm.INVOICES_EDIT)
async def invoice_page(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await read(request, _invoice_ctx, int(request.match_info["id"]), shop.id,
                     request.config_dict[SETTINGS].secret_key)
    return render(request, "billing/invoice.html", {
        **ctx, "METHODS": PAYMENT_METHOD_LABELS, "ITEM_KINDS": ITEM_KIND_LABELS,
        "link": f"{_public_base(request)}/fatura/{ctx['token']}",
        "closed": ctx["inv"].status in (InvoiceStatus.PAGA, InvoiceStatus.CANCELADA,
                                        InvoiceStatus.SEM_COBRANCA),
    })


def _item(data: dict) -> billing.ItemSpec:
    kind = data.get("kind") or InvoiceItemKind.OUTRO
    if kind not in ITEM_KIND_LABELS:
        raise FieldError("Tipo de item inválido.")
    return billing.ItemSpec(
        name=(data.get("name") or "").strip()[:120],
        unit_cents=parse_money(data.get("unit"), label="O valor unitário"),
        quantity=parse_int(data.get("quantity") or "1", label="Quantidade", minimum=1,
                           maximum=999),
        kind=kind,
    )


def _action(session: Session, invoice_id: int, shop_id: int, data: dict, *, now_, who: str):
    """One action of the invoice page, inside one unit of work; returns the flash text (or a
    receipt batch for a payment)."""
    view = _invoice_of_shop(session, invoice_id, shop_id)
    action = data.get("action")
    if action == "pay":
        expected = parse_int(data.get("expected_open"), label="Valor em aberto",
                             required=False)
        receipt = plan_payments.pay(
            session, invoice_ids=[invoice_id], method=data.get("method", ""),
            amount_cents=_amount(data.get("amount")), now=now_, actor=who,
            expected_open_cents=expected)
        return ("recibo", receipt.batch)
    if action == "due":
        due = _day(data.get("due_date"))
        if due is None:
            raise FieldError("Informe a nova data de vencimento.")
        billing.change_due_date(session, invoice_id, due, now=now_, actor=who)
        return ("ok", f"Vencimento alterado para {due:%d/%m/%Y}.")
    if action == "add_item":
        billing.add_item(session, invoice_id, _item(data), now=now_, actor=who)
        return ("ok", "Item incluído.")
    if action == "remove_item":
        item_id = parse_id(data.get("item_id"))
        if item_id not in {line.id for line in view.lines}:
            raise FieldError("Item não encontrado nesta fatura.")
        billing.remove_item(session, invoice_id, item_id, now=now_, actor=who)
        return ("ok", "Item removido.")
    if action == "cancel":
        billing.cancel_invoice(session, invoice_id, now=now_, actor=who,
                               reason=(data.get("reason") or "").strip()[:200],
                               paid_to_credit=data.get("paid_to_credit") == "1")
        return ("ok", "Fatura cancelada.")
    raise FieldError("Ação desconhecida.")


@routes.post("/admin/cobrancas/{id:[0-9]{1,9}}")
@page(Perm.INVOICES_EDIT)
async def invoice_action(request: web.Request) -> web.Response:
    shop = required_shop(request)
    invoice_id = int(request.match_info["id"])
    back = f"/admin/cobrancas/{invoice_id}"
    data = await form(request)
    if data.get("action") == "send":
        kind, text = await _send_link(request, invoice_id, shop.id)
        raise redirect(back, text, kind)
    try:
        kind, text = await write(request, _action, invoice_id, shop.id, data, now_=now(request),
                                 who=actor(request))
    except FieldError as exc:
        raise redirect(back, str(exc), "erro") from exc
    except CoreError as exc:
        raise redirect(back, exc.message, "erro") from exc
    if kind == "recibo":
        raise redirect(f"/admin/cobrancas/recibo/{text}", "Pagamento registrado.")
    raise redirect(back, text)


async def _send_link(request: web.Request, invoice_id: int, shop_id: int) -> tuple[str, str]:
    """Queue the invoice link as the shop's "Fatura" notification
    (``notifications.queries.send_invoice_now``): the sender sends it at its next tick, as free
    text inside the 24-hour window and as the approved template outside it; its delivery shows
    in Notificações › Histórico."""
    base, secret, moment = _public_base(request), request.config_dict[SETTINGS].secret_key, \
        now(request)

    def link(inv_id: int, inv_shop_id: int) -> str:
        return f"{base}/fatura/{links.invoice_token(inv_id, inv_shop_id, secret)}"

    def queue(session: Session) -> int:
        _invoice_of_shop(session, invoice_id, shop_id)  # another shop's invoice: 404
        return send_invoice_now(session, invoice_id, moment, invoice_link=link)

    try:
        await write(request, queue)
    except CoreError as exc:
        return "erro", exc.message
    return "ok", ("Link da fatura na fila de envio pelo WhatsApp (sai em instantes; "
                  "acompanhe em Notificações › Histórico).")


def _receipt(session: Session, batch: str, shop_id: int) -> billing_payments.Receipt:
    found = billing_payments.receipt(session, batch)
    if found.shop_id != shop_id:
        raise web.HTTPNotFound(text="Recibo não encontrado.")
    return found


@routes.get("/admin/cobrancas/recibo/{batch:[0-9a-f]{16}}")
@page(Perm.INVOICES_EDIT)
async def receipt_page(request: web.Request) -> web.Response:
    shop = required_shop(request)
    try:
        receipt = await read(request, _receipt, request.match_info["batch"], shop.id)
    except CoreError as exc:
        raise web.HTTPNotFound(text="Recibo não encontrado.") from exc
    return render(request, "billing/receipt.html", {"r": receipt})

