"""A plan template's contract price for one pet: the most specific price the template has
(the pet's breed, then its porte × pelagem, then its porte, then the base price), with the
template's discount taken off. The sale (``service.sell_plan``), the panel's sale form and the
API all price through :func:`price_for_pet`."""

from __future__ import annotations

from scheduler_core.people.models import Pet
from scheduler_core.plans.models import PlanTemplate


def price_for_pet(template: PlanTemplate, pet: Pet) -> int:
    """The contract price of ``template`` for ``pet`` in centavos, discount taken off."""
    table = template.price_table or {}
    base = table.get(f"breed:{pet.breed_id}") if pet.breed_id else None
    if base is None and pet.porte and pet.pelagem:
        base = table.get(f"{pet.porte}|{pet.pelagem}")
    if base is None:
        base = (template.price_by_porte or {}).get(pet.porte or "", template.price_cents)
    base = int(base)
    return base - round(base * max(0, min(100, template.discount_pct)) / 100)
