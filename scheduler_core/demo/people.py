"""The demo tutors and their pets, drawn with the fixed seed from ``data/people.yml`` and
registered through :mod:`scheduler_core.people.registry` (the panel's and the API's use cases:
valid CPFs, unique WhatsApp numbers in E.164), with addresses around the shop and breeds with
their usual porte and pelagem (a mixed-breed dog gets a drawn one)."""

from __future__ import annotations

import random
from datetime import date, datetime

from sqlmodel import Session

from scheduler_core.demo.seed import col, data, stamp
from scheduler_core.kernel.cpf import generate_cpf
from scheduler_core.people import registry
from scheduler_core.people.models import Breed, Pet, Tutor
from scheduler_core.shop.models import Shop

_ASCII = str.maketrans("áéíóúâêôãõç", "aeiouaeoaoc")


def build_people(
    session: Session, shop: Shop, rng: random.Random, breeds: dict[tuple[str, str], Breed],
    since: datetime,
) -> tuple[list[Tutor], list[Pet]]:
    """Tutors (one prefers a person to the bot) and one or two pets each."""
    tutors = _tutors(session, shop, rng, since)
    pets = _pets(session, tutors, rng, breeds, since)
    return tutors, pets


def _tutors(session: Session, shop: Shop, rng: random.Random, since: datetime) -> list[Tutor]:
    seed = data("people")
    names: set[str] = set()
    phones: set[str] = set()
    tutors: list[Tutor] = []
    while len(tutors) < seed["tutors"]:
        name = f"{rng.choice(seed['first_names'])} {rng.choice(seed['last_names'])}"
        if rng.random() < 0.4:
            name += f" {rng.choice(seed['last_names'])}"
        if name in names:
            continue
        phone = f"+55119{rng.randrange(40_000_000, 99_999_999):08d}"
        if phone in phones:
            continue
        names.add(name)
        phones.add(phone)
        bairro, prefix, street = rng.choice(seed["addresses"])
        tutor = registry.create_tutor(session, shop.id, {
            "name": name,
            "cpf": generate_cpf(rng),
            "whatsapp": phone,
            "email": name.split()[0].lower().translate(_ASCII)
            + f"{rng.randrange(10, 99)}@email.com.br",
            "allow_bot": len(tutors) != 7,  # one tutor prefers to talk to a person
            "cep": f"{prefix}-{rng.randrange(0, 999):03d}",
            "street": street,
            "number": str(rng.randrange(10, 2500)),
            "complement": rng.choice(["", "", "", f"Apto {rng.randrange(11, 184)}"]),
            "neighborhood": bairro,
            "city": "São Paulo",
            "state": "SP",
            "notes": "Prefere ser avisada pelo WhatsApp." if len(tutors) == 3 else "",
        }, actor=None)  # seeded, not registered by anyone
        tutor.created_at = stamp(col(Tutor, "created_at"), since)
        tutors.append(tutor)
    session.flush()
    return tutors


def _pets(
    session: Session, tutors: list[Tutor], rng: random.Random,
    breeds: dict[tuple[str, str], Breed], since: datetime,
) -> list[Pet]:
    seed = data("people")
    dog_pool = [b for b, w in seed["dog_breeds"].items() for _ in range(w)]
    cat_pool = [b for b, w in seed["cat_breeds"].items() for _ in range(w)]
    pets: list[Pet] = []
    for index, tutor in enumerate(tutors):
        used: set[str] = set()
        for _ in range(2 if index % 2 == 0 else 1):
            is_cat = rng.random() < 0.2
            species = "gato" if is_cat else "cao"
            breed = breeds[(species, rng.choice(cat_pool if is_cat else dog_pool))]
            pool = seed["cat_names"] if is_cat else seed["dog_names"]
            name = rng.choice(pool)
            while name in used:
                name = rng.choice(pool)
            used.add(name)
            porte, pelagem = breed.default_porte, breed.default_pelagem
            if breed.name.startswith("SRD") and not is_cat:
                porte = rng.choice(seed["srd_portes"])
                pelagem = rng.choice(seed["srd_pelagens"])
            pet = registry.create_pet(session, tutor.id, {
                "name": name,
                "species": species,
                "breed_id": breed.id,
                "porte": porte,
                "pelagem": pelagem,
                "sex": rng.choice(["macho", "femea"]),
                "birth_date": date(
                    rng.randrange(2013, 2025), rng.randrange(1, 13), rng.randrange(1, 28)
                ),
                "notes": rng.choice(seed["pet_notes"]),
            }, actor=None)
            pet.created_at = stamp(col(Pet, "created_at"), since)
            pets.append(pet)
    session.flush()
    return pets
