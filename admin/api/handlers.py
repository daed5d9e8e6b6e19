"""REST API handlers: parse the request, call one core function off the event loop, render JSON.

Each handler's database work is a small sync function (``work``) run with
``await db(request, work)`` (:mod:`app.offload`, the one way the panel and the API do it); a
write is ``await db(request, transaction, engine, work)``: ``work(session)`` as one retried
unit of work, still busy after the retries → ``Busy`` (503).

Every rule lives in ``scheduler_core`` (people, catalog, booking); a handler only checks the
shape of its input (400) and maps core errors through the middleware (404/409/410/422).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlmodel import Session, col, select

from admin.api import jsonbody
from admin.api.auth import API_ACTOR
from admin.api.errors import ApiError, bad_request, json_response
from admin.api.serialize import (
    appointment_json,
    catalog_json,
    offer_json,
    pet_json,
    tutor_json,
)
from app.keys import CLOCK, DB, SETTINGS
from app.offload import db
from scheduler_core.agenda.models import AppointmentStatus, Origin
from scheduler_core.audit import log as audit
from scheduler_core.catalog import offers as catalog
from scheduler_core.catalog.combos import visit_services
from scheduler_core.catalog.models import Service
from scheduler_core.db.engine import transaction
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.people import registry as people
from scheduler_core.people.models import Breed, Pet, Tutor
from scheduler_core.scheduling import appointments, booking, visit_status
from scheduler_core.shop import team
from scheduler_core.shop.models import Employee, Shop

MAX_IDS = 20
# Ids are 32-bit integers in the database; a larger number cannot exist.
MAX_ID = 2**31 - 1
DEFAULT_RANGE_DAYS = 6


# --------------------------------------------------------------------------- parsing helpers


def _query_int(request: web.Request, name: str, *, required: bool = False) -> int | None:
    raw = request.query.get(name, "").strip()
    if not raw:
        if required:
            raise bad_request(f"Informe o parâmetro {name}.", field=name)
        return None
    if not re.fullmatch(r"[0-9]{1,12}", raw):
        raise bad_request(f"Parâmetro {name} inválido: use um número inteiro.", field=name)
    return _existing_id(int(raw), name)


def _existing_id(value: int, name: str) -> int:
    if value > MAX_ID:
        raise NotFound("Registro não encontrado.", details={"field": name})
    return value


def _query_ids(request: web.Request, name: str) -> list[int]:
    raw = request.query.get(name, "").strip()
    if not raw:
        return []
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts or len(parts) > MAX_IDS or not all(re.fullmatch(r"[0-9]{1,12}", p) for p in parts):
        raise bad_request(
            f"Parâmetro {name} inválido: use números separados por vírgula (ex.: 1,2).",
            field=name,
        )
    return list(dict.fromkeys(_existing_id(int(p), name) for p in parts))


def _query_date(request: web.Request, name: str) -> date | None:
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise bad_request(
            f"Parâmetro {name} inválido: use o formato AAAA-MM-DD.", field=name
        ) from None


def _query_choice(request: web.Request, name: str, allowed: tuple[str, ...], default):
    raw = request.query.get(name, "").strip()
    if not raw:
        return default
    if raw not in allowed:
        raise bad_request(f"Parâmetro {name} inválido: use {', '.join(allowed)}.", field=name)
    return raw


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON object of the request body (see :mod:`admin.api.jsonbody` for what is refused)."""
    return await jsonbody.read_object(request)


def _body_str(body: dict, name: str, *, required: bool = False, max_len: int = 2000) -> str:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"Informe o campo {name}.", field=name)
        return ""
    if not isinstance(value, str) or "\x00" in value:
        raise bad_request(f"O campo {name} deve ser um texto.", field=name)
    if required and not value.strip():
        raise bad_request(f"Informe o campo {name}.", field=name)
    if len(value) > max_len:
        raise bad_request(f"O campo {name} aceita no máximo {max_len} caracteres.", field=name)
    return value.strip()


def _only(body: dict, allowed: set[str]) -> None:
    extra = sorted(name[:40] for name in set(body) - allowed)
    if extra:
        raise bad_request(f"Campo desconhecido: {', '.join(extra[:5])}.", field=extra[0])


def _path_id(request: web.Request) -> int:
    """The ``{id}`` of the path (the routes accept ASCII digits only: ``\\d`` would take "١٢")."""
    raw = request.match_info["id"]
    if len(raw) > 12:
        raise NotFound("Registro não encontrado.", details={"field": "id"})
    return _existing_id(int(raw), "id")


def _shop(session: Session) -> Shop:
    """The shop this process serves (one shop per installation)."""
    shop = session.exec(select(Shop).order_by(Shop.id)).first()
    if shop is None:
        raise ApiError(404, "no_shop", "Nenhuma loja cadastrada ainda.")
    return shop


def _days_after(day: date, days: int) -> date:
    """``day`` + ``days``, stopping at the calendar's end (the core refuses such dates)."""
    return day + timedelta(days=days) if day <= date.max - timedelta(days=days) else date.max


def _today(shop: Shop, request: web.Request) -> date:
    return request.app[CLOCK]().astimezone(ZoneInfo(shop.timezone)).date()


def _audit(
    session: Session,
    request: web.Request,
    shop: Shop,
    action: str,
    entity: str,
    entity_id: int,
    body: dict[str, Any],
) -> None:
    """Audit a tutor or pet write as the panel does, with the API client as the actor.

    ``details`` names the fields sent, not their values (CPF, phones and e-mail stay out of
    the log; the record itself holds them)."""
    audit.record(
        session,
        actor=request[API_ACTOR],
        action=action,
        entity=entity,
        entity_id=entity_id,
        shop_id=shop.id,
        details={"fields": sorted(body)},
        at=request.app[CLOCK](),
    )


def _pets_json(session: Session, pets: list[Pet]) -> list[dict[str, Any]]:
    breed_ids = {p.breed_id for p in pets if p.breed_id is not None}
    breeds = (
        {b.id: b for b in session.exec(select(Breed).where(col(Breed.id).in_(breed_ids))).all()}
        if breed_ids
        else {}
    )
    return [pet_json(p, breeds.get(p.breed_id)) for p in pets]


def _tutor_payload(session: Session, tutor: Tutor) -> dict[str, Any]:
    return tutor_json(tutor, _pets_json(session, people.pets_of(session, tutor.id)))


# --------------------------------------------------------------------------- catalogue


async def list_services(request: web.Request) -> web.Response:
    pet_id = _query_int(request, "pet_id")
    segment = _query_choice(request, "segment", ("pet_shop", "clinica", "creche", "hotel"), None)
    channel = _query_choice(request, "channel", ("staff", "bot"), "staff")

    def work():
        with Session(request.app[DB]) as session:
            shop = _shop(session)
            if pet_id is None:
                result = catalog.list_services(session, shop.id, segment, channel)
            else:
                result = catalog.services_for_pet(session, shop.id, pet_id, segment, channel)
            return catalog_json(result)

    return json_response(await db(request, work))


# --------------------------------------------------------------------------- tutors and pets

TUTOR_BODY = set(people.TUTOR_FIELDS)
PET_BODY = set(people.PET_FIELDS)


async def create_tutor(request: web.Request) -> web.Response:
    body = await _body(request)
    _only(body, TUTOR_BODY)

    def work(session: Session):
        shop = _shop(session)
        tutor = people.create_tutor(session, shop.id, body, today=_today(shop, request),
                                    actor=None)  # audited below, with the fields sent
        _audit(session, request, shop, "tutor.create", "tutor", tutor.id, body)
        session.flush()
        return _tutor_payload(session, tutor)

    return json_response(await db(request, transaction, request.app[DB], work), status=201)


async def find_tutors(request: web.Request) -> web.Response:
    phone = request.query.get("phone", "").strip()
    q = request.query.get("q", "").strip()
    if not phone and not q:
        raise bad_request("Informe o parâmetro phone ou q.", field="phone")
    if len(phone) > 40 or len(q) > 100:
        raise bad_request("Parâmetro de busca longo demais.", field="q" if q else "phone")

    def work():
        with Session(request.app[DB]) as session:
            shop = _shop(session)
            if phone:
                tutor = people.find_tutor_by_phone(session, shop.id, phone)
                found = [tutor] if tutor is not None else []
            else:
                found = people.search_tutors(session, shop.id, q)
            return {"tutors": [_tutor_payload(session, t) for t in found]}

    return json_response(await db(request, work))


async def get_tutor(request: web.Request) -> web.Response:
    tutor_id = _path_id(request)

    def work():
        with Session(request.app[DB]) as session:
            shop = _shop(session)
            return _tutor_payload(session, people.get_tutor(session, tutor_id, shop.id))

    return json_response(await db(request, work))


async def update_tutor(request: web.Request) -> web.Response:
    tutor_id = _path_id(request)
    body = await _body(request)
    _only(body, TUTOR_BODY)

    def work(session: Session):
        shop = _shop(session)
        tutor = people.update_tutor(
            session, tutor_id, body, shop_id=shop.id, today=_today(shop, request)
        )
        _audit(session, request, shop, "tutor.update", "tutor", tutor.id, body)
        return _tutor_payload(session, tutor)

    return json_response(await db(request, transaction, request.app[DB], work))


async def create_pet(request: web.Request) -> web.Response:
    tutor_id = _path_id(request)
    body = await _body(request)
    _only(body, PET_BODY)

    def work(session: Session):
        shop = _shop(session)
        pet = people.create_pet(  # audited below, with the fields sent
            session, tutor_id, body, shop_id=shop.id, today=_today(shop, request), actor=None
        )
        _audit(session, request, shop, "pet.create", "pet", pet.id, body)
        return _pets_json(session, [pet])[0]

    return json_response(await db(request, transaction, request.app[DB], work), status=201)


async def get_pet(request: web.Request) -> web.Response:
    pet_id = _path_id(request)

    def work():
        with Session(request.app[DB]) as session:
            shop = _shop(session)
            return _pets_json(session, [people.get_pet(session, pet_id, shop.id)])[0]

    return json_response(await db(request, work))


async def update_pet(request: web.Request) -> web.Response:
    pet_id = _path_id(request)
    body = await _body(request)
    _only(body, PET_BODY)

    def work(session: Session):
        shop = _shop(session)
        pet = people.update_pet(
            session, pet_id, body, shop_id=shop.id, today=_today(shop, request)
        )
        _audit(session, request, shop, "pet.update", "pet", pet.id, body)
        return _pets_json(session, [pet])[0]

    return json_response(await db(request, transaction, request.app[DB], work))


# --------------------------------------------------------------------------- availability


def _employee_by_category(
    session: Session, shop_id: int, pet_id: int, service_ids: list[int], employee_ids: list[int]
) -> dict[int, int]:
    """Chosen professionals → {category id: employee id} for the requested services; each must
    be able to do one of them for this pet (:func:`scheduler_core.shop.team.employees_for`)."""
    if not employee_ids:
        return {}
    employees = {
        e.id: e
        for e in session.exec(
            select(Employee).where(
                Employee.shop_id == shop_id, col(Employee.id).in_(employee_ids)
            )
        ).all()
    }
    missing = [eid for eid in employee_ids if eid not in employees]
    if missing:
        raise NotFound("Profissional não encontrado.", details={"employee_ids": missing})
    categories = [
        s.category_id
        for s in session.exec(select(Service).where(col(Service.id).in_(service_ids))).all()
    ]
    pet = session.get(Pet, pet_id)
    species = pet.species if pet is not None else None
    chosen: dict[int, int] = {}
    for employee_id in employee_ids:
        useful = team.categories_of(session, shop_id, employee_id, categories, species)
        if not useful:
            raise ValidationFailed(
                f"{employees[employee_id].name} não faz nenhum dos serviços escolhidos"
                + (" para este pet." if pet is not None else "."),
                details={"field": "employee_ids", "employee_id": employee_id},
            )
        for category_id in sorted(useful):
            chosen.setdefault(category_id, employee_id)
    return chosen


async def availability(request: web.Request) -> web.Response:
    pet_id = _query_int(request, "pet_id", required=True)
    service_ids = _query_ids(request, "service_ids")
    employee_ids = _query_ids(request, "employee_ids")
    appointment_id = _query_int(request, "appointment_id")
    combo_id = _query_int(request, "combo_id")
    channel = _query_choice(request, "channel", ("staff", "bot"), "staff")
    date_from = _query_date(request, "date_from")
    date_to = _query_date(request, "date_to")
    if not service_ids and appointment_id is None and combo_id is None:
        raise bad_request(
            "Informe o parâmetro service_ids (ex.: 1,2) ou combo_id.", field="service_ids"
        )
    app = request.app
    now = app[CLOCK]()

    def work():
        with Session(app[DB]) as session:
            shop = _shop(session)
            start = date_from or now.astimezone(ZoneInfo(shop.timezone)).date()
            end = date_to or _days_after(start, DEFAULT_RANGE_DAYS)
            ids = service_ids
            if combo_id is not None:
                ids = visit_services(session, service_ids, [combo_id])
            if not ids and appointment_id is not None:
                items = appointments.appointment_items(session, appointment_id)
                ids = [it.service_id for it in items]
            by_category = _employee_by_category(session, shop.id, pet_id, ids, employee_ids)
        offer = booking.find_slots(
            app[DB],
            shop_id=shop.id,
            pet_id=pet_id,
            service_ids=service_ids,
            date_from=start,
            date_to=end,
            channel=channel,
            now=now,
            secret=app[SETTINGS].secret_key,
            employee_by_category=by_category or None,
            moving_appointment_id=appointment_id,
            combo_id=combo_id,
        )
        with Session(app[DB]) as session:
            svc_ids = {it.service_id for s in offer.slots for it in s.items}
            emp_ids = {it.employee_id for s in offer.slots for it in s.items}
            services = (
                {
                    s.id: s.name
                    for s in session.exec(select(Service).where(col(Service.id).in_(svc_ids)))
                }
                if svc_ids
                else {}
            )
            employees = (
                {
                    e.id: e.name
                    for e in session.exec(select(Employee).where(col(Employee.id).in_(emp_ids)))
                }
                if emp_ids
                else {}
            )
        return offer_json(offer, services, employees)

    return json_response(await db(request, work))


# --------------------------------------------------------------------------- appointments


_KEY = re.compile(r"[\x20-\x7e]{1,200}")


def _idempotency_key(raw: Any, name: str) -> str:
    """An idempotency key: 1 to 200 printable ASCII characters ("" when absent)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    if not isinstance(raw, str) or not _KEY.fullmatch(raw.strip()):
        raise bad_request(
            f"Chave de idempotência inválida ({name}): use de 1 a 200 caracteres ASCII "
            "visíveis (por exemplo, um UUID).",
            field="idempotency_key",
        )
    return raw.strip()


def _summary(engine, appointment_id: int, shop_id: int | None = None) -> dict[str, Any]:
    with Session(engine) as session:
        summary = appointments.appointment_summary(session, appointment_id)
        if shop_id is not None and summary.shop_id != shop_id:
            raise NotFound(
                "Agendamento não encontrado.", details={"appointment_id": appointment_id}
            )
        return appointment_json(summary)


async def create_appointment(request: web.Request) -> web.Response:
    body = await _body(request)
    _only(body, {"token", "idempotency_key", "notes", "leva_e_traz", "pet_plan_id"})
    token = _body_str(body, "token", required=True, max_len=4000)
    plan_id = body.get("pet_plan_id")
    if plan_id is not None and (isinstance(plan_id, bool) or not isinstance(plan_id, int)
                                or not 1 <= plan_id <= MAX_ID):
        raise bad_request("O campo pet_plan_id deve ser o id de um plano.", field="pet_plan_id")
    notes = _body_str(body, "notes")
    body_key = _idempotency_key(body.get("idempotency_key"), "idempotency_key")
    header_key = _idempotency_key(request.headers.get("Idempotency-Key"), "Idempotency-Key")
    if body_key and header_key and body_key != header_key:
        raise bad_request(
            "A chave de idempotência do corpo e a do cabeçalho Idempotency-Key são diferentes.",
            field="idempotency_key",
        )
    key = body_key or header_key or None
    leva = body.get("leva_e_traz", False)
    if not isinstance(leva, bool):
        raise bad_request("O campo leva_e_traz deve ser verdadeiro ou falso.", field="leva_e_traz")
    app = request.app
    now = app[CLOCK]()
    actor = request[API_ACTOR]

    def work():
        outcome = booking.book_outcome(
            app[DB],
            token=token,
            now=now,
            secret=app[SETTINGS].secret_key,
            origin=Origin.API,
            actor=actor,
            idempotency_key=key,
            client=actor,  # keys are scoped per API client (per bearer token)
            notes=notes,
            leva_e_traz=leva,
            pet_plan_id=plan_id,
        )
        return outcome.created, _summary(app[DB], outcome.appointment.id)

    created, payload = await db(request, work)
    # A replay of the same request (same key, same client) is 200 with the same appointment.
    return json_response(payload, status=201 if created else 200)


async def get_appointment(request: web.Request) -> web.Response:
    appointment_id = _path_id(request)

    def work():
        with Session(request.app[DB]) as session:
            shop_id = _shop(session).id
        return _summary(request.app[DB], appointment_id, shop_id)

    return json_response(await db(request, work))


async def reschedule_appointment(request: web.Request) -> web.Response:
    appointment_id = _path_id(request)
    body = await _body(request)
    _only(body, {"token"})
    token = _body_str(body, "token", required=True, max_len=4000)
    app = request.app
    now = app[CLOCK]()
    actor = request[API_ACTOR]

    def work():
        _summary(app[DB], appointment_id)  # 404 before judging the token
        booking.reschedule(
            app[DB],
            appointment_id=appointment_id,
            token=token,
            now=now,
            secret=app[SETTINGS].secret_key,
            actor=actor,
            channel="staff",
        )
        return _summary(app[DB], appointment_id)

    return json_response(await db(request, work))


async def cancel_appointment(request: web.Request) -> web.Response:
    appointment_id = _path_id(request)
    body = await _body(request)
    _only(body, {"reason"})
    reason = _body_str(body, "reason", max_len=500)
    app = request.app
    now = app[CLOCK]()
    actor = request[API_ACTOR]

    def work():
        visit_status.cancel(
            app[DB],
            appointment_id=appointment_id,
            now=now,
            actor=actor,
            channel="staff",
            reason=reason,
        )
        return _summary(app[DB], appointment_id)

    return json_response(await db(request, work))


STATUSES = tuple(s.value for s in AppointmentStatus)


async def set_appointment_status(request: web.Request) -> web.Response:
    appointment_id = _path_id(request)
    body = await _body(request)
    _only(body, {"status"})
    status = _body_str(body, "status", required=True, max_len=40)
    if status not in STATUSES:
        raise ValidationFailed(
            "Status inválido: use " + ", ".join(STATUSES) + ".",
            details={"field": "status"},
        )
    app = request.app
    now = app[CLOCK]()
    actor = request[API_ACTOR]

    def work():
        visit_status.set_status(
            app[DB], appointment_id=appointment_id, status=status, now=now, actor=actor
        )
        return _summary(app[DB], appointment_id)

    return json_response(await db(request, work))
