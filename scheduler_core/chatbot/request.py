"""What a tutor already said in one message: "quero banho pro thor sexta as 15h",
"cancela o banho da nina de amanhã".

The bot asks only what is still missing (issue 10): each reader below picks one thing out of the
free text — the pet by its name, the service by its name, the day, the period, the time — or
answers None when the text does not say it or says it ambiguously (two pets named, "tosa" when
the shop has "Tosa higiênica" and "Tosa na tesoura"). Pure: the candidates come from the caller.

Decisions (the spec is silent): a name counts only as whole words ("bob" is not in "bobagem");
a service named in full wins over one that only shares a word with the text; a typed time gives
its period ("15h" is the afternoon).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from scheduler_core.kernel.dates_ptbr import parse_date_ptbr, parse_time_ptbr
from scheduler_core.kernel.text import normalize


@dataclass(frozen=True)
class When:
    """The day, period ("manha"/"tarde") and time a message asks for (each may be None)."""

    day: date | None = None
    period: str | None = None
    at: time | None = None


def _has_words(text: str, words: str) -> bool:
    pattern = rf"(?<![a-z0-9]){re.escape(words)}(?![a-z0-9])"
    return bool(words) and re.search(pattern, text) is not None


def named_one(text: str, candidates: Sequence[tuple[int, str]]) -> int | None:
    """The one candidate (id, name) whose name the text holds as whole words, else None."""
    norm = normalize(text)
    found = [key for key, name in candidates if _has_words(norm, normalize(name))]
    return found[0] if len(set(found)) == 1 else None


def named_offer(text: str, offers: Sequence[tuple[str, str]]) -> str | None:
    """The offer (value, name) the text names: the one whose full name holds every other name
    the text holds ("banho e tosa" is the combo Banho e Tosa, not Banho); None when the text
    names two offers apart ("banho e tosa" with no such combo: both are asked about). Else the
    one offer whose first word the text holds ("tosa" when there is one kind of tosa)."""
    norm = normalize(text)
    full = {value: normalize(name) for value, name in offers if _has_words(norm, normalize(name))}
    if full:
        widest = [value for value, name in full.items()
                  if all(_has_words(name, other) for other in full.values())]
        return widest[0] if len(widest) == 1 else None
    partial = [value for value, name in offers
               if (first := normalize(name).split(" ")[0]) and len(first) >= 4
               and _has_words(norm, first)]
    return partial[0] if len(partial) == 1 else None


def at_time(at: time) -> When:
    """A time alone, with the period it falls in ("15h" is "tarde")."""
    return When(period="manha" if at.hour < 12 else "tarde", at=at)


def when_asked(text: str, today: date) -> When:
    """The day, period and time in the text; a time gives its period (:func:`at_time`)."""
    typed = parse_date_ptbr(text, today)
    at = parse_time_ptbr(text)
    day = typed.day if typed else None
    if at is not None:
        return When(day=day, period=at_time(at).period, at=at)
    return When(day=day, period=typed.period if typed else None)


@dataclass(frozen=True)
class Candidate:
    """One of the tutor's upcoming appointments, as the bot lists it."""

    key: int
    pet_name: str
    service_names: tuple[str, ...]
    day: date  # the shop's wall-clock day


def appointments_meant(text: str, today: date, candidates: Sequence[Candidate]) -> list[int]:
    """The appointments the text points at ("o banho da nina de amanhã"): those matching every
    pet, service and day it names; all of them when it names none of these."""
    norm = normalize(text)
    pets = {normalize(c.pet_name) for c in candidates}
    pet_words = {p for p in pets if _has_words(norm, p)}
    services = {normalize(n) for c in candidates for n in c.service_names}
    service_words = {s for s in services if _has_words(norm, s)}
    typed = parse_date_ptbr(text, today)
    chosen = []
    for c in candidates:
        if pet_words and normalize(c.pet_name) not in pet_words:
            continue
        if service_words and not service_words & {normalize(n) for n in c.service_names}:
            continue
        if typed is not None and typed.day != c.day:
            continue
        chosen.append(c.key)
    return chosen
