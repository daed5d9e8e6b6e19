"""Tutors: search, new tutor, the tutor page (pets, visits, invoices, credit, allow-bot), edit.

Tutor writes go through ``scheduler_core.people.registry`` (the same rules as the bot and API)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import desc, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin.panel.agenda.wizard import create_tutor
from admin.panel.agenda_data import ApptView
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
from admin.panel.timeutil import to_local, today
from admin.panel.tutors import access
from scheduler_core.agenda.models import Appointment, AppointmentItem
from scheduler_core.billing.models import CreditEntry, Invoice, InvoiceItem, Payment
from scheduler_core.catalog.models import Service
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.kernel.phones import format_phone_br
from scheduler_core.people import registry as people
from scheduler_core.people.masking import DOT, show_phone, tutor_contact
from scheduler_core.people.models import Breed, Pet, Tutor
from scheduler_core.shop.models import Shop
from scheduler_core.surveys.service import answers_of_tutor

routes = web.RouteTableDef()


TUTOR_FORM_FIELDS = ("name", "whatsapp", "phone2", "cpf", "email", "birth_date", "notes", "cep",
                     "street", "number", "complement", "neighborhood", "city", "state")


def required_shop(request: web.Request) -> Shop:
    shop = staff(request).shop
    if shop is None:
        raise redirect("/admin/config/loja", "Cadastre os dados da loja primeiro.", "aviso")
    return shop


def field_errors(exc: ValidationFailed) -> dict[str, str]:
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    return {field or "": exc.message}


def _search(db_engine: Engine, shop_id: int, q: str) -> tuple[list[Tutor], dict[int, list[Pet]]]:
    """The tutors matching ``q`` (the 30 newest when empty) and their pets."""
    with read_session(db_engine) as session:
        if q:
            tutors = people.search_tutors(session, shop_id, q, limit=50)
        else:
            tutors = session.exec(select(Tutor).where(Tutor.shop_id == shop_id)
                                  .order_by(desc(Tutor.created_at), desc(Tutor.id))
                                  .limit(30)).all()
        pets: dict[int, list[Pet]] = {}
        if tutors:
            for pet in session.exec(select(Pet).where(
                    col(Pet.tutor_id).in_([t.id for t in tutors]))).all():
                pets.setdefault(pet.tutor_id, []).append(pet)
    return tutors, pets


@routes.get("/admin/tutores")
@page(Perm.TUTORS_VIEW)
async def tutors_search(request: web.Request) -> web.Response:
    shop = required_shop(request)
    q = request.query.get("q", "").strip()
    tutors, pets = await db(request, _search, engine(request), shop.id, q)
    sensitive = staff(request).can(Perm.TUTORS_SENSITIVE)
    return render(request, "tutors/search.html", {
        "q": q, "tutors": tutors, "pets": pets,
        "phone": lambda t: show_phone(t.whatsapp, sensitive=sensitive),
    })


def _conversation_sender(db_engine: Engine, shop_id: int, conv_id: int | None
                         ) -> tuple[str, str] | None:
    """(phone, profile name) of an inbox conversation of the shop, for "Cadastrar tutor"."""
    if conv_id is None:
        return None
    from bot import inbox

    with read_session(db_engine) as session:
        return inbox.sender_of(session, conv_id, shop_id)


def _from_conversation(request: web.Request, sender: tuple[str, str] | None,
                       conv_id: int | None) -> dict:
    """The form's context when it was opened from an inbox conversation: its phone (shown
    only to staff who may see sensitive data; the others save it without seeing it)."""
    if sender is None:
        return {}
    return {"from_conv": conv_id, "phone_hidden": bool(sender[0]) and not staff(request).can(
        Perm.TUTORS_SENSITIVE)}


@routes.get("/admin/tutores/novo")
@page(Perm.TUTORS_EDIT)
async def tutor_new(request: web.Request) -> web.Response:
    shop = required_shop(request)
    conv_id = int_or_none(request.query.get("conversa"))
    sender = await db(request, _conversation_sender, engine(request), shop.id, conv_id)
    extra = _from_conversation(request, sender, conv_id)
    values = {}
    if sender:
        values = {"name": sender[1],
                  "whatsapp": "" if extra["phone_hidden"] else format_phone_br(sender[0])}
    return render(request, "tutors/tutor_form.html", {"values": values, "tutor": None, **extra})


@routes.post("/admin/tutores/novo")
@page(Perm.TUTORS_EDIT)
async def tutor_create(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    values = {k: data.get(k, "") for k in TUTOR_FORM_FIELDS}
    values["allow_bot"] = data.get("allow_bot") == "1"
    conv_id = int_or_none(data.get("conversa"))
    sender = await db(request, _conversation_sender, engine(request), shop.id, conv_id)
    extra = _from_conversation(request, sender, conv_id)
    if sender and not values["whatsapp"].strip():
        values["whatsapp"] = sender[0]  # the conversation's number, kept out of sight
    try:
        tutor_id = await db(request, create_tutor, request, shop, values)
    except ValidationFailed as exc:
        if extra.get("phone_hidden") and values["whatsapp"] == sender[0]:
            values["whatsapp"] = ""
        return render(request, "tutors/tutor_form.html", {
            "values": values, "tutor": None, "errors": field_errors(exc), **extra}, status=422)
    if sender:
        raise redirect(f"/admin/atendimento/{conv_id}", "Tutor cadastrado.")
    raise redirect(f"/admin/tutores/{tutor_id}", "Tutor cadastrado.")


def _invoice_rows(session: Session, tutor_id: int) -> list[dict]:
    invoices = session.exec(select(Invoice).where(Invoice.tutor_id == tutor_id)
                            .order_by(desc(Invoice.created_at))).all()
    rows = []
    for inv in invoices:
        total = sum(i.unit_cents * i.quantity for i in session.exec(
            select(InvoiceItem).where(InvoiceItem.invoice_id == inv.id)).all()) - inv.discount_cents
        paid = sum(p.amount_cents for p in session.exec(
            select(Payment).where(Payment.invoice_id == inv.id)).all() if p.reversed_at is None)
        rows.append({"invoice": inv, "total": total, "open": max(total - paid, 0)})
    return rows


def visits_of(session: Session, shop: Shop, tutor_id: int | None = None,
            pet_id: int | None = None) -> list[ApptView]:
    query = select(Appointment).where(Appointment.shop_id == shop.id)
    if tutor_id:
        query = query.where(Appointment.tutor_id == tutor_id)
    if pet_id:
        query = query.where(Appointment.pet_id == pet_id)
    appts = session.exec(query.order_by(desc(Appointment.start)).limit(200)).all()
    services = {s.id: s.name for s in session.exec(select(Service)).all()}
    pets = {p.id: p.name for p in session.exec(select(Pet).where(
        col(Pet.id).in_({a.pet_id for a in appts}))).all()} if appts else {}
    items_of: dict[int, list[AppointmentItem]] = {}
    if appts:
        for item in session.exec(select(AppointmentItem).where(
                col(AppointmentItem.appointment_id).in_([a.id for a in appts]))
                .order_by(AppointmentItem.position, AppointmentItem.id)).all():
            items_of.setdefault(item.appointment_id, []).append(item)
    views = []
    for a in appts:
        items = items_of.get(a.id, [])
        view = ApptView(id=a.id, status=a.status, start=to_local(a.start, shop.timezone),
                        end=to_local(a.end, shop.timezone), pet=pets.get(a.pet_id, "?"),
                        tutor="", tutor_id=a.tutor_id, pet_id=a.pet_id,
                        segment_id=a.segment_id, is_encaixe=a.is_encaixe, origin=a.origin,
                        total_cents=a.total_cents, leva_e_traz=a.leva_e_traz, notes=a.notes)
        view.items = [type("I", (), {"service": services.get(i.service_id, "?")})()
                      for i in items]
        views.append(view)
    return views


def tutor_context(session: Session, shop: Shop, tutor: Tutor, now_, sensitive: bool) -> dict:
    """What the tutor page and the inbox side panel show about a tutor."""
    pets = people.pets_of(session, tutor.id)
    breeds = {b.id: b.name for b in session.exec(select(Breed).where(
        col(Breed.id).in_([p.breed_id for p in pets if p.breed_id]))).all()} if pets else {}
    visits = visits_of(session, shop, tutor_id=tutor.id)
    current = now_.astimezone(visits[0].start.tzinfo) if visits else now_
    future = sorted([v for v in visits if v.start >= current
                     and v.status not in ("cancelado", "nao_compareceu")], key=lambda v: v.start)
    past = [v for v in visits if v not in future]
    invoices = _invoice_rows(session, tutor.id)
    contact = tutor_contact(tutor, sensitive=sensitive)
    credit = session.exec(select(func.coalesce(func.sum(CreditEntry.delta_cents), 0))
                          .where(CreditEntry.tutor_id == tutor.id)).one()
    return {
        "tutor": tutor, "pets": pets, "breeds": breeds, "future": future, "past": past,
        "invoices": invoices, "open_invoices": [r for r in invoices if r["open"] > 0
                                                and r["invoice"].status not in (
                                                    "cancelada", "sem_cobranca")],
        "credit": credit, "sensitive": sensitive, "contact": contact,
        "surveys": answers_of_tutor(session, tutor.id),
        "cpf": contact.cpf, "whatsapp": contact.whatsapp, "phone2": contact.phone2,
    }


def _load_tutor_page(db_engine: Engine, shop: Shop, tutor_id: int, now_,
                     sensitive: bool) -> dict:
    with read_session(db_engine) as session:
        tutor = people.get_tutor(session, tutor_id, shop.id)
        return tutor_context(session, shop, tutor, now_, sensitive)


@routes.get("/admin/tutores/{id:[0-9]{1,9}}")
@page(Perm.TUTORS_VIEW)
async def tutor_page(request: web.Request) -> web.Response:
    shop = required_shop(request)
    prompt = await access.prompt_if_needed(request, int(request.match_info["id"]))
    if prompt is not None:
        return prompt
    ctx = await db(request, _load_tutor_page, engine(request), shop,
                   int(request.match_info["id"]), now(request),
                   staff(request).can(Perm.TUTORS_SENSITIVE))
    ctx["tab"] = request.query.get("aba", "geral")
    return render(request, "tutors/tutor.html", ctx)


def _get_tutor(db_engine: Engine, tutor_id: int, shop_id: int) -> Tutor:
    with read_session(db_engine) as session:
        return people.get_tutor(session, tutor_id, shop_id)


@routes.get("/admin/tutores/{id:[0-9]{1,9}}/editar")
@page(Perm.TUTORS_EDIT)
async def tutor_edit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    prompt = await access.prompt_if_needed(request, int(request.match_info["id"]))
    if prompt is not None:
        return prompt
    tutor = await db(request, _get_tutor, engine(request), int(request.match_info["id"]),
                     shop.id)
    values = tutor.model_dump()
    values["birth_date"] = tutor.birth_date.isoformat() if tutor.birth_date else ""
    masked = not staff(request).can(Perm.TUTORS_SENSITIVE)
    if masked:
        values.update(_masked_values(tutor))
    return render(request, "tutors/tutor_form.html", {"values": values, "tutor": tutor,
                                                      "masked": masked})


#: The tutor form's fields that staff without the sensitive-data permission neither read nor
#: change (the neighbourhood and city stay: they place a Leva e Traz).
SENSITIVE_FORM_FIELDS = ("whatsapp", "phone2", "cpf", "email", "cep", "street", "number",
                         "complement")


def _masked_values(tutor: Tutor) -> dict[str, str]:
    contact = tutor_contact(tutor, sensitive=False)
    hidden = DOT * 3
    return {"whatsapp": contact.whatsapp, "phone2": contact.phone2, "cpf": contact.cpf,
            "email": contact.email, "cep": hidden if tutor.cep else "",
            "street": hidden if tutor.street else "", "number": hidden if tutor.number else "",
            "complement": hidden if tutor.complement else ""}


def _update_tutor(request: web.Request, shop: Shop, tutor_id: int, values: dict) -> None:
    with locked_session(engine(request)) as session:
        people.update_tutor(session, tutor_id, values, shop_id=shop.id,
                            today=today(now(request), shop.timezone))
        record_audit(session, request, "tutor.update", "tutor", tutor_id)
        session.commit()


def _set_allow_bot(request: web.Request, shop: Shop, tutor_id: int, allow: bool) -> None:
    with locked_session(engine(request)) as session:
        people.update_tutor(session, tutor_id, {"allow_bot": allow}, shop_id=shop.id)
        record_audit(session, request, "tutor.allow_bot", "tutor", tutor_id, {"allow_bot": allow})
        session.commit()


@routes.post("/admin/tutores/{id:[0-9]{1,9}}/editar")
@page(Perm.TUTORS_EDIT)
async def tutor_update(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    tutor_id = int(request.match_info["id"])
    masked = not staff(request).can(Perm.TUTORS_SENSITIVE)
    fields = [k for k in TUTOR_FORM_FIELDS if not (masked and k in SENSITIVE_FORM_FIELDS)]
    values = {k: data.get(k, "") for k in fields}
    values["allow_bot"] = data.get("allow_bot") == "1"
    try:
        await db(request, _update_tutor, request, shop, tutor_id, values)
    except ValidationFailed as exc:
        tutor = await db(request, _get_tutor, engine(request), tutor_id, shop.id)
        shown = {**values, **(_masked_values(tutor) if masked else {})}
        return render(request, "tutors/tutor_form.html", {
            "values": shown, "tutor": tutor, "errors": field_errors(exc),
            "masked": masked}, status=422)
    raise redirect(f"/admin/tutores/{tutor_id}", "Dados do tutor salvos.")


@routes.post("/admin/tutores/{id:[0-9]{1,9}}/robo")
@page(Perm.TUTORS_EDIT)
async def tutor_allow_bot(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    tutor_id = int(request.match_info["id"])
    allow = data.get("allow_bot") == "1"
    await db(request, _set_allow_bot, request, shop, tutor_id, allow)
    raise redirect(f"/admin/tutores/{tutor_id}",
                   "Atendimento pelo robô ligado." if allow else "Atendimento pelo robô desligado.")
