"""The breed table (Tabela de Raças): loading the shipped list and fuzzy matching free text.

``breeds.csv`` (next to this module) lists common Brazilian dog, cat and rodent breeds with their
default porte (size) and pelagem (coat) and the nicknames tutors type ("lulu", "salsicha",
"vira-lata"). The shipped aliases live in the CSV; the ones staff add in Configuração → Raças
are ``BreedAlias`` rows (``breed_table.py``); the matcher uses both.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from sqlmodel import Session, col, select

from scheduler_core.kernel.text import normalize
from scheduler_core.people.models import Breed, BreedAlias

CSV_PATH = Path(__file__).with_name("breeds.csv")
SRD_NAME = "SRD (sem raça definida)"
# Below this score a candidate is not a match at all.
MIN_SCORE = 70.0


@dataclass(frozen=True)
class BreedRow:
    species: str
    name: str
    default_porte: str | None
    default_pelagem: str | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class BreedMatch:
    id: int
    species: str
    name: str
    default_porte: str | None
    default_pelagem: str | None
    score: float  # 0–100, 100 for an exact name or alias


@lru_cache(maxsize=1)
def shipped_breeds() -> tuple[BreedRow, ...]:
    with CSV_PATH.open(encoding="utf-8", newline="") as handle:
        return tuple(
            BreedRow(
                species=row["species"].strip(),
                name=row["name"].strip(),
                default_porte=row["default_porte"].strip() or None,
                default_pelagem=row["default_pelagem"].strip() or None,
                aliases=tuple(a.strip() for a in row["aliases"].split("|") if a.strip()),
            )
            for row in csv.DictReader(handle)
        )


def load_breeds(session: Session) -> int:
    """Insert the shipped breeds that are not in the table yet (by species + name).

    Idempotent; rows edited by staff keep their edits. Returns how many rows were added.
    The caller commits.
    """
    existing = {(b.species, b.name) for b in session.exec(select(Breed)).all()}
    added = 0
    for row in shipped_breeds():
        if (row.species, row.name) in existing:
            continue
        session.add(
            Breed(
                species=row.species,
                name=row.name,
                default_porte=row.default_porte,
                default_pelagem=row.default_pelagem,
            )
        )
        existing.add((row.species, row.name))
        added += 1
    session.flush()
    return added


def shipped_aliases(breed: Breed) -> tuple[str, ...]:
    """The CSV's nicknames of a breed (none for a breed staff added)."""
    for row in shipped_breeds():
        if row.species == breed.species and row.name == breed.name:
            return row.aliases
    return ()


def staff_aliases(session: Session, breed_ids: list[int]) -> dict[int, list[str]]:
    """The nicknames staff added, by breed id."""
    found: dict[int, list[str]] = {}
    if not breed_ids:
        return found
    rows = session.exec(select(BreedAlias).where(col(BreedAlias.breed_id).in_(breed_ids))).all()
    for row in rows:
        found.setdefault(row.breed_id, []).append(row.alias)
    return found


def candidate_texts(breed: Breed, extra: list[str] | None = None) -> set[str]:
    """Everything a tutor might type for this breed: the name, its parts, the aliases."""
    texts = {normalize(breed.name)}
    texts.update(normalize(alias) for alias in extra or ())
    # "Dachshund (Salsicha)" → also "dachshund" and "salsicha".
    outside = re.sub(r"\(.*?\)", " ", breed.name)
    texts.add(normalize(outside))
    texts.update(normalize(inside) for inside in re.findall(r"\((.*?)\)", breed.name))
    texts.update(normalize(alias) for alias in shipped_aliases(breed))
    return {t for t in texts if t}


def match_breeds(session: Session, species: str, text: str, limit: int = 5) -> list[BreedMatch]:
    """The breeds of ``species`` that best match free text, best first.

    Accent- and case-insensitive; nicknames count ("lulu" → Spitz Alemão, "vira-lata" → SRD);
    typos are tolerated ("shitzu" → Shih Tzu). Candidates scoring under ``MIN_SCORE`` are dropped,
    so nonsense returns an empty list.
    """
    query = normalize(text)
    if not query:
        return []
    breeds = session.exec(select(Breed).where(Breed.species == species)).all()
    added = staff_aliases(session, [b.id for b in breeds])
    scored: list[BreedMatch] = []
    for breed in breeds:
        candidates = candidate_texts(breed, added.get(breed.id))
        if query in candidates:
            score = 100.0
        else:
            best = process.extractOne(query, candidates, scorer=_score)
            score = float(best[1]) if best else 0.0
        if score >= MIN_SCORE:
            scored.append(
                BreedMatch(
                    id=breed.id,
                    species=breed.species,
                    name=breed.name,
                    default_porte=breed.default_porte,
                    default_pelagem=breed.default_pelagem,
                    score=round(score, 1),
                )
            )
    scored.sort(key=lambda m: (-m.score, m.name))
    return scored[:limit]


def _score(query: str, candidate: str, **_kwargs: Any) -> float:
    """Whole-text similarity, with partial matches ("golden" in "golden retriever") counted
    slightly lower than an exact alias so that nicknames win ties."""
    whole = fuzz.ratio(query, candidate)
    # A typed piece of a longer name ("labra" → "labrador retriever"); never the other way
    # round, or "spitz" would match the alias "pit".
    partial = (
        fuzz.partial_ratio(query, candidate) * 0.95 if 4 <= len(query) <= len(candidate) else 0.0
    )
    tokens = fuzz.token_set_ratio(query, candidate) * 0.9
    return max(whole, partial, tokens)


def srd_breed(session: Session, species: str) -> Breed | None:
    query = select(Breed).where(Breed.species == species, Breed.name == SRD_NAME)
    return session.exec(query).first()
