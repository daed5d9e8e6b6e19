"""The new-appointment wizard: tutor, pet, services, a free time, repeat; booked through
``scheduler_core.scheduling.booking`` / ``recurrence``."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin.panel.agenda.checklist import posted_answers
from admin.panel.agenda.common import core_errors, required_shop, token_secret
from admin.panel.agenda.slots import (
    ONE_COMBO,
    categories_for,
    employee_choice,
    employee_names,
    encaixe_url,
    group_slots,
    one_combo,
    search_slots,
)
from admin.panel.fmt import plural
from admin.panel.pages import (
    db,
    engine,
    form,
    int_or_none,
    now,
    page,
    record_audit,
    redirect,
    render,
    staff,
)
from admin.panel.permissions import Perm
from admin.panel.timeutil import parse_date, to_local, today
from scheduler_core.catalog import offers as catalog
from scheduler_core.catalog.combos import visit_services
from scheduler_core.catalog.models import Combo, Service
from scheduler_core.catalog.segments import services_segment
from scheduler_core.checklists import answers as checklist_answers
from scheduler_core.checklists import service as checklists
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.kernel.forms import parse_ids
from scheduler_core.people import registry as people
from scheduler_core.plans import lifecycle
from scheduler_core.scheduling import booking, day_care, occupancy, recurrence
from scheduler_core.shop.models import Employee, Segment, SegmentKind, Shop

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- wizard


def _wizard_steps(db_engine: Engine, shop: Shop, ctx: dict, chosen: dict,
                  etapa: str | None) -> tuple[int, dict | None]:
    """Fill ``ctx`` for the wizard's steps 1-3 (tutor, pet, services) from ``chosen`` (tutor,
    pet, services, combos, Leva e Traz). (status, None): render the step now; (200, what the
    slot search of step 4 needs) once the services are chosen."""
    tutor_id, pet_id = chosen["tutor"], chosen["pet"]
    service_ids, combo_ids = chosen["services"], chosen["combos"]
    with read_session(db_engine) as session:
        if pet_id and not tutor_id:
            tutor_id = people.get_pet(session, pet_id, shop.id).tutor_id
        if not tutor_id:
            ctx["results"] = people.search_tutors(session, shop.id, ctx["q"]) if ctx["q"] else []
            return 200, None
        tutor = people.get_tutor(session, tutor_id, shop.id)
        ctx.update(tutor=tutor, step=2, pets=people.pets_of(session, tutor.id))
        if not pet_id:
            ctx["breeds"] = _breeds(session)
            return 200, None
        pet = people.get_pet(session, pet_id, shop.id)
        cat = catalog.services_for_pet(session, shop.id, pet.id, channel="staff")
        ctx.update(pet=pet, step=3, catalog=cat, chosen=set(service_ids),
                   chosen_combos=set(combo_ids), leva_e_traz=chosen["lt"], shop=shop)
        all_ids = visit_services(session, service_ids, combo_ids)
        if not all_ids or etapa == "servicos":
            if etapa != "servicos" and (service_ids or combo_ids):
                ctx["errors"] = {"": "Escolha pelo menos um serviço."}
            return 200, None
        if len(set(combo_ids)) > 1:
            ctx["errors"] = {"": ONE_COMBO}
            return 422, None
        combo_id = one_combo(combo_ids)
        return 200, {
            "pet": pet, "all_ids": all_ids, "combo_id": combo_id,
            "combo": session.get(Combo, combo_id) if combo_id else None,
            "categories": categories_for(session, shop.id, all_ids, pet.species),
            "names": employee_names(session, shop.id),
            "services": {s.id: s.name for s in session.exec(
                select(Service).where(col(Service.id).in_(all_ids))).all()},
            "segment_id": services_segment(session, all_ids),
            "segment_kind": getattr(session.get(Segment, services_segment(session, all_ids)),
                                    "kind", ""),
        }


HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _prefill(q) -> dict[str, str]:
    """The day, time and professional of an empty agenda cell the wizard was opened from,
    carried through its steps (only well-formed values)."""
    keep = {}
    if parse_date(q.get("data")):
        keep["data"] = q["data"]
    if HHMM.match(q.get("hora", "")):
        keep["hora"] = q["hora"]
    if int_or_none(q.get("funcionario")):
        keep["funcionario"] = q["funcionario"]
    return keep


def _and(keep: dict[str, str]) -> str:
    """The prefill as the tail of a wizard address ("&data=…&hora=…"), or ""."""
    return f"&{urlencode(keep)}" if keep else ""


def _prefill_employee(db_engine: Engine, shop_id: int, employee_id: int | None) -> str:
    if not employee_id:
        return ""
    with read_session(db_engine) as session:
        found = session.get(Employee, employee_id)
        return found.name if found and found.shop_id == shop_id else ""


@routes.get("/admin/agenda/novo")
@page(Perm.AGENDA_BOOK)
async def wizard(request: web.Request) -> web.Response:
    shop = required_shop(request)
    q = request.query
    keep = _prefill(q)
    ctx: dict = {"q": q.get("q", ""), "step": 1, "keep": keep, "keep_qs": urlencode(keep)}
    if keep.get("hora"):
        ctx["prefill_who"] = await db(request, _prefill_employee, engine(request), shop.id,
                                      int_or_none(keep.get("funcionario")))
    chosen = {"tutor": int_or_none(q.get("tutor")), "pet": int_or_none(q.get("pet")),
              "services": parse_ids(q.getall("servico", [])),
              "combos": parse_ids(q.getall("combo", [])), "lt": q.get("lt") == "1"}
    day = parse_date(q.get("data"))
    status, found = await db(request, _wizard_steps, engine(request), shop, ctx, chosen,
                             q.get("etapa"))
    if found is None:
        return render(request, "agenda/new.html", ctx, status=status)
    service_ids, combo_ids = chosen["services"], chosen["combos"]
    pet, all_ids, combo_id = found["pet"], found["all_ids"], found["combo_id"]
    combo = found["combo"]
    categories, names, services = found["categories"], found["names"], found["services"]
    segment_id = found["segment_id"]
    checklist = await db(request, checklists.segment_items, engine(request), shop_id=shop.id,
                         segment_id=segment_id, stage="agendado")
    day = day or today(now(request), shop.timezone)
    plan_offer, places = await db(request, _day_extras, engine(request), shop.id, pet.id,
                                  all_ids, day, segment_id)
    choice = employee_choice(q, categories)
    wanted = int_or_none(keep.get("funcionario"))
    for cat in categories:  # the professional of the agenda cell, where he does the service
        if wanted and cat["id"] not in choice and any(e.id == wanted for e in cat["employees"]):
            choice[cat["id"]] = wanted
    offer = await search_slots(request, shop, pet_id=pet.id,
                          service_ids=service_ids if combo_id else all_ids, date_from=day,
                          date_to=day, employee_by_category=choice, combo_id=combo_id)
    ctx.update(step=4, day=day, categories=categories, choice=choice, offer=offer,
               combo_name=combo.name if combo else "",
               groups=group_slots(offer, names), service_ids=service_ids, combo_ids=combo_ids,
               encaixe_url=encaixe_url(offer, pet.id, day, all_ids), all_ids=all_ids,
               service_names=[services[i] for i in all_ids if i in services],
               prev_day=(day - timedelta(days=1)).isoformat(),
               next_day=(day + timedelta(days=1)).isoformat(),
               idempotency_key=secrets.token_urlsafe(16), checklist=checklist,
               segment_id=segment_id, plan_offer=plan_offer, places=places,
               day_care_range=found["segment_kind"] == SegmentKind.CRECHE and len(all_ids) == 1,
               range_values={"primeiro": q.get("primeiro", day.strftime("%d/%m/%Y")),
                             "ultimo": q.get("ultimo", "")})
    return render(request, "agenda/new.html", ctx)


@routes.post("/admin/agenda/novo/creche")
@page(Perm.AGENDA_BOOK)
async def wizard_day_care(request: web.Request) -> web.Response:
    """Day care on every day from "primeiro" to "ultimo" (dd/mm/aaaa), one core call
    (``day_care.book_days``); a refusal (full days named) goes back to the wizard's step 4
    with the dates typed."""
    shop = required_shop(request)
    data = await form(request)
    pet_id, service_id = int_or_none(data.get("pet")) or 0, int_or_none(data.get("servico")) or 0
    first, last = parse_date(data.get("primeiro")), parse_date(data.get("ultimo"))
    back = "/admin/agenda/novo?" + urlencode({
        "pet": pet_id, "servico": service_id, "data": first.isoformat() if first else "",
        "primeiro": (data.get("primeiro") or "")[:10], "ultimo": (data.get("ultimo") or "")[:10],
    })
    try:
        if first is None or last is None:
            raise ValidationFailed("Creche: informe o primeiro e o último dia (dd/mm/aaaa).")
        result = await db(request, day_care.book_days, engine(request), pet_id=pet_id,
                          service_id=service_id, first=first, last=last, now=now(request),
                          actor=staff(request).actor, notes=(data.get("notes") or "").strip())
    except ValidationFailed as exc:
        raise redirect(back + "#creche-periodo", exc.message, "erro") from None
    booked = result.appointments
    message = (f"Creche agendada: {plural(len(booked), 'dia')} de "
               f"{to_local(booked[0].start, shop.timezone):%d/%m} a "
               f"{to_local(booked[-1].start, shop.timezone):%d/%m}.")
    if result.skipped:
        message += f" Sem expediente (não agendados): {day_care.days_text(list(result.skipped))}."
    raise redirect(f"/admin/agenda?data={first.isoformat()}", message)


def _day_extras(eng, shop_id: int, pet_id: int, service_ids: list[int], day,
                segment_id: int | None) -> tuple[lifecycle.PlanOffer | None, list]:
    """The pet's active plan covering these services on ``day`` ("incluso no plano — restam
    N") and, for a creche / hotel segment, its places taken that day ("Creche: 8/10")."""
    with Session(eng) as session:
        places = [o for o in occupancy.day_occupancy(session, shop_id, day)
                  if o.segment_id == segment_id]
        return lifecycle.active_plan_for(session, pet_id, service_ids, day), places


def _breeds(session: Session):
    from scheduler_core.people.models import Breed

    return session.exec(select(Breed).order_by(Breed.species, Breed.name)).all()


def create_tutor(request: web.Request, shop: Shop, values: dict) -> int:
    """A new tutor from a panel form (the wizard's or the tutors page's), audited: its id.
    Blocking: run it through ``db``."""
    with locked_session(engine(request)) as session:
        tutor = people.create_tutor(session, shop.id, values,
                                    today=today(now(request), shop.timezone))
        record_audit(session, request, "tutor.create", "tutor", tutor.id)
        session.commit()
        return tutor.id


@routes.post("/admin/agenda/novo/tutor")
@page(Perm.AGENDA_BOOK)
async def wizard_new_tutor(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    values = {k: data.get(k, "") for k in ("name", "whatsapp", "cpf", "email")}
    keep = _prefill(data)
    try:
        tutor_id = await db(request, create_tutor, request, shop, values)
    except ValidationFailed as exc:
        return render(request, "agenda/new.html", {
            "step": 1, "q": "", "results": [], "errors": core_errors(exc), "new_tutor": values,
            "keep": keep, "keep_qs": urlencode(keep),
        }, status=422)
    raise redirect(f"/admin/agenda/novo?tutor={tutor_id}{_and(keep)}", "Tutor cadastrado.")


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


def create_pet(db_engine: Engine, shop: Shop, tutor_id: int, values: dict, now_) -> int:
    """A new pet of the tutor from a panel form (``pet_values``): its id. Blocking: run it
    through ``db``."""
    with locked_session(db_engine) as session:
        pet = people.create_pet(session, tutor_id, values, shop_id=shop.id,
                                today=today(now_, shop.timezone))
        session.commit()
        return pet.id


def _load_pet_step(db_engine: Engine, shop_id: int, tutor_id: int) -> tuple:
    """The tutor (404 when not of this shop), their pets and the breeds: the wizard's step 2."""
    with read_session(db_engine) as session:
        tutor = people.get_tutor(session, tutor_id, shop_id)
        return tutor, people.pets_of(session, tutor.id), _breeds(session)


@routes.post("/admin/agenda/novo/pet")
@page(Perm.AGENDA_BOOK)
async def wizard_new_pet(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    tutor_id = int_or_none(data.get("tutor_id")) or 0
    values = pet_values(data)
    try:
        pet_id = await db(request, create_pet, engine(request), shop, tutor_id, values,
                          now(request))
    except ValidationFailed as exc:
        tutor, pets, breeds = await db(request, _load_pet_step, engine(request), shop.id,
                                       tutor_id)
        return render(request, "agenda/new.html", {
            "step": 2, "tutor": tutor, "pets": pets, "breeds": breeds,
            "errors": core_errors(exc), "new_pet": values,
            "keep": _prefill(data), "keep_qs": urlencode(_prefill(data)),
        }, status=422)
    raise redirect(f"/admin/agenda/novo?tutor={tutor_id}&pet={pet_id}{_and(_prefill(data))}",
                   "Pet cadastrado.")


@routes.post("/admin/agenda/novo")
@page(Perm.AGENDA_BOOK)
async def wizard_book(request: web.Request) -> web.Response:
    data = await form(request)
    token = data.get("token", "")
    if not token:
        raise ValidationFailed("Escolha um horário livre.")
    raw, _photos, _ = await posted_answers(request)
    notes = (data.get("notes") or "").strip()
    shop = required_shop(request)
    segment_id = int_or_none(data.get("segment_id"))
    if segment_id:
        await db(request, checklist_answers.check_booking_answers, engine(request),
                 shop_id=shop.id, segment_id=segment_id, raw=raw)
    common = {"token": token, "now": now(request), "secret": token_secret(request),
              "actor": staff(request).actor, "notes": notes[:2000],
              "idempotency_key": data.get("idempotency_key") or None,
              "leva_e_traz": data.get("leva_e_traz") == "1",
              "pet_plan_id": int_or_none(data.get("pet_plan_id"))}
    rule = _repeat_rule(data)
    if rule is None:
        appt = await db(request, booking.book, engine(request), origin="staff", **common)
        booked = [appt]
        message = f"Agendamento #{appt.id} criado."
    else:
        result = await db(request, recurrence.book_series, engine(request), **rule, **common)
        booked = result.appointments
        appt = result.appointments[0]
        message = _series_message(result, shop.timezone)
    for visit in booked:
        await db(request, checklist_answers.record_answers, engine(request),
                 appointment_id=visit.id, stage="agendado", raw=raw, now=now(request),
                 actor=staff(request).actor)
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
    text = f"Série criada: {plural(len(result.appointments), 'agendamento')} ({booked})."
    if result.conflicts:
        missed = "; ".join(f"{c.day:%d/%m}: {c.message}" for c in result.conflicts)
        text += f" Não couberam, marque outro horário ou um encaixe: {missed}"
    if result.by_plan:
        used = ", ".join(f"{to_local(a.start, tz):%d/%m}" for a in result.by_plan)
        text += f" Pelo plano: {used}."
    if result.priced_normally:
        normal = "; ".join(f"{to_local(a.start, tz):%d/%m}: {a.plan_note}"
                           for a in result.priced_normally)
        text += f" Com o preço normal: {normal}"
    return text
