"""Pets: add a pet to a tutor, the pet page and its edit form
(``scheduler_core.people.registry``)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin.panel.agenda.wizard import create_pet, pet_values
from admin.panel.pages import db, engine, form, int_or_none, now, page, redirect, render, staff
from admin.panel.permissions import Perm
from admin.panel.timeutil import today
from admin.panel.tutors import access
from admin.panel.tutors.tutor import field_errors, required_shop, visits_of
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.people import registry as people
from scheduler_core.people.models import Breed, Tutor
from scheduler_core.petcare import service as petcare
from scheduler_core.petcare.labels import KIND_LABELS
from scheduler_core.shop.models import Shop

routes = web.RouteTableDef()


def _breeds(session: Session) -> list[Breed]:
    return list(session.exec(select(Breed).order_by(Breed.species, Breed.name)).all())


def _load_new_pet(db_engine: Engine, shop_id: int, tutor_id: int) -> tuple[Tutor, list[Breed]]:
    """The tutor (404 when not of this shop) and the breeds for the new-pet form."""
    with read_session(db_engine) as session:
        return people.get_tutor(session, tutor_id, shop_id), _breeds(session)


@routes.post("/admin/tutores/{id:[0-9]{1,9}}/pets")
@page(Perm.TUTORS_EDIT)
async def tutor_add_pet(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    tutor_id = int(request.match_info["id"])
    values = pet_values(data)
    try:
        pet_id = await db(request, create_pet, engine(request), shop, tutor_id, values,
                          now(request), staff(request).actor)
    except ValidationFailed as exc:
        tutor, breeds = await db(request, _load_new_pet, engine(request), shop.id, tutor_id)
        return render(request, "tutors/pet_new.html", {
            "tutor": tutor, "new_pet": values, "errors": field_errors(exc), "breeds": breeds,
            "pet_action": f"/admin/tutores/{tutor_id}/pets"}, status=422)
    raise redirect(f"/admin/pets/{pet_id}", "Pet cadastrado.")


@routes.get("/admin/tutores/{id:[0-9]{1,9}}/pets/novo")
@page(Perm.TUTORS_EDIT)
async def tutor_pet_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    tutor, breeds = await db(request, _load_new_pet, engine(request), shop.id,
                             int(request.match_info["id"]))
    return render(request, "tutors/pet_new.html", {
        "tutor": tutor, "breeds": breeds, "pet_action": f"/admin/tutores/{tutor.id}/pets"})


def _load_pet(db_engine: Engine, shop: Shop, pet_id: int) -> dict:
    with read_session(db_engine) as session:
        pet = people.get_pet(session, pet_id, shop.id)
        return {"pet": pet, "tutor": session.get(Tutor, pet.tutor_id),
                "breed": session.get(Breed, pet.breed_id) if pet.breed_id else None,
                "visits": visits_of(session, shop, pet_id=pet.id), "breeds": _breeds(session)}


async def pet_page_context(request: web.Request, shop: Shop, pet_id: int) -> dict:
    """What the pet page shows: the pet, its tutor and visits, the edit form's values and the
    Pet Care chart (``scheduler_core.petcare``)."""
    ctx = await db(request, _load_pet, engine(request), shop, pet_id)
    ctx["petcare"] = await db(request, petcare.pet_chart, engine(request), shop=shop,
                              pet_id=pet_id, now=now(request))
    ctx["petcare_kinds"] = KIND_LABELS
    pet = ctx["pet"]
    values = {
        "name": pet.name, "species": pet.species, "breed_id": str(pet.breed_id or ""),
        "porte": pet.porte or "", "pelagem": pet.pelagem or "", "sex": pet.sex or "",
        "weight_kg": f"{pet.weight_grams / 1000:.1f}".replace(".", ",") if pet.weight_grams
        else "", "birth_date": pet.birth_date.isoformat() if pet.birth_date else "",
        "notes": pet.notes,
    }
    return {**ctx, "new_pet": values, "pet_action": f"/admin/pets/{pet.id}",
            "pet_title": "Editar pet"}


@routes.get("/admin/pets/{id:[0-9]{1,9}}")
@page(Perm.TUTORS_VIEW)
async def pet_page(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await pet_page_context(request, shop, int(request.match_info["id"]))
    prompt = await access.prompt_if_needed(request, ctx["pet"].tutor_id)  # the shop's PIN, audited
    if prompt is not None:
        return prompt
    chosen = int_or_none(request.query.get("aplicar"))
    if chosen:  # "Aplicar" on a scheduled dose: the form with its protocol chosen
        ctx.update(petcare_values={"protocol_id": str(chosen)}, petcare_action="apply")
    return render(request, "tutors/pet.html", ctx)


def _update_pet(db_engine: Engine, shop: Shop, pet_id: int, values: dict, now_) -> None:
    with locked_session(db_engine) as session:
        if not values.get("weight_kg"):
            values.pop("weight_kg")
        people.update_pet(session, pet_id, values, shop_id=shop.id,
                          today=today(now_, shop.timezone))
        session.commit()


def _load_pet_refused(db_engine: Engine, shop_id: int, pet_id: int) -> dict:
    with read_session(db_engine) as session:
        pet = people.get_pet(session, pet_id, shop_id)
        return {"pet": pet, "tutor": session.get(Tutor, pet.tutor_id),
                "breeds": session.exec(select(Breed)).all()}


@routes.post("/admin/pets/{id:[0-9]{1,9}}")
@page(Perm.TUTORS_EDIT)
async def pet_update(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    pet_id = int(request.match_info["id"])
    values = pet_values(data)
    # A field left empty clears it ("—" as the breed: no breed).
    for key in ("breed_id", "porte", "pelagem", "sex", "birth_date", "notes", "weight_kg"):
        values.setdefault(key, "")
    try:
        await db(request, _update_pet, engine(request), shop, pet_id, values, now(request))
    except ValidationFailed as exc:
        ctx = await db(request, _load_pet_refused, engine(request), shop.id, pet_id)
        return render(request, "tutors/pet.html", {
            **ctx, "breed": None, "visits": [], "new_pet": values,
            "pet_action": f"/admin/pets/{pet_id}", "pet_title": "Editar pet",
            "errors": field_errors(exc)}, status=422)
    raise redirect(f"/admin/pets/{pet_id}", "Dados do pet salvos.")
