"""The pet page's Pet Care section: record a dose applied, schedule one, remove a scheduled
one (``scheduler_core.petcare.service``). A refused form re-renders the pet page with the
typed values and the pt-BR message next to the field."""

from __future__ import annotations

from aiohttp import web

from admin.panel.pages import db, engine, form, int_or_none, now, page, redirect, render, staff
from admin.panel.permissions import Perm
from admin.panel.tutors.pets import pet_page_context
from admin.panel.tutors.tutor import field_errors, required_shop
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.petcare import service as petcare

routes = web.RouteTableDef()


@routes.post("/admin/pets/{id:[0-9]{1,9}}/pet-care")
@page(Perm.PETCARE)
async def pet_care_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    pet_id = int(request.match_info["id"])
    data = await form(request)
    action = data.get("action", "")
    common = {"shop": shop, "pet_id": pet_id, "actor": staff(request).actor,
              "now": now(request)}
    try:
        if action == "apply":
            done = await db(request, petcare.record_applied, engine(request), values=data,
                            **common)
            message = f"{done.applied.protocol_name} ({done.applied.label.lower()}) registrada."
            if done.next is not None:
                message += (f" Próxima dose ({done.next.label.lower()}) agendada para "
                            f"{done.next.due_on:%d/%m/%Y}.")
        elif action == "schedule":
            row = await db(request, petcare.schedule_dose, engine(request), values=data,
                           **common)
            message = (f"{row.protocol_name} ({row.label.lower()}) agendada para "
                       f"{row.due_on:%d/%m/%Y}.")
        elif action == "cancel":
            label = await db(request, petcare.cancel_dose, engine(request),
                             dose_id=int_or_none(data.get("dose_id")), **common)
            message = f"Dose agendada de {label} removida."
        else:
            raise ValidationFailed("Ação inválida.")
    except ValidationFailed as exc:
        ctx = await pet_page_context(request, shop, pet_id)
        return render(request, "tutors/pet.html", {
            **ctx, "petcare_values": data, "petcare_errors": field_errors(exc),
            "petcare_action": action}, status=422)
    raise redirect(f"/admin/pets/{pet_id}#pet-care", message)
