"""Configuração → Planos e Pacotes: the template list and form (scheduler_core.plans.templates)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from admin.panel.billing.common import actor, read, write
from admin.panel.config.common import field_errors, required_shop
from admin.panel.pages import form, form_list, now, page, redirect, render
from admin.panel.permissions import Perm
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.people.models import Breed
from scheduler_core.plans import templates
from scheduler_core.plans.labels import PLAN_KIND_LABELS
from scheduler_core.shop.labels import PAYMENT_METHOD_LABELS

routes = web.RouteTableDef()
BASE = "/admin/config/planos"


def _rows_of(data: dict) -> list[dict]:
    return [{"service_id": data.get(f"service_id_{i}", ""),
             "quantity": data.get(f"quantity_{i}", ""),
             "reserve": data.get(f"reserve_{i}", ""),
             "per_week": data.get(f"per_week_{i}", ""),
             "weekday": data.get(f"weekday_{i}", ""),
             "start_time": data.get(f"start_time_{i}", "")}
            for i in range(templates.MAX_SERVICE_ROWS)]


def _brl(cents: int) -> str:
    return f"{cents / 100:.2f}".replace(".", ",")


def _table_values(table: dict) -> dict:
    """price_table → the form's porte × pelagem and breed price fields."""
    values: dict = {}
    breed_rows = [(k.split(":", 1)[1], v) for k, v in table.items() if k.startswith("breed:")]
    for i, (breed_id, cents) in enumerate(breed_rows[:templates.MAX_BREED_PRICES]):
        values[f"breed_price_id_{i}"], values[f"breed_price_{i}"] = breed_id, _brl(cents)
    for key, cents in table.items():
        if "|" in key:
            values["price_" + key.replace("|", "_")] = _brl(cents)
    return values


def _values_of(row: templates.TemplateRow | None
               ) -> tuple[dict, list[dict], list[str], list[str]]:
    """The form's fields, service rows, species and breeds of a stored template (or a new one)."""
    if row is None:
        return {"kind": "mensal", "payment_method": "pix", "discount_pct": "0"}, [], ["cao"], []
    t = row.template
    values = {"name": t.name, "kind": t.kind, "description": t.description,
              "price": _brl(t.price_cents),
              "discount_pct": str(t.discount_pct), "payment_method": t.payment_method,
              "months": str(t.months), "charge_every_n": str(t.charge_every_n or ""),
              "show_on_bot": "1" if t.show_on_bot else "", "allow_rollover":
              "1" if t.allow_rollover else ""}
    for porte, cents in (t.price_by_porte or {}).items():
        values[f"price_{porte}"] = _brl(cents)
    values.update(_table_values(t.price_table or {}))
    rows = [{"service_id": str(s.service_id), "quantity": str(s.quantity),
             "reserve": s.reserve or "", "per_week": str(s.per_week),
             "weekday": "" if s.weekday is None else str(s.weekday),
             "start_time": s.start_time or ""} for s in row.services]
    return values, rows, list(t.species), [str(b) for b in t.breed_ids or []]


def _form_ctx(session, shop_id: int, template_id: int | None) -> dict:
    row = templates.get_template(session, shop_id, template_id) if template_id else None
    values, rows, species, breed_ids = _values_of(row)
    return {"row": row, "values": values, "rows": rows, "species": species,
            "breed_ids": breed_ids, "services": templates.shop_services(session, shop_id),
            "breeds": list(session.execute(select(Breed).order_by(Breed.species, Breed.name))
                           .scalars())}


def _page_ctx(ctx: dict) -> dict:
    rows = list(ctx["rows"]) + [{}] * (templates.MAX_SERVICE_ROWS - len(ctx["rows"]))
    return {**ctx, "rows": rows, "KIND_LABELS": PLAN_KIND_LABELS,
            "RESERVE_LABELS": templates.RESERVE_LABELS,
            "breed_rows": range(templates.MAX_BREED_PRICES),
            "METHODS": {k: v for k, v in PAYMENT_METHOD_LABELS.items() if k != "credito_tutor"}}


@routes.get(BASE)
@page(Perm.SETTINGS)
async def template_list(request: web.Request) -> web.Response:
    shop = required_shop(request)
    rows = await read(request, templates.list_templates, shop.id)
    return render(request, "billing/templates.html", {"rows": rows})


def _template_id(request: web.Request) -> int | None:
    return int(request.match_info["id"]) if "id" in request.match_info else None


@routes.get(BASE + "/novo")
@routes.get(BASE + "/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def template_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await read(request, _form_ctx, shop.id, _template_id(request))
    return render(request, "billing/template.html", _page_ctx(ctx))


@routes.post(BASE + "/novo")
@routes.post(BASE + "/{id:[0-9]{1,9}}")
@page(Perm.SETTINGS)
async def template_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    template_id = _template_id(request)
    if data.get("action") in ("activate", "deactivate") and template_id:
        active = data["action"] == "activate"
        await write(request, templates.set_active, shop.id, template_id, active,
                    now=now(request), actor=actor(request))
        raise redirect(BASE, "Plano disponível para venda." if active
                       else "Plano desativado: não aparece mais na venda.")
    species = await form_list(request, "species")
    breed_ids = await form_list(request, "breed_ids")
    rows = _rows_of(data)
    try:
        await write(request, templates.save_template, shop.id, template_id, data, species, rows,
                    breed_ids, now=now(request), actor=actor(request))
    except ValidationFailed as exc:
        ctx = await read(request, _form_ctx, shop.id, template_id)
        ctx.update(values=data, rows=[r for r in rows if r["service_id"]] or rows[:1],
                   species=species, breed_ids=breed_ids)
        return render(request, "billing/template.html",
                      {**_page_ctx(ctx), "errors": field_errors(exc)}, status=422)
    raise redirect(BASE, "Plano salvo.")
