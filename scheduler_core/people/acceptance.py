"""Breeds and portes a shop does not take, with the one pt-BR refusal the tutor and staff read.

The dialogue (``actions/flow.py``) asks :func:`pet_refusal` as soon as the tutor names a breed
or a porte; the availability engine refuses the same pets with the same words (the snapshot
keeps :func:`breed_refusal` per not-accepted breed, the engine uses :data:`PORTE_REFUSAL`).
"""

from __future__ import annotations

from sqlmodel import Session

from scheduler_core.people.models import Breed, NotAcceptedBreed
from scheduler_core.shop.models import Shop

PORTE_REFUSAL = "Infelizmente não atendemos pets desse porte."


def breed_refusal(message: str | None, breed_name: str) -> str:
    """The shop's own message for a not-accepted breed, else the default naming the breed."""
    text = (message or "").strip()
    if text:
        return text
    return f"Infelizmente não atendemos a raça {breed_name}." if breed_name else (
        "Infelizmente não atendemos essa raça."
    )


def pet_refusal(
    session: Session, shop: Shop, *, breed_id: int | None = None, porte: str | None = None
) -> str | None:
    """Why ``shop`` does not take a pet of this breed or porte (pt-BR), or None when it does."""
    if breed_id is not None:
        refused = session.get(NotAcceptedBreed, (shop.id, breed_id))
        if refused is not None:
            breed = session.get(Breed, breed_id)
            return breed_refusal(refused.message, breed.name if breed else "")
    if porte is not None and porte in (shop.not_accepted_portes or []):
        return PORTE_REFUSAL
    return None
