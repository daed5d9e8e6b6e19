"""Domain objects → the JSON shapes documented in admin/api/openapi.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from scheduler_core.agenda.labels import STATUS_LABELS
from scheduler_core.catalog.offers import ComboOffer, PetCatalog, ServiceOffer
from scheduler_core.kernel.cpf import format_cpf
from scheduler_core.kernel.money import format_brl
from scheduler_core.people.models import Breed, Pet, Tutor
from scheduler_core.scheduling.appointments import AppointmentSummary
from scheduler_core.scheduling.booking import Offer


def iso(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime) and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # stored UTC
    return moment.isoformat()


def pet_json(pet: Pet, breed: Breed | None) -> dict[str, Any]:
    return {
        "id": pet.id,
        "tutor_id": pet.tutor_id,
        "name": pet.name,
        "species": pet.species,
        "breed_id": pet.breed_id,
        "breed": breed.name if breed is not None else None,
        "porte": pet.porte,
        "pelagem": pet.pelagem,
        "sex": pet.sex,
        "birth_date": iso(pet.birth_date),
        "weight_kg": pet.weight_grams / 1000 if pet.weight_grams is not None else None,
        "status": pet.status,
        "microchip": pet.microchip,
        "notes": pet.notes,
    }


def tutor_json(tutor: Tutor, pets: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": tutor.id,
        "name": tutor.name,
        "cpf": format_cpf(tutor.cpf) if tutor.cpf else "",
        "whatsapp": tutor.whatsapp,
        "wa_user_id": tutor.wa_user_id,
        "phone2": tutor.phone2,
        "email": tutor.email,
        "birth_date": iso(tutor.birth_date),
        "notes": tutor.notes,
        "allow_bot": tutor.allow_bot,
        "cep": tutor.cep,
        "street": tutor.street,
        "number": tutor.number,
        "complement": tutor.complement,
        "neighborhood": tutor.neighborhood,
        "city": tutor.city,
        "state": tutor.state,
        "created_at": iso(tutor.created_at),
        "pets": pets,
    }


def _service_json(offer: ServiceOffer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "name": offer.name,
        "category_id": offer.category_id,
        "category": offer.category,
        "category_kind": offer.category_kind,
        "segment_id": offer.segment_id,
        "segment_kind": offer.segment_kind,
        "is_addon": offer.is_addon,
        "show_on_bot": offer.show_on_bot,
        "species": list(offer.species),
        "description": offer.description,
        "price_cents": offer.price_cents,
        "duration_min": offer.duration_min,
        "min_price_cents": offer.min_price_cents,
        "price_label": offer.price_label,
    }


def _combo_json(combo: ComboOffer) -> dict[str, Any]:
    return {
        "id": combo.id,
        "name": combo.name,
        "segment_id": combo.segment_id,
        "description": combo.description,
        "service_ids": list(combo.service_ids),
        "discount_kind": combo.discount_kind,
        "discount_value": combo.discount_value,
        "price_cents": combo.price_cents,
        "full_price_cents": combo.full_price_cents,
        "discount_cents": combo.discount_cents,
        "duration_min": combo.duration_min,
        "min_price_cents": combo.min_price_cents,
        "price_label": combo.price_label,
    }


def catalog_json(catalog: PetCatalog) -> dict[str, Any]:
    return {
        "pet_id": catalog.pet_id,
        "services": [_service_json(o) for o in catalog.services],
        "addons": [_service_json(o) for o in catalog.addons],
        "combos": [_combo_json(c) for c in catalog.combos],
    }


def offer_json(
    offer: Offer, service_names: dict[int, str], employee_names: dict[int, str]
) -> dict[str, Any]:
    return {
        "pet_id": offer.pet_id,
        "segment_id": offer.segment_id,
        "service_ids": list(offer.service_ids),
        "combo_id": offer.combo_id,
        "slots": [
            {
                "token": slot.token,
                "start": iso(slot.start),
                "end": iso(slot.end),
                "total_cents": slot.total_cents,
                "discount_cents": slot.discount_cents,
                "price_label": format_brl(slot.total_cents),
                "items": [
                    {
                        "service_id": item.service_id,
                        "service_name": service_names.get(item.service_id, ""),
                        "employee_id": item.employee_id,
                        "employee_name": employee_names.get(item.employee_id, ""),
                        "start": iso(item.start),
                        "end": iso(item.end),
                        "price_cents": item.price_cents,
                        "duration_min": item.duration_min,
                    }
                    for item in slot.items
                ],
            }
            for slot in offer.slots
        ],
        "reason": str(offer.reason) if offer.reason is not None else None,
        "message": offer.message,
    }


def appointment_json(summary: AppointmentSummary) -> dict[str, Any]:
    return {
        "id": summary.id,
        "segment_id": summary.segment_id,
        "tutor_id": summary.tutor_id,
        "pet_id": summary.pet_id,
        "pet_name": summary.pet_name,
        "start": iso(summary.start),
        "end": iso(summary.end),
        "status": str(summary.status),
        "status_label": STATUS_LABELS.get(summary.status, str(summary.status)),
        "is_encaixe": summary.is_encaixe,
        "origin": str(summary.origin),
        "total_cents": summary.total_cents,
        "leva_e_traz": summary.leva_e_traz,
        "leva_e_traz_fee_cents": summary.leva_e_traz_fee_cents,
        "pet_plan_id": summary.pet_plan_id,
        "combo_id": summary.combo_id,
        "discount_cents": summary.discount_cents,
        "plan_note": summary.plan_note,
        "notes": summary.notes,
        "items": [
            {
                "service_id": item.service_id,
                "service_name": item.service_name,
                "employee_id": item.employee_id,
                "employee_name": item.employee_name,
                "start": iso(item.start),
                "end": iso(item.end),
                "price_cents": item.price_cents,
                "duration_min": item.duration_min,
                "in_plan": item.in_plan,
            }
            for item in summary.items
        ],
    }
