"""The appointment window: status, cancel, no-show, reschedule.

Every write goes through the booking service (``visit_status``, ``booking``)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin.models import StaffUser
from admin.panel import accounts, agenda_data
from admin.panel.agenda.checklist import visit_checklist
from admin.panel.agenda.common import S, check_pin, required_shop, token_secret
from admin.panel.agenda.slots import (
    categories_for,
    employee_choice,
    employee_names,
    group_slots,
    search_slots,
)
from admin.panel.agenda.visit_options import edit_options
from admin.panel.fmt import plural
from admin.panel.pages import (
    db,
    engine,
    form,
    now,
    page,
    panel_path,
    redirect,
    render,
    staff,
)
from admin.panel.permissions import Perm
from admin.panel.timeutil import parse_date
from scheduler_core.agenda.labels import STATUS_LABELS
from scheduler_core.db.engine import read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.scheduling import booking, recurrence, visit_status
from scheduler_core.shop.models import Shop

routes = web.RouteTableDef()


def _detail(session: Session, shop: Shop, appt_id: int) -> dict:
    detail = agenda_data.appointment_detail(session, shop, appt_id)
    if detail is None:
        raise web.HTTPNotFound(text="Agendamento não encontrado.")
    return detail


def _load_window(db_engine: Engine, shop: Shop, appt_id: int) -> tuple[dict, dict[str, str]]:
    """The visit's details, what its "Editar" section offers and the staff names by actor id
    (for its history)."""
    with read_session(db_engine) as session:
        detail = _detail(session, shop, appt_id)
        if detail["appt"].status not in visit_status.CLOSED_STATUSES:
            detail.update(edit_options(session, shop, detail))
        return detail, {
            f"staff:{u.id}": u.name for u in session.exec(select(StaffUser)).all()}


@routes.get("/admin/agendamentos/{id:[0-9]{1,9}}")
@page(Perm.AGENDA_VIEW)
async def appointment_window(request: web.Request) -> web.Response:
    return await render_window(request, int(request.match_info["id"]))


async def render_window(request: web.Request, appt_id: int, extra: dict | None = None,
                        status: int = 200, refused: dict | None = None) -> web.Response:
    """The appointment window. ``extra``: e.g. the conflicts of an edit that no longer fits;
    ``refused`` ({"form", "error", typed values}) shows a refused cancel or no-show form open
    again with its error (422) instead of a dead-end page."""
    shop = required_shop(request)
    detail, actors = await db(request, _load_window, engine(request), shop, appt_id)
    appt = detail["appt"]
    checklist = await visit_checklist(request, shop.id, appt.segment_id, appt.id)
    return render(request, "agenda/appointment.html", {
        **detail, **checklist, "tz": shop.timezone, "flow": visit_status.FLOW, "actors": actors,
        "is_open": detail["appt"].status in visit_status.OPEN_STATUSES,
        "is_closed": detail["appt"].status in visit_status.CLOSED_STATUSES,
        "moves": {m.status: m for m in visit_status.moves_from(
            appt.status, may_revert=staff(request).can(Perm.AGENDA_STATUS_BACK))},
        "refused": refused,
        **(extra or {}),
    }, status=422 if refused else status)


async def _pin_refusal(request: web.Request, data: dict, form_name: str
                       ) -> web.Response | None:
    """The visit's page with the form's PIN error when the operator PIN is wrong, else None."""
    try:
        await db(request, check_pin, request, data.get("operator_pin"))
    except accounts.AccountError as exc:
        return await render_window(request, int(request.match_info["id"]), refused={
            "form": form_name, "error": str(exc), "reason": data.get("reason", ""),
            "escopo": data.get("escopo", "")})
    return None


@routes.post("/admin/agendamentos/{id:[0-9]{1,9}}/status")
@page(Perm.AGENDA_STATUS)
async def appointment_status(request: web.Request) -> web.Response:
    data = await form(request)
    me = staff(request)
    appt_id = int(request.match_info["id"])
    target = data.get("status", "")
    if target in (S.CANCELADO, S.NAO_COMPARECEU) or target not in visit_status.FLOW:
        raise ValidationFailed("Status inválido.")
    await db(request, visit_status.set_status,
             engine(request), appointment_id=appt_id, status=target, now=now(request),
             actor=me.actor, allow_revert=me.can(Perm.AGENDA_STATUS_BACK),
             confirmed_revert=data.get("confirmed_revert") == "1")
    back = panel_path(data.get("back"), f"/admin/agendamentos/{appt_id}")
    raise redirect(back, f"Agendamento #{appt_id}: {STATUS_LABELS[target]}.")


@routes.post("/admin/agendamentos/{id:[0-9]{1,9}}/cancelar")
@page(Perm.APPOINTMENT_CANCEL)
async def appointment_cancel(request: web.Request) -> web.Response:
    data = await form(request)
    if (refusal := await _pin_refusal(request, data, "cancelar")) is not None:
        return refusal
    appt_id = int(request.match_info["id"])
    reason = (data.get("reason") or "").strip()[:300]
    if data.get("escopo") == "seguintes":
        ids = await db(request, recurrence.cancel_following, engine(request),
                       appointment_id=appt_id, now=now(request), actor=staff(request).actor,
                       reason=reason)
        raise redirect(f"/admin/agendamentos/{appt_id}",
                       f"{plural(len(ids), 'agendamento')} da série "
                       f"{'cancelado' if len(ids) == 1 else 'cancelados'}.")
    await db(request, visit_status.cancel, engine(request), appointment_id=appt_id,
             now=now(request), actor=staff(request).actor, channel="staff", reason=reason)
    raise redirect(f"/admin/agendamentos/{appt_id}", f"Agendamento #{appt_id} cancelado.")


@routes.post("/admin/agendamentos/{id:[0-9]{1,9}}/falta")
@page(Perm.APPOINTMENT_CANCEL)
async def appointment_no_show(request: web.Request) -> web.Response:
    data = await form(request)
    if (refusal := await _pin_refusal(request, data, "falta")) is not None:
        return refusal
    appt_id = int(request.match_info["id"])
    await db(request, visit_status.mark_no_show, engine(request), appointment_id=appt_id,
             now=now(request), actor=staff(request).actor)
    raise redirect(f"/admin/agendamentos/{appt_id}",
                   f"Agendamento #{appt_id} marcado como “Não compareceu”.")


# --------------------------------------------------------------------------- reschedule


def _load_reschedule(db_engine: Engine, shop: Shop, appt_id: int
                     ) -> tuple[dict, dict[int, str], list[dict]]:
    """The visit, the employees' names, and per category of its services who can do it for
    this pet (the professional choice)."""
    with read_session(db_engine) as session:
        detail = _detail(session, shop, appt_id)
        categories = categories_for(session, shop.id,
                                    [it["service_id"] for it in detail["items"]],
                                    detail["pet"].species if detail["pet"] else None)
        return detail, employee_names(session, shop.id), categories


@routes.get("/admin/agendamentos/{id:[0-9]{1,9}}/remarcar")
@page(Perm.AGENDA_BOOK)
async def reschedule_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    appt_id = int(request.match_info["id"])
    detail, names, categories = await db(request, _load_reschedule, engine(request), shop,
                                         appt_id)
    day = parse_date(request.query.get("data")) or detail["start"].date()
    choice = employee_choice(request.query, categories)
    offer = await search_slots(request, shop, pet_id=detail["appt"].pet_id, service_ids=[],
                    date_from=day, date_to=day, employee_by_category=choice,
                    moving_appointment_id=appt_id)
    kept = "".join(f"&prof_{cat}={emp}" for cat, emp in choice.items())
    return render(request, "agenda/reschedule.html", {
        **detail, "day": day, "offer": offer, "groups": group_slots(offer, names),
        "categories": categories, "choice": choice,
        "prev_day": (day - timedelta(days=1)).isoformat() + kept,
        "next_day": (day + timedelta(days=1)).isoformat() + kept,
    })


@routes.post("/admin/agendamentos/{id:[0-9]{1,9}}/remarcar")
@page(Perm.AGENDA_BOOK)
async def reschedule_submit(request: web.Request) -> web.Response:
    data = await form(request)
    appt_id = int(request.match_info["id"])
    if not data.get("token"):
        raise ValidationFailed("Escolha um horário livre.")
    await db(request, booking.reschedule, engine(request), appointment_id=appt_id,
             token=data["token"], now=now(request), secret=token_secret(request),
             actor=staff(request).actor, channel="staff")
    raise redirect(f"/admin/agendamentos/{appt_id}", f"Agendamento #{appt_id} remarcado.")
