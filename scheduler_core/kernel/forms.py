"""Parsing of what staff type in forms, with pt-BR error messages, and the collector of a form's
field errors that the configuration use cases raise as one :class:`ValidationFailed`.

Every parser raises :class:`FieldError` (a ValueError whose text is shown next to the field).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import TypeVar

from scheduler_core.kernel.errors import ValidationFailed

T = TypeVar("T")


class FieldError(ValueError):
    pass


def agreeing(label: str, masculine: str, feminine: str) -> str:
    """The adjective agreeing with ``label``'s article ("A taxa" → feminine, "O valor" →
    masculine): "A taxa é inválida", never "A taxa é inválido"."""
    return feminine if re.match(r"(?i)as? ", label) else masculine


def parse_money(text: str | None, *, required: bool = True, label: str = "O valor") -> int | None:
    """"45", "45,90", "1.234,56", "R$ 45,90", "45.9" → centavos. Negative → error."""
    raw = (text or "").strip().replace("R$", "").replace(" ", "")
    if not raw:
        if required:
            raise FieldError(f"{label} é {agreeing(label, 'obrigatório', 'obrigatória')}.")
        return None
    negative = raw.startswith("-")
    raw = raw.lstrip("-+")
    if "," in raw:
        raw = raw.replace(".", "").replace(",", ".")
    elif raw.count(".") > 1 or re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
        raw = raw.replace(".", "")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", raw):
        invalid = agreeing(label, "inválido", "inválida")
        raise FieldError(f"{label} é {invalid}: use por exemplo 45,90.")
    whole, _, frac = raw.partition(".")
    cents = int(whole) * 100 + int((frac + "00")[:2])
    if negative and cents:
        raise FieldError(f"{label} não pode ser {agreeing(label, 'negativo', 'negativa')}.")
    return cents


def parse_int(text: str | None, *, label: str, minimum: int | None = None,
              maximum: int | None = None, required: bool = True) -> int | None:
    raw = (text or "").strip()
    if not raw:
        if required:
            raise FieldError(f"{label}: preencha este campo.")
        return None
    if not re.fullmatch(r"-?\d+", raw):
        raise FieldError(f"{label}: use um número inteiro.")
    value = int(raw)
    if minimum is not None and value < minimum:
        raise FieldError(f"{label}: o mínimo é {minimum}.")
    if maximum is not None and value > maximum:
        raise FieldError(f"{label}: o máximo é {maximum}.")
    return value


def parse_hhmm(text: str | None, *, label: str = "Horário") -> str:
    raw = (text or "").strip()
    match = re.fullmatch(r"(\d{1,2}):?(\d{2})", raw)
    if not match:
        raise FieldError(f"{label}: use o formato HH:MM, por exemplo 08:30.")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24 and minutes == 0:
        return "24:00"
    if hours > 23 or minutes > 59:
        raise FieldError(f"{label}: horário inválido ({raw}).")
    return f"{hours:02d}:{minutes:02d}"


_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DIGITS_ONLY = re.compile(r"(\d{2})(\d{2})(\d{4}|\d{2})")  # a phone's number pad has no "/"


def parse_form_date(text: str | None, *, label: str = "Data") -> date:
    """A date as staff type it: "24/12/2026", "24/12/26", "24-12-2026", "24.12.2026",
    "24122026" or the ISO "2026-12-24" that browsers' date pickers send. FieldError in pt-BR
    otherwise."""
    raw = (text or "").strip()[:40]  # echoed in the message
    iso = _ISO.fullmatch(raw)
    day_first = _DAY_FIRST.fullmatch(raw) or _DIGITS_ONLY.fullmatch(raw)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif day_first:
        day, month, year = (int(g) for g in day_first.groups())
        if year < 100:
            year += 2000
    else:
        raise FieldError(f"{label}: use o formato dd/mm/aaaa, por exemplo 24/12/2026 ({raw}).")
    try:
        return date(year, month, day)
    except ValueError:
        raise FieldError(f"{label}: essa data não existe ({raw}).") from None


def minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def parse_ranges(
    pairs: list[tuple[str, str]], *, max_ranges: int, what: str
) -> list[tuple[str, str]]:
    """Validate one weekday's ranges: HH:MM, start < end, no overlap, at most ``max_ranges``.
    Empty pairs are ignored. Returns them sorted."""
    ranges = []
    for start, end in pairs:
        if not (start or "").strip() and not (end or "").strip():
            continue
        s = parse_hhmm(start, label="Início")
        e = parse_hhmm(end, label="Fim")
        if minutes(e) <= minutes(s):
            raise FieldError(f"{what}: o fim ({e}) deve ser depois do início ({s}).")
        ranges.append((s, e))
    ranges.sort(key=lambda r: minutes(r[0]))
    for (_s1, e1), (s2, _e2) in zip(ranges, ranges[1:], strict=False):
        if minutes(s2) < minutes(e1):
            raise FieldError(f"{what}: os intervalos {_s1}–{e1} e {s2}–{_e2} se sobrepõem.")
    if len(ranges) > max_ranges:
        breaks = max_ranges - 1
        raise FieldError(
            f"{what}: no máximo {max_ranges} faixas por dia ({breaks} intervalos/pausas)."
        )
    return ranges


def parse_list(text: str | None) -> list[str]:
    """Comma- or line-separated list, trimmed, without empties or duplicates."""
    items = [p.strip() for p in re.split(r"[,\n;]", text or "")]
    return list(dict.fromkeys(p for p in items if p))


def is_valid_cnpj(value: str) -> bool:
    digits = re.sub(r"\D", "", value or "")
    if len(digits) != 14 or digits == digits[0] * 14:
        return False

    def digit(base: str, weights: list[int]) -> str:
        total = sum(int(d) * w for d, w in zip(base, weights, strict=True))
        rest = total % 11
        return "0" if rest < 2 else str(11 - rest)

    w1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    first = digit(digits[:12], w1)
    second = digit(digits[:12] + first, [6, *w1])
    return digits[12:] == first + second


def parse_id(value: object) -> int | None:
    """A record id typed or posted in a form ("12") → 12; anything else (blank, "abc", "²",
    "-3") → None, never an exception."""
    raw = str(value if value is not None else "").strip()
    return int(raw) if re.fullmatch(r"[0-9]{1,18}", raw) else None


def parse_ids(values: Iterable[object]) -> list[int]:
    """The ids of a multi-select, in order, without duplicates; values that are not ids are
    dropped."""
    return list(dict.fromkeys(i for i in map(parse_id, values) if i is not None))


def text_of(values: Mapping, key: str, max_len: int = 200) -> str:
    """A text field, trimmed and cut at ``max_len``."""
    return str(values.get(key) or "").strip()[:max_len]


def flag(values: Mapping, key: str) -> bool:
    """A checkbox: "1", "on", "true" or "sim"."""
    return str(values.get(key) or "").lower() in {"1", "on", "true", "sim"}


class Collector:
    """Collects the field errors of a form; ``check()`` raises them all at once as
    :class:`ValidationFailed` with ``details["fields"] = {field: pt-BR message}``."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def run(self, field: str, fn: Callable[..., T], *args: object, **kwargs: object) -> T | None:
        """``fn(*args, **kwargs)``, or None with the field's error noted on :class:`FieldError`."""
        try:
            return fn(*args, **kwargs)
        except FieldError as exc:
            self.errors.setdefault(field, str(exc))
            return None

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed("; ".join(self.errors.values()),
                                   details={"fields": dict(self.errors)})


def parse_species(errs: Collector, chosen: Iterable[str], allowed: Iterable[str],
                  field: str = "species") -> list[str]:
    """The species picked among ``allowed`` (at least one), in order, without duplicates."""
    ok = set(allowed)
    picked = [s for s in chosen if s in ok]
    if not picked:
        errs.add(field, "Escolha pelo menos uma espécie.")
    return list(dict.fromkeys(picked))
