"""What tutors type about their pet, read into the register's values (pure).

The bot's questions offer buttons, but tutors type: "minha cachorra", "dog kkk", "media, uns
12 kg", "curtinha", "é macho". Each reader returns the value the pet's record takes, or None
when the words do not say it (or say two things). The NLU's entities come first in the dialogue;
these words are the fallback, and the only reader of the words said before a question is asked
("quero banho pra minha cachorra" at the species question).
"""

from __future__ import annotations

import re

from scheduler_core.kernel.text import normalize

# Words for the pet that say its species, and its sex when they are feminine.
SPECIES_WORDS = {
    "cachorra": ("cao", "femea"), "cadela": ("cao", "femea"), "cachorrinha": ("cao", "femea"),
    "cadelinha": ("cao", "femea"), "cachorro": ("cao", None), "cachorrinho": ("cao", None),
    "cao": ("cao", None), "dog": ("cao", None), "doguinho": ("cao", None),
    "gata": ("gato", "femea"), "gatinha": ("gato", "femea"), "gato": ("gato", None),
    "gatinho": ("gato", None), "felino": ("gato", None),
}  # fmt: skip
PORTE_WORDS = {
    "mini": "mini", "miniatura": "mini", "minusculo": "mini", "toy": "mini",
    "pequeno": "pequeno", "pequena": "pequeno", "pequenininho": "pequeno", "pequenino": "pequeno",
    "medio": "medio", "media": "medio", "mediano": "medio", "mediana": "medio",
    "grande": "grande", "grandao": "grande", "grandona": "grande",
    "gigante": "gigante", "enorme": "gigante",
}  # fmt: skip
PELAGEM_WORDS = {
    "curta": "curta", "curto": "curta", "curtinha": "curta", "curtinho": "curta",
    "baixa": "curta", "baixinha": "curta", "rente": "curta", "lisinho": "curta",
    "media": "media", "medio": "media", "mediana": "media",
    "longa": "longa", "longo": "longa", "comprida": "longa", "comprido": "longa",
    "peludo": "longa", "peluda": "longa", "cabeludo": "longa", "cabeluda": "longa",
}  # fmt: skip
SEX_WORDS = {"macho": "macho", "menino": "macho", "femea": "femea", "menina": "femea"}


def _words(text: str | None) -> list[str]:
    return normalize(text).split()


def _one(text: str | None, table: dict[str, str]) -> str | None:
    found = {table[w] for w in _words(text) if w in table}
    return found.pop() if len(found) == 1 else None


def pet_hints(text: str | None) -> tuple[str | None, str | None]:
    """(species, sex) the words of a message give ("minha cachorra" is a female dog; "meu gato"
    a cat, sex unsaid); (None, None) when it says neither, or two species."""
    found = {SPECIES_WORDS[w] for w in _words(text) if w in SPECIES_WORDS}
    species = {sp for sp, _ in found}
    if len(species) != 1:
        return None, None
    sexes = {sex for _, sex in found if sex}
    return species.pop(), sexes.pop() if len(sexes) == 1 else None


def porte_of(text: str | None) -> str | None:
    """The porte the words say ("média, uns 12 kg" is médio); None for none or two."""
    return _one(text, PORTE_WORDS)


def pelagem_of(text: str | None) -> str | None:
    """The pelagem the words say ("curtinha" is curta); None for none or two."""
    return _one(text, PELAGEM_WORDS)


def sex_of(text: str | None) -> str | None:
    """"macho"/"femea" from "é macho", "uma menina"; None for none or both."""
    return _one(text, SEX_WORDS)


_ANY = re.compile(r"\b(qualquer|tanto faz|nao importa|indiferente|quem tiver|o primeiro)\b")


def means_anyone(text: str | None) -> bool:
    """"qualquer um", "tanto faz", "não importa": no preference (of professional, of time)."""
    return _ANY.search(normalize(text)) is not None
