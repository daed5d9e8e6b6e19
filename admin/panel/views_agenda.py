"""Agenda screens: day columns, status board, week, the new-appointment wizard, appointment
window (status, reschedule, cancel, no-show), encaixe and "Buscar horários".

Every write goes through the booking service (``scheduler_core.scheduling.booking``,
``visit_status``,
``encaixe``); this module parses, calls, renders.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlmodel import Session, col, select

from admin.appkeys import SETTINGS
from admin.models import Role, StaffUser
from admin.panel import accounts, agenda_data
from admin.panel.pages import (
    engine,
    form,
    form_list,
    int_or_none,
    now,
    page,
    redirect,
    render,
    staff,
)
from admin.panel.permissions import Perm
from admin.panel.timeutil import parse_date, to_local, today
from scheduler_core.agenda.labels import STATUS_LABELS
from scheduler_core.agenda.models import AppointmentStatus
from scheduler_core.catalog import offers as catalog
from scheduler_core.catalog.combos import visit_services
from scheduler_core.catalog.models import Combo, Service, ServiceCategory
from scheduler_core.db.engine import locked_session
from scheduler_core.kernel.errors import CoreError, ValidationFailed
from scheduler_core.people import registry as people
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.scheduling import booking, encaixe, recurrence, visit_status
from scheduler_core.scheduling.agenda_types import NoSlotReason
from scheduler_core.shop.models import Employee, EmployeeCategory, Shop

routes = web.RouteTableDef()
S = AppointmentStatus


async def core(fn, *args, **kwargs):
    """Run a booking-service call in a worker thread: it may wait on the database write lock
    or compute many slots, and the event loop also serves the WhatsApp gateway."""
    return await asyncio.to_thread(fn, *args, **kwargs)
VIEWS = ("dia", "quadro", "semana")
MAX_SEARCH_DAYS = 31


def _shop(request: web.Request) -> Shop:
    shop = staff(request).shop
    if shop is None:
        raise redirect("/admin/config/loja", "Cadastre os dados da loja para começar.", "aviso")
    return shop


def _secret(request: web.Request) -> str:
    return request.config_dict[SETTINGS].secret_key


def _core_errors(exc: CoreError) -> dict[str, str]:
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    return {field or "": exc.message} if field else {"": exc.message}


# --------------------------------------------------------------------------- agenda views


@routes.get("/admin/agenda")
@page(Perm.AGENDA_VIEW)
async def agenda(request: web.Request) -> web.Response:
    shop = _shop(request)
    q = request.query
    view = q.get("visao") if q.get("visao") in VIEWS else "dia"
    day = parse_date(q.get("data")) or today(now(request), shop.timezone)
    segment_id = int_or_none(q.get("segmento"))
    employee_id = int_or_none(q.get("funcionario"))
    status = q.get("status") if q.get("status") in {s.value for s in S} else None
    first = day - timedelta(days=day.weekday()) if view == "semana" else day
    with Session(engine(request)) as session:
        data = agenda_data.load_agenda(
            session, shop, first, days=7 if view == "semana" else 1, segment_id=segment_id,
            employee_id=employee_id, status=status,
        )
        all_employees = agenda_data.employees_of(session, shop.id, calendar_only=True)
    step = 7 if view == "semana" else 1
    return render(request, "agenda/agenda.html", {
        "view": view, "day": day, "data": data, "segment_id": segment_id,
        "employee_id": employee_id, "status": status, "all_employees": all_employees,
        "prev_day": (day - timedelta(days=step)).isoformat(),
        "next_day": (day + timedelta(days=step)).isoformat(),
        "today": today(now(request), shop.timezone),
        "hour_px": 72, "flow": visit_status.FLOW,
        "next_status": {s: visit_status.FLOW[i + 1] for i, s in enumerate(visit_status.FLOW[:-1])},
    })


@routes.get("/admin/agendamentos/{id:[0-9]{1,9}}")
@page(Perm.AGENDA_VIEW)
async def appointment_window(request: web.Request) -> web.Response:
    shop = _shop(request)
    with Session(engine(request)) as session:
        detail = agenda_data.appointment_detail(session, shop, int(request.match_info["id"]))
        if detail is None:
            raise web.HTTPNotFound(text="Agendamento não encontrado.")
        actors = {f"staff:{u.id}": u.name for u in session.exec(select(StaffUser)).all()}
    return render(request, "agenda/appointment.html", {
        **detail, "flow": visit_status.FLOW, "actors": actors,
        "is_open": detail["appt"].status in visit_status.OPEN_STATUSES,
        "is_closed": detail["appt"].status in visit_status.CLOSED_STATUSES,
    })


@routes.post("/admin/agendamentos/{id:[0-9]{1,9}}/status")
@page(Perm.AGENDA_STATUS)
async def appointment_status(request: web.Request) -> web.Response:
    data = await form(request)
    me = staff(request)
    appt_id = int(request.match_info["id"])
    target = data.get("status", "")
    if target in (S.CANCELADO, S.NAO_COMPARECEU) or target not in visit_status.FLOW:
        raise ValidationFailed("Status inválido.")
    await core(visit_status.set_status,
        engine(request), appointment_id=appt_id, status=target, now=now(request),
        actor=me.actor, allow_revert=me.user.role == Role.DONO,
    )
    back = data.get("back") or f"/admin/agendamentos/{appt_id}"
    if not back.startswith("/admin"):
        back = f"/admin/agendamentos/{appt_id}"
    raise redirect(back, f"Agendamento #{appt_id}: {STATUS_LABELS[target]}.")


def _check_pin(request: web.Request, pin: str | None) -> None:
    with Session(engine(request)) as session:
        accounts.check_pin(session.get(StaffUser, staff(request).user.id), pin)


@routes.post("/admin/agendamentos/{id:[0-9]{1,9}}/cancelar")
@page(Perm.APPOINTMENT_CANCEL)
async def appointment_cancel(request: web.Request) -> web.Response:
    data = await form(request)
    _check_pin(request, data.get("operator_pin"))
    appt_id = int(request.match_info["id"])
    reason = (data.get("reason") or "").strip()[:300]
    if data.get("escopo") == "seguintes":
        ids = await core(recurrence.cancel_following, engine(request), appointment_id=appt_id,
                         now=now(request), actor=staff(request).actor, reason=reason)
        raise redirect(f"/admin/agendamentos/{appt_id}",
                       f"{len(ids)} agendamento(s) da série cancelado(s).")
    await core(visit_status.cancel, engine(request), appointment_id=appt_id, now=now(request),
                        actor=staff(request).actor, channel="staff", reason=reason)
    raise redirect(f"/admin/agendamentos/{appt_id}", f"Agendamento #{appt_id} cancelado.")


@routes.post("/admin/agendamentos/{id:[0-9]{1,9}}/falta")
@page(Perm.APPOINTMENT_CANCEL)
async def appointment_no_show(request: web.Request) -> web.Response:
    data = await form(request)
    _check_pin(request, data.get("operator_pin"))
    appt_id = int(request.match_info["id"])
    await core(visit_status.mark_no_show, engine(request), appointment_id=appt_id, now=now(request),
                              actor=staff(request).actor)
    raise redirect(f"/admin/agendamentos/{appt_id}",
                   f"Agendamento #{appt_id} marcado como “Não compareceu”.")


# --------------------------------------------------------------------------- slot search


def _categories_for(session: Session, service_ids: list[int]) -> list[dict]:
    """For the optional "choose the professional": each category of the chosen services with
    the employees who work in it."""
    if not service_ids:
        return []
    cats = session.exec(
        select(ServiceCategory).join(Service, Service.category_id == ServiceCategory.id)
        .where(col(Service.id).in_(service_ids)).distinct()
        .order_by(ServiceCategory.display_order, ServiceCategory.id)
    ).all()
    out = []
    for cat in cats:
        emps = session.exec(
            select(Employee).join(EmployeeCategory, EmployeeCategory.employee_id == Employee.id)
            .where(EmployeeCategory.category_id == cat.id, Employee.active.is_(True),
                   Employee.has_calendar.is_(True))
            .order_by(Employee.name)
        ).all()
        out.append({"id": cat.id, "name": cat.name, "employees": emps})
    return out


def _employee_choice(query, categories: list[dict]) -> dict[int, int]:
    choice = {}
    for cat in categories:
        emp = int_or_none(query.get(f"prof_{cat['id']}"))
        if emp and any(e.id == emp for e in cat["employees"]):
            choice[cat["id"]] = emp
    return choice


ONE_COMBO = "Escolha apenas um combo por agendamento; outros serviços podem ser marcados à parte."


def _one_combo(combo_ids: list[int]) -> int | None:
    """The chosen combo (a visit is at most one combo; its discount is applied by the core)."""
    if len(set(combo_ids)) > 1:
        raise ValidationFailed(ONE_COMBO, details={"field": "combo"})
    return combo_ids[0] if combo_ids else None


async def _search(request, shop: Shop, *, pet_id: int, service_ids: list[int], date_from: date,
            date_to: date, employee_by_category: dict[int, int],
            moving_appointment_id: int | None = None, combo_id: int | None = None):
    """Slots for the services, or for the combo (``service_ids`` then adds extra services);
    a combo's slots are priced with its discount and the token books it as that combo."""
    return await core(booking.find_slots,
        engine(request), shop_id=shop.id, pet_id=pet_id, service_ids=service_ids,
        date_from=date_from, date_to=date_to, channel="staff", now=now(request),
        secret=_secret(request), employee_by_category=employee_by_category or None,
        moving_appointment_id=moving_appointment_id, combo_id=combo_id,
    )


def _group_slots(offer, employees: dict[int, str], limit: int = 400) -> list[dict]:
    days: dict[date, list] = {}
    for slot in offer.slots[:limit]:
        days.setdefault(slot.start.date(), []).append({
            "start": slot.start, "end": slot.end, "token": slot.token,
            "total_cents": slot.total_cents, "discount_cents": slot.discount_cents,
            "who": ", ".join(dict.fromkeys(employees.get(i.employee_id, "?")
                                           for i in slot.items)),
        })
    return [{"day": d, "slots": s} for d, s in sorted(days.items())]


def _encaixe_url(offer, pet_id: int, day: date, service_ids: list[int]) -> str | None:
    """When a restriction is what stops the booking, the way to override it: an encaixe (staff
    with agenda.book; the audit entry records the overridden restriction). Decision: the
    restriction override of scheduling.md §3.3 step 4 is the encaixe, not a second path."""
    if offer.slots or offer.reason is not NoSlotReason.RESTRICTION:
        return None
    query = [("pet", str(pet_id)), ("data", day.isoformat())]
    query += [("servico", str(i)) for i in service_ids]
    return "/admin/encaixe?" + urlencode(query)


def _employee_names(session: Session, shop_id: int) -> dict[int, str]:
    return {e.id: e.name for e in session.exec(
        select(Employee).where(Employee.shop_id == shop_id)).all()}


# --------------------------------------------------------------------------- wizard


@routes.get("/admin/agenda/novo")
@page(Perm.AGENDA_BOOK)
async def wizard(request: web.Request) -> web.Response:
    shop = _shop(request)
    q = request.query
    ctx: dict = {"q": q.get("q", ""), "step": 1}
    tutor_id = int_or_none(q.get("tutor"))
    pet_id = int_or_none(q.get("pet"))
    service_ids = [int(s) for s in q.getall("servico", []) if s.isdigit()]
    combo_ids = [int(s) for s in q.getall("combo", []) if s.isdigit()]
    day = parse_date(q.get("data"))
    with Session(engine(request)) as session:
        if pet_id and not tutor_id:
            pet = people.get_pet(session, pet_id, shop.id)
            tutor_id = pet.tutor_id
        if not tutor_id:
            ctx["results"] = people.search_tutors(session, shop.id, ctx["q"]) if ctx["q"] else []
            return render(request, "agenda/new.html", ctx)
        tutor = people.get_tutor(session, tutor_id, shop.id)
        ctx.update(tutor=tutor, step=2, pets=people.pets_of(session, tutor.id))
        if not pet_id:
            ctx["breeds"] = _breeds(session)
            return render(request, "agenda/new.html", ctx)
        pet = people.get_pet(session, pet_id, shop.id)
        cat = catalog.services_for_pet(session, shop.id, pet.id, channel="staff")
        ctx.update(pet=pet, step=3, catalog=cat, chosen=set(service_ids),
                   chosen_combos=set(combo_ids), leva_e_traz=q.get("lt") == "1",
                   shop=shop)
        all_ids = visit_services(session, service_ids, combo_ids)
        if not all_ids or q.get("etapa") == "servicos":
            if q.get("etapa") != "servicos" and (service_ids or combo_ids):
                ctx["errors"] = {"": "Escolha pelo menos um serviço."}
            return render(request, "agenda/new.html", ctx)
        if len(set(combo_ids)) > 1:
            ctx["errors"] = {"": ONE_COMBO}
            return render(request, "agenda/new.html", ctx, status=422)
        combo_id = _one_combo(combo_ids)
        combo = session.get(Combo, combo_id) if combo_id else None
        categories = _categories_for(session, all_ids)
        names = _employee_names(session, shop.id)
        services = {s.id: s.name for s in session.exec(
            select(Service).where(col(Service.id).in_(all_ids))).all()}
    day = day or today(now(request), shop.timezone)
    choice = _employee_choice(q, categories)
    offer = await _search(request, shop, pet_id=pet.id,
                          service_ids=service_ids if combo_id else all_ids, date_from=day,
                          date_to=day, employee_by_category=choice, combo_id=combo_id)
    ctx.update(step=4, day=day, categories=categories, choice=choice, offer=offer,
               combo_name=combo.name if combo else "",
               groups=_group_slots(offer, names), service_ids=service_ids, combo_ids=combo_ids,
               encaixe_url=_encaixe_url(offer, pet.id, day, all_ids), all_ids=all_ids,
               service_names=[services[i] for i in all_ids if i in services],
               prev_day=(day - timedelta(days=1)).isoformat(),
               next_day=(day + timedelta(days=1)).isoformat(),
               idempotency_key=secrets.token_urlsafe(16))
    return render(request, "agenda/new.html", ctx)


def _breeds(session: Session):
    from scheduler_core.people.models import Breed

    return session.exec(select(Breed).order_by(Breed.species, Breed.name)).all()


@routes.post("/admin/agenda/novo/tutor")
@page(Perm.AGENDA_BOOK)
async def wizard_new_tutor(request: web.Request) -> web.Response:
    shop = _shop(request)
    data = await form(request)
    values = {k: data.get(k, "") for k in ("name", "whatsapp", "cpf", "email")}
    try:
        with locked_session(engine(request)) as session:
            tutor = people.create_tutor(session, shop.id, values,
                                        today=today(now(request), shop.timezone))
            from scheduler_core.audit import log as audit

            audit.record(session, at=now(request), actor=staff(request).actor,
                            action="tutor.create", entity="tutor", entity_id=tutor.id,
                            shop_id=shop.id)
            session.commit()
            tutor_id = tutor.id
    except ValidationFailed as exc:
        return render(request, "agenda/new.html", {
            "step": 1, "q": "", "results": [], "errors": _core_errors(exc), "new_tutor": values,
        }, status=422)
    raise redirect(f"/admin/agenda/novo?tutor={tutor_id}", "Tutor cadastrado.")


PET_FORM_FIELDS = ("name", "species", "breed_id", "porte", "pelagem", "sex", "weight_kg",
                   "birth_date", "notes")


def pet_values(data: dict) -> dict:
    """The pet form's fields for people.create_pet / update_pet.

    The breed select posts the breed's id as text; the core takes an int id (or a free-text
    ``breed``), so an ASCII-digit id becomes an int here and anything else is passed on for the
    core to refuse ("Raça inválida.").
    """
    values = {k: data.get(k, "").strip() for k in PET_FORM_FIELDS if data.get(k, "").strip()}
    values.setdefault("name", "")
    if "weight_kg" in values:
        values["weight_kg"] = values["weight_kg"].replace(",", ".")
    breed_id = values.get("breed_id")
    if breed_id is not None and breed_id.isascii() and breed_id.isdigit():
        values["breed_id"] = int(breed_id)
    return values


@routes.post("/admin/agenda/novo/pet")
@page(Perm.AGENDA_BOOK)
async def wizard_new_pet(request: web.Request) -> web.Response:
    shop = _shop(request)
    data = await form(request)
    tutor_id = int_or_none(data.get("tutor_id")) or 0
    values = pet_values(data)
    try:
        with locked_session(engine(request)) as session:
            pet = people.create_pet(session, tutor_id, values, shop_id=shop.id,
                                    today=today(now(request), shop.timezone))
            session.commit()
            pet_id = pet.id
    except ValidationFailed as exc:
        with Session(engine(request)) as session:
            tutor = people.get_tutor(session, tutor_id, shop.id)
            return render(request, "agenda/new.html", {
                "step": 2, "tutor": tutor, "pets": people.pets_of(session, tutor.id),
                "breeds": _breeds(session), "errors": _core_errors(exc), "new_pet": values,
            }, status=422)
    raise redirect(f"/admin/agenda/novo?tutor={tutor_id}&pet={pet_id}", "Pet cadastrado.")


@routes.post("/admin/agenda/novo")
@page(Perm.AGENDA_BOOK)
async def wizard_book(request: web.Request) -> web.Response:
    data = await form(request)
    token = data.get("token", "")
    if not token:
        raise ValidationFailed("Escolha um horário livre.")
    checklist = await form_list(request, "checklist")
    notes = (data.get("notes") or "").strip()
    if checklist:
        notes = ("Checklist: " + ", ".join(checklist) + (". " + notes if notes else "")).strip()
    common = {"token": token, "now": now(request), "secret": _secret(request),
              "actor": staff(request).actor, "notes": notes[:2000],
              "idempotency_key": data.get("idempotency_key") or None,
              "leva_e_traz": data.get("leva_e_traz") == "1"}
    rule = _repeat_rule(data)
    shop = _shop(request)
    if rule is None:
        appt = await core(booking.book, engine(request), origin="staff", **common)
        message = f"Agendamento #{appt.id} criado."
    else:
        result = await core(recurrence.book_series, engine(request), **rule, **common)
        appt = result.appointments[0]
        message = _series_message(result, shop.timezone)
    day = appt.start
    local_day = (day if day.tzinfo else day.replace(tzinfo=ZoneInfo("UTC"))).astimezone(
        ZoneInfo(shop.timezone)).date()
    raise redirect(f"/admin/agenda?data={local_day.isoformat()}", message)


def _repeat_rule(data) -> dict | None:
    """The wizard's "Repetir" fields → book_series arguments (None: no repetition). An end date
    wins over a count; the core validates the ranges (pt-BR errors)."""
    every = int_or_none(data.get("repetir"))
    if not every:
        return None
    until = parse_date(data.get("ate"))
    if until is not None:
        return {"every_weeks": every, "until": until}
    count = int_or_none(data.get("vezes"))
    if count is None:
        raise ValidationFailed("Repetição: informe quantas vezes ou até que data.")
    return {"every_weeks": every, "count": count}


def _series_message(result, tz: str) -> str:
    booked = ", ".join(f"{to_local(a.start, tz):%d/%m}" for a in result.appointments)
    text = f"Série criada: {len(result.appointments)} agendamento(s) ({booked})."
    if result.conflicts:
        missed = "; ".join(f"{c.day:%d/%m}: {c.message}" for c in result.conflicts)
        text += f" Não couberam, marque outro horário ou um encaixe: {missed}"
    return text


# --------------------------------------------------------------------------- reschedule


@routes.get("/admin/agendamentos/{id:[0-9]{1,9}}/remarcar")
@page(Perm.AGENDA_BOOK)
async def reschedule_form(request: web.Request) -> web.Response:
    shop = _shop(request)
    appt_id = int(request.match_info["id"])
    with Session(engine(request)) as session:
        detail = agenda_data.appointment_detail(session, shop, appt_id)
        if detail is None:
            raise web.HTTPNotFound(text="Agendamento não encontrado.")
        names = _employee_names(session, shop.id)
    day = parse_date(request.query.get("data")) or detail["start"].date()
    offer = await _search(request, shop, pet_id=detail["appt"].pet_id, service_ids=[],
                    date_from=day, date_to=day, employee_by_category={},
                    moving_appointment_id=appt_id)
    return render(request, "agenda/reschedule.html", {
        **detail, "day": day, "offer": offer, "groups": _group_slots(offer, names),
        "prev_day": (day - timedelta(days=1)).isoformat(),
        "next_day": (day + timedelta(days=1)).isoformat(),
    })


@routes.post("/admin/agendamentos/{id:[0-9]{1,9}}/remarcar")
@page(Perm.AGENDA_BOOK)
async def reschedule_submit(request: web.Request) -> web.Response:
    data = await form(request)
    appt_id = int(request.match_info["id"])
    if not data.get("token"):
        raise ValidationFailed("Escolha um horário livre.")
    await core(booking.reschedule, engine(request), appointment_id=appt_id, token=data["token"],
                       now=now(request), secret=_secret(request), actor=staff(request).actor,
                       channel="staff")
    raise redirect(f"/admin/agendamentos/{appt_id}", f"Agendamento #{appt_id} remarcado.")


# --------------------------------------------------------------------------- encaixe


def _parse_local(day_text: str, time_text: str, tz: str) -> datetime | None:
    day = parse_date(day_text)
    try:
        hh, mm = (time_text or "").strip().split(":")
        return datetime(day.year, day.month, day.day, int(hh), int(mm), tzinfo=ZoneInfo(tz))
    except (AttributeError, ValueError):
        return None


async def _encaixe_context(request: web.Request, shop: Shop, values: dict) -> dict:
    pet_id = int_or_none(values.get("pet"))
    with Session(engine(request)) as session:
        pet = people.get_pet(session, pet_id, shop.id) if pet_id else None
        ctx = {"pet": pet, "values": values}
        if pet is None:
            return ctx
        ctx["tutor"] = session.get(Tutor, pet.tutor_id)
        ctx["catalog"] = catalog.services_for_pet(session, shop.id, pet.id, channel="staff")
        chosen = [int(s) for s in values.get("servico", []) if str(s).isdigit()]
        ctx["chosen"] = set(chosen)
        employees = session.exec(
            select(Employee).where(Employee.shop_id == shop.id, Employee.active.is_(True),
                                   Employee.has_calendar.is_(True)).order_by(Employee.name)
        ).all()
        ctx["employees"] = employees
        ctx["services"] = session.exec(
            select(Service).where(col(Service.id).in_(chosen))).all() if chosen else []
    return ctx


@routes.get("/admin/encaixe")
@page(Perm.AGENDA_BOOK)
async def encaixe_form(request: web.Request) -> web.Response:
    shop = _shop(request)
    q = request.query
    values = {"pet": q.get("pet", ""), "servico": q.getall("servico", []),
              "data": q.get("data", today(now(request), shop.timezone).isoformat()),
              "hora": q.get("hora", "")}
    ctx = await _encaixe_context(request, shop, values)
    return render(request, "agenda/encaixe.html", ctx)


@routes.post("/admin/encaixe")
@page(Perm.AGENDA_BOOK)
async def encaixe_submit(request: web.Request) -> web.Response:
    shop = _shop(request)
    data = await form(request)
    values = {"pet": data.get("pet", ""), "servico": await form_list(request, "servico"),
              "data": data.get("data", ""), "hora": data.get("hora", ""),
              "notes": data.get("notes", "")}
    for key, val in data.items():
        if key.startswith("emp_"):
            values[key] = val
    ctx = await _encaixe_context(request, shop, values)
    errors: dict[str, str] = {}
    start = _parse_local(values["data"], values["hora"], shop.timezone)
    if start is None:
        errors["hora"] = "Informe a data e a hora (HH:MM)."
    service_ids = [int(s) for s in values["servico"] if s.isdigit()]
    if not service_ids:
        errors["servico"] = "Escolha pelo menos um serviço."
    choice = {}
    for sid in service_ids:
        emp = int_or_none(data.get(f"emp_{sid}"))
        if not emp:
            errors[f"emp_{sid}"] = "Escolha o profissional."
        else:
            choice[sid] = emp
    if errors or ctx.get("pet") is None:
        ctx["errors"] = errors or {"": "Escolha o pet."}
        return render(request, "agenda/encaixe.html", ctx, status=422)
    if data.get("confirm") != "1":
        conflicts = await core(encaixe.encaixe_conflicts,
            engine(request), pet_id=ctx["pet"].id, service_ids=service_ids, start=start,
            employee_by_service=choice, now=now(request),
        )
        ctx.update(conflicts=conflicts, preview=True)
        return render(request, "agenda/encaixe.html", ctx)
    _check_pin(request, data.get("operator_pin"))
    result = await core(encaixe.encaixe,
        engine(request), pet_id=ctx["pet"].id, service_ids=service_ids, start=start,
        employee_by_service=choice, now=now(request), actor=staff(request).actor,
        notes=(data.get("notes") or "")[:2000],
    )
    raise redirect(f"/admin/agenda?data={start.date().isoformat()}",
                   f"Encaixe #{result.appointment.id} criado"
                   + (f" ({len(result.conflicts)} conflito(s) registrado(s) na auditoria)."
                      if result.conflicts else "."))


# --------------------------------------------------------------------------- Buscar horários


@routes.get("/admin/horarios")
@page(Perm.AGENDA_BOOK)
async def free_slots(request: web.Request) -> web.Response:
    shop = _shop(request)
    q = request.query
    ctx: dict = {"q": q.get("q", "")}
    pet_id = int_or_none(q.get("pet"))
    first = parse_date(q.get("de")) or today(now(request), shop.timezone)
    last = parse_date(q.get("ate")) or first + timedelta(days=6)
    ctx.update(date_from=first, date_to=last)
    with Session(engine(request)) as session:
        if not pet_id:
            results = people.search_tutors(session, shop.id, ctx["q"]) if ctx["q"] else []
            ctx["results"] = [(t, people.pets_of(session, t.id)) for t in results]
            return render(request, "agenda/slots.html", ctx)
        pet = people.get_pet(session, pet_id, shop.id)
        ctx.update(pet=pet, tutor=session.get(Tutor, pet.tutor_id),
                   catalog=catalog.services_for_pet(session, shop.id, pet.id, channel="staff"))
        service_ids = [int(s) for s in q.getall("servico", []) if s.isdigit()]
        combo_ids = [int(s) for s in q.getall("combo", []) if s.isdigit()]
        all_ids = visit_services(session, service_ids, combo_ids)
        ctx.update(chosen=set(service_ids), chosen_combos=set(combo_ids))
        if len(set(combo_ids)) > 1:
            ctx.update(errors={"": ONE_COMBO}, categories=[])
            return render(request, "agenda/slots.html", ctx, status=422)
        combo_id = _one_combo(combo_ids)
        categories = _categories_for(session, all_ids)
        names = _employee_names(session, shop.id)
    ctx.update(categories=categories)
    if not all_ids:
        return render(request, "agenda/slots.html", ctx)
    if last < first:
        ctx["errors"] = {"": "A data final deve ser igual ou posterior à inicial."}
        return render(request, "agenda/slots.html", ctx, status=422)
    if (last - first).days >= MAX_SEARCH_DAYS:
        ctx["errors"] = {"": f"Busque no máximo {MAX_SEARCH_DAYS} dias de cada vez."}
        return render(request, "agenda/slots.html", ctx, status=422)
    choice = _employee_choice(q, categories)
    offer = await _search(request, shop, pet_id=pet.id,
                          service_ids=service_ids if combo_id else all_ids, date_from=first,
                          date_to=last, employee_by_category=choice, combo_id=combo_id)
    ctx.update(offer=offer, groups=_group_slots(offer, names), choice=choice,
               service_ids=service_ids, combo_ids=combo_ids,
               encaixe_url=_encaixe_url(offer, pet.id, first, all_ids),
               idempotency_key=secrets.token_urlsafe(16))
    return render(request, "agenda/slots.html", ctx)


__all__ = ["routes", "Pet"]
