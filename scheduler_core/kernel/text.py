"""Folding free text for comparison: the one ``normalize`` of the project."""

from __future__ import annotations

import re
import unicodedata


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 conflito", "2 conflitos", "0 conflitos" (``plural_form`` defaults to singular + s):
    the one way a counted noun is written, never "conflito(s)"."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def normalize(text: str | None, *, keep_punctuation: bool = False) -> str:
    """Lower case, no accents, single spaces; punctuation becomes a space
    ("Lulu-da-Pomerânia!" → "lulu da pomerania"). ``keep_punctuation`` keeps it for the readers
    of typed dates and times ("Amanhã  às 14:30" → "amanha as 14:30")."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if not keep_punctuation:
        plain = re.sub(r"[^a-z0-9]+", " ", plain)
    return re.sub(r"\s+", " ", plain).strip()
