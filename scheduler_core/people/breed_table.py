"""Configuração → Raças, the breed table's use cases: search, default porte and pelagem, the
nicknames the bot's fuzzy match accepts (:func:`scheduler_core.people.breeds.match_breeds`),
"não atendemos" per shop and adding a breed.

Decisions where the spec is silent:

- The breed rows and their nicknames are one table for the whole installation (``Breed`` has
  no shop), like the shipped list; only "não atendemos" (``NotAcceptedBreed``) is per shop.
- A nickname belongs to one breed of a species: adding one another breed of the same species
  already answers to (its name, a shipped or an added nickname) is refused, so the bot's match
  never becomes ambiguous through the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler_core.audit import log as audit
from scheduler_core.db.engine import read_session, write_session
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.kernel.text import normalize
from scheduler_core.people.breeds import candidate_texts, shipped_aliases, staff_aliases
from scheduler_core.people.labels import PELAGEM_LABELS, PORTE_LABELS, SPECIES_LABELS
from scheduler_core.people.models import Breed, BreedAlias, NotAcceptedBreed

MAX_NAME = 80
MAX_ALIAS = 40
MAX_MESSAGE = 300


@dataclass(frozen=True)
class BreedEntry:
    id: int
    species: str
    name: str
    default_porte: str | None
    default_pelagem: str | None
    shipped_aliases: tuple[str, ...]
    added_aliases: tuple[tuple[int, str], ...]  # (alias id, alias)
    not_accepted: bool
    refusal_message: str


def _entries(session: Session, shop_id: int, breeds: list[Breed]) -> list[BreedEntry]:
    ids = [b.id for b in breeds]
    added: dict[int, list[tuple[int, str]]] = {}
    if ids:
        for row in session.exec(select(BreedAlias).order_by(BreedAlias.id)).all():
            if row.breed_id in ids:
                added.setdefault(row.breed_id, []).append((row.id, row.alias))
    refused = {n.breed_id: n for n in session.exec(
        select(NotAcceptedBreed).where(NotAcceptedBreed.shop_id == shop_id)).all()}
    return [BreedEntry(id=b.id, species=b.species, name=b.name, default_porte=b.default_porte,
                       default_pelagem=b.default_pelagem, shipped_aliases=shipped_aliases(b),
                       added_aliases=tuple(added.get(b.id, ())),
                       not_accepted=b.id in refused,
                       refusal_message=refused[b.id].message if b.id in refused else "")
            for b in breeds]


def search(engine: Engine, *, shop_id: int, text: str = "", species: str | None = None,
           limit: int = 200) -> list[BreedEntry]:
    """Breeds whose name or a nickname contains ``text`` (accents and case ignored), by
    species then name."""
    query = normalize(text)
    with read_session(engine) as session:
        stmt = select(Breed)
        if species:
            stmt = stmt.where(Breed.species == species)
        breeds = list(session.exec(stmt).all())
        added = staff_aliases(session, [b.id for b in breeds])
        if query:
            breeds = [b for b in breeds
                      if any(query in t for t in candidate_texts(b, added.get(b.id)))]
        breeds.sort(key=lambda b: (b.species, normalize(b.name)))
        return _entries(session, shop_id, breeds[:limit])


def get_entry(engine: Engine, *, shop_id: int, breed_id: int) -> BreedEntry:
    with read_session(engine) as session:
        breed = session.get(Breed, breed_id)
        if breed is None:
            raise NotFound("Raça não encontrada.")
        return _entries(session, shop_id, [breed])[0]


def _choice(value: str | None, table: dict[str, str], field: str, refusal: str) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if text not in table:
        raise ValidationFailed(refusal, details={"field": field})
    return text


def _breed(session: Session, breed_id: int) -> Breed:
    breed = session.get(Breed, breed_id)
    if breed is None:
        raise NotFound("Raça não encontrada.")
    return breed


def save_breed(engine: Engine, *, shop_id: int, actor: str, now: datetime, values: dict,
               breed_id: int | None = None) -> Breed:
    """Add a breed (species, name, default porte and pelagem) or change a breed's defaults.
    pt-BR ``ValidationFailed`` with the field on bad input or a duplicate name."""
    porte = _choice(values.get("default_porte"), PORTE_LABELS, "default_porte",
                    "Porte inválido.")
    pelagem = _choice(values.get("default_pelagem"), PELAGEM_LABELS, "default_pelagem",
                      "Pelagem inválida.")
    with write_session(engine, expire_on_commit=False) as session:
        if breed_id is None:
            species = _choice(values.get("species"), SPECIES_LABELS, "species",
                              "Espécie inválida.")
            if species is None:
                raise ValidationFailed("Escolha a espécie.", details={"field": "species"})
            name = " ".join(str(values.get("name", "")).split())
            if not name or len(name) > MAX_NAME:
                raise ValidationFailed(f"Escreva o nome da raça (até {MAX_NAME} caracteres).",
                                       details={"field": "name"})
            _refuse_taken(session, species, name, None, field="name")
            breed = Breed(species=species, name=name)
        else:
            breed = _breed(session, breed_id)
        breed.default_porte, breed.default_pelagem = porte, pelagem
        session.add(breed)
        session.flush()
        audit.record(session, at=now, actor=actor, shop_id=shop_id, entity="breed",
                     action="breed.create" if breed_id is None else "breed.update",
                     entity_id=breed.id, details={"name": breed.name, "porte": porte,
                                                  "pelagem": pelagem})
        return breed


def _refuse_taken(session: Session, species: str, shown: str, breed_id: int | None, *,
                  field: str) -> None:
    """Refuse a name or nickname another breed of the species already answers to."""
    folded = normalize(shown)
    breeds = list(session.exec(select(Breed).where(Breed.species == species)).all())
    added = staff_aliases(session, [b.id for b in breeds])
    for other in breeds:
        if other.id != breed_id and folded in candidate_texts(other, added.get(other.id)):
            raise ValidationFailed(f"“{shown}” já é a raça {other.name}.",
                                   details={"field": field})


def add_alias(engine: Engine, *, shop_id: int, breed_id: int, alias: str, actor: str,
              now: datetime) -> BreedAlias:
    """Add a nickname the bot's breed match accepts from now on."""
    text = " ".join((alias or "").split())
    folded = normalize(text)
    if not folded or len(text) > MAX_ALIAS:
        raise ValidationFailed(f"Escreva o apelido (até {MAX_ALIAS} caracteres).",
                               details={"field": "alias"})
    with write_session(engine, expire_on_commit=False) as session:
        breed = _breed(session, breed_id)
        mine = candidate_texts(breed, staff_aliases(session, [breed.id]).get(breed.id))
        if folded in mine:
            raise ValidationFailed(f"A raça {breed.name} já aceita “{text}”.",
                                   details={"field": "alias"})
        _refuse_taken(session, breed.species, text, breed.id, field="alias")
        row = BreedAlias(breed_id=breed.id, alias=text)
        session.add(row)
        session.flush()
        audit.record(session, at=now, actor=actor, shop_id=shop_id, action="breed.alias_add",
                     entity="breed", entity_id=breed.id, details={"alias": text})
        return row


def remove_alias(engine: Engine, *, shop_id: int, alias_id: int, actor: str,
                 now: datetime) -> str:
    """Remove a nickname staff added (the shipped ones stay); returns it."""
    with write_session(engine) as session:
        row = session.get(BreedAlias, alias_id)
        if row is None:
            raise NotFound("Apelido não encontrado.")
        alias = row.alias
        audit.record(session, at=now, actor=actor, shop_id=shop_id, action="breed.alias_remove",
                     entity="breed", entity_id=row.breed_id, details={"alias": alias})
        session.delete(row)
        return alias


def set_not_accepted(engine: Engine, *, shop_id: int, breed_id: int, refused: bool,
                     message: str, actor: str, now: datetime) -> None:
    """Mark a breed "não atendemos" for this shop (with the tutor's message, blank for the
    default one) or accept it again."""
    text = (message or "").strip()
    if len(text) > MAX_MESSAGE:
        raise ValidationFailed(f"A mensagem tem no máximo {MAX_MESSAGE} caracteres.",
                               details={"field": "message"})
    with write_session(engine) as session:
        breed = _breed(session, breed_id)
        row = session.get(NotAcceptedBreed, (shop_id, breed_id))
        if refused:
            row = row or NotAcceptedBreed(shop_id=shop_id, breed_id=breed_id)
            row.message = text
            session.add(row)
        elif row is not None:
            session.delete(row)
        audit.record(session, at=now, actor=actor, shop_id=shop_id, entity="breed",
                     action="breed.not_accepted" if refused else "breed.accepted",
                     entity_id=breed.id, details={"name": breed.name, "message": text})
