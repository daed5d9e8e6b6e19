"""Planos & Pacotes: the shop's sold plans with the indicator buckets and one-click renew, and
the tutor's "Planos & Pacotes" page (per pet: sold plans, cycles with their invoices, "Ver ciclo",
Histórico de uso, Registros do plano; sell, cancel, renew, manual counter edit)."""

from __future__ import annotations

from datetime import date, time

from aiohttp import web
from sqlmodel import Session

from admin.panel.billing.common import actor, read, shop_today, write
from admin.panel.config.common import field_errors, required_shop
from admin.panel.fmt import plural
from admin.panel.pages import db, engine, form, now, page, panel_path, redirect, render
from admin.panel.permissions import Perm
from app.keys import SETTINGS
from scheduler_core.billing.models import BillingCycle
from scheduler_core.kernel.errors import CoreError, ValidationFailed
from scheduler_core.kernel.forms import (
    FieldError,
    parse_form_date,
    parse_hhmm,
    parse_id,
    parse_int,
    parse_money,
)
from scheduler_core.people import registry as people
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.plans import lifecycle, queries, templates
from scheduler_core.plans import service as plans_service
from scheduler_core.plans.models import Allowance, PetPlan
from scheduler_core.scheduling import plan_slots

routes = web.RouteTableDef()
MAX_FIXED_SLOTS = 3


def _tutor_of_shop(session: Session, tutor_id: int, shop_id: int) -> Tutor:
    tutor = session.get(Tutor, tutor_id)
    if tutor is None or tutor.shop_id != shop_id:
        raise web.HTTPNotFound(text="Tutor não encontrado.")
    return tutor


def _plan_of_shop(session: Session, plan_id: int, shop_id: int) -> PetPlan:
    plan = session.get(PetPlan, plan_id)
    if plan is None:
        raise web.HTTPNotFound(text="Plano não encontrado.")
    _tutor_of_shop(session, plan.tutor_id, shop_id)
    return plan


# --------------------------------------------------------------------------- shop's plans list


def _list_ctx(session: Session, shop_id: int, today: date, bucket: str | None) -> dict:
    return {"rows": queries.plan_list(session, shop_id, today=today, bucket=bucket),
            "counts": queries.bucket_counts(session, shop_id, today=today)}


@routes.get("/admin/planos")
@page(Perm.TUTORS_VIEW)
async def plan_list(request: web.Request) -> web.Response:
    shop = required_shop(request)
    bucket = request.query.get("filtro") or None
    if bucket not in queries.BUCKET_LABELS:
        bucket = None
    ctx = await read(request, _list_ctx, shop.id, shop_today(request), bucket)
    return render(request, "billing/plans.html", {
        **ctx, "bucket": bucket, "BUCKETS": queries.BUCKET_LABELS})


def _renew(session: Session, plan_id: int, shop_id: int, *, now_, who: str) -> PetPlan:
    _plan_of_shop(session, plan_id, shop_id)
    return lifecycle.renew_plan(session, plan_id, now=now_, actor=who)


@routes.post("/admin/planos/{id:[0-9]{1,9}}/renovar")
@page(Perm.TUTORS_EDIT)
async def plan_renew(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    back = panel_path(data.get("next"), "/admin/planos", "/admin/")
    try:
        new = await write(request, _renew, int(request.match_info["id"]), shop.id,
                          now_=now(request), who=actor(request))
    except CoreError as exc:
        raise redirect(back, exc.message, "erro") from exc
    raise redirect(back, f"Plano renovado até {new.end_date:%d/%m/%Y}.")


# --------------------------------------------------------------------------- tutor's tab


def _tutor_ctx(session: Session, tutor_id: int, shop_id: int, today: date) -> dict:
    tutor = _tutor_of_shop(session, tutor_id, shop_id)
    pets = people.pets_of(session, tutor.id)
    return {
        "tutor": tutor, "pets": pets,
        "cards": queries.tutor_plans(session, tutor.id, today=today),
        "offers": {p.id: templates.templates_for_pet(session, p.id) for p in pets},
        "today": today, "slot_rows": range(MAX_FIXED_SLOTS),
    }


@routes.get("/admin/tutores/{id:[0-9]{1,9}}/planos")
@page(Perm.TUTORS_VIEW)
async def tutor_plans(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await read(request, _tutor_ctx, int(request.match_info["id"]), shop.id,
                     shop_today(request))
    return render(request, "billing/tutor_plans.html", {**ctx, "tab": "planos"})


def _check_pet(session: Session, pet_id: int | None, tutor_id: int, shop_id: int) -> None:
    _tutor_of_shop(session, tutor_id, shop_id)
    pet = session.get(Pet, pet_id) if pet_id is not None else None
    if pet is None or pet.tutor_id != tutor_id:
        raise ValidationFailed("Escolha um pet deste tutor.", details={"field": "pet_id"})


def _sale_input(data: dict) -> tuple[int | None, int | None, date, int | None]:
    """(pet, template, start date, price override) from the sale form (pt-BR FieldError)."""
    if not (data.get("start_date") or "").strip():
        raise FieldError("Informe a data de início.")
    start = parse_form_date(data.get("start_date"), label="Início")
    price = parse_money(data.get("price"), required=False, label="O preço")
    return parse_id(data.get("pet_id")), parse_id(data.get("template_id")), start, price


@routes.post("/admin/tutores/{id:[0-9]{1,9}}/planos/vender")
@page(Perm.TUTORS_EDIT)
async def plan_sell(request: web.Request) -> web.Response:
    shop = required_shop(request)
    tutor_id = int(request.match_info["id"])
    back = f"/admin/tutores/{tutor_id}/planos"
    data = await form(request)
    try:
        pet_id, template_id, start, price = _sale_input(data)
        await read(request, _check_pet, pet_id, tutor_id, shop.id)
        if template_id is None:
            raise FieldError("Escolha o plano ou pacote.")
        if price is None:
            price = await read(request, templates.sale_price, template_id, pet_id)
        sale = {"pet_id": pet_id, "template_id": template_id, "start_date": start,
                "now": now(request), "actor": actor(request), "price_cents": price}
        slots = _fixed_slots(data) if data.get("fixed") == "1" else []
        if slots:
            sold = await db(request, plan_slots.sell_with_fixed_slots, engine(request),
                            slots=slots, secret=request.config_dict[SETTINGS].secret_key, **sale)
            plan, message = sold.plan, _fixed_message(sold)
        else:
            plan = await db(request, plans_service.sell_plan, engine(request), **sale)
            message = "Plano vendido: ciclos e faturas gerados."
    except FieldError as exc:
        raise redirect(back, str(exc), "erro") from exc
    except CoreError as exc:
        raise redirect(back, exc.message, "erro") from exc
    raise redirect(f"{back}#plano-{plan.id}", message)


def _fixed_slots(data: dict) -> list[plan_slots.FixedSlot]:
    """The sale form's "horário fixo" rows (weekday + HH:MM); blank rows are skipped."""
    slots = []
    for i in range(MAX_FIXED_SLOTS):
        day, hhmm = data.get(f"slot_day_{i}", ""), data.get(f"slot_time_{i}", "")
        if not day and not hhmm:
            continue
        weekday = parse_int(day, label="Dia do horário fixo", minimum=0, maximum=6)
        hours, minutes = parse_hhmm(hhmm, label="Hora do horário fixo").split(":")
        if hours == "24":
            raise FieldError("Hora do horário fixo: horário inválido (24:00).")
        slots.append(plan_slots.FixedSlot(weekday, time(int(hours), int(minutes))))
    if not slots:
        raise FieldError("Horário fixo: escolha o dia da semana e a hora.")
    return slots


def _fixed_message(sold: plan_slots.FixedSlotSale) -> str:
    count = len(sold.appointments)
    text = (f"Plano vendido: ciclos e faturas gerados; {plural(count, 'visita')} "
            f"{'agendada' if count == 1 else 'agendadas'} no horário fixo.")
    if sold.conflicts:
        text += " Não couberam (agende outro horário): " + "; ".join(
            f"{c.day:%d/%m}: {c.message}" for c in sold.conflicts)
    return text


def _cancel(session: Session, plan_id: int, shop_id: int, *, keep: bool, now_, who: str):
    _plan_of_shop(session, plan_id, shop_id)
    return lifecycle.cancel_plan(session, plan_id, cancel_future_visits=not keep, now=now_,
                                 actor=who)


@routes.post("/admin/planos/{id:[0-9]{1,9}}/cancelar")
@page(Perm.TUTORS_EDIT)
async def plan_cancel(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    plan_id = int(request.match_info["id"])
    tutor_id = await read(request, lambda s: _plan_of_shop(s, plan_id, shop.id).tutor_id)
    back = f"/admin/tutores/{tutor_id}/planos"
    if data.get("visits") not in ("manter", "cancelar"):
        raise redirect(back, "Escolha se as visitas futuras ficam ou são canceladas.", "erro")
    try:
        result = await write(request, _cancel, plan_id, shop.id,
                             keep=data["visits"] == "manter", now_=now(request),
                             who=actor(request))
    except CoreError as exc:
        raise redirect(back, exc.message, "erro") from exc
    raise redirect(back, "Plano cancelado: "
                   f"{plural(len(result.cancelled_invoice_ids), 'fatura')} e "
                   f"{plural(len(result.cancelled_appointment_ids), 'visita')} canceladas.")


def _edit(session: Session, allowance_id: int, shop_id: int, *, used: int, reason: str,
          now_, who: str) -> int:
    allowance = session.get(Allowance, allowance_id)
    if allowance is None:
        raise web.HTTPNotFound(text="Contador não encontrado.")
    cycle = session.get(BillingCycle, allowance.cycle_id)
    plan = _plan_of_shop(session, cycle.pet_plan_id, shop_id)
    lifecycle.edit_counter(session, allowance_id, used=used, reason=reason, now=now_, actor=who)
    return plan.tutor_id


@routes.post("/admin/planos/contadores/{id:[0-9]{1,9}}")
@page(Perm.TUTORS_EDIT)
async def counter_edit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    back = panel_path(data.get("next"), "/admin/planos", "/admin/")
    try:
        used = parse_int(data.get("used"), label="Sessões usadas", minimum=0)
        await write(request, _edit, int(request.match_info["id"]), shop.id, used=used,
                    reason=data.get("reason", ""), now_=now(request), who=actor(request))
    except FieldError as exc:
        raise redirect(back, str(exc), "erro") from exc
    except ValidationFailed as exc:
        raise redirect(back, next(iter(field_errors(exc).values())), "erro") from exc
    raise redirect(back, "Contador alterado (registrado em Registros do plano).")
