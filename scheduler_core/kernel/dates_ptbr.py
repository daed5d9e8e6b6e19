"""Typed pt-BR dates as tutors write them on WhatsApp ("amanhã à tarde", "sexta", "dia 15").

Pure: ``today`` is passed in. :func:`parse_date_ptbr` returns a :class:`TypedDate` (date plus an
optional period "manha"/"tarde") or ``None`` when the text holds no date. Numeric dates go through
python-dateutil with ``dayfirst=True`` (Brazilian order); words are handled by the rules below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

from scheduler_core.kernel.text import normalize

#: pt-BR names to show, 0 = Monday (``date.weekday()``); lower-case them inside a sentence.
WEEKDAY_NAMES = ("Segunda", "Terça", "Quarta", "Quinta", "Sexta", "Sábado", "Domingo")
WEEKDAY_SHORT_NAMES = ("Seg", "Ter", "Qua", "Qui", "Sex", "Sáb", "Dom")
MONTH_NAMES = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
               "setembro", "outubro", "novembro", "dezembro")

# Words tutors type → weekday / month (accents folded).
WEEKDAYS = {
    "segunda": 0,
    "seg": 0,
    "terca": 1,
    "ter": 1,
    "quarta": 2,
    "qua": 2,
    "quinta": 3,
    "qui": 3,
    "sexta": 4,
    "sex": 4,
    "sabado": 5,
    "sab": 5,
    "domingo": 6,
    "dom": 6,
}

MONTHS = {
    "janeiro": 1,
    "jan": 1,
    "fevereiro": 2,
    "fev": 2,
    "marco": 3,
    "mar": 3,
    "abril": 4,
    "abr": 4,
    "maio": 5,
    "mai": 5,
    "junho": 6,
    "jun": 6,
    "julho": 7,
    "jul": 7,
    "agosto": 8,
    "ago": 8,
    "setembro": 9,
    "set": 9,
    "outubro": 10,
    "out": 10,
    "novembro": 11,
    "nov": 11,
    "dezembro": 12,
    "dez": 12,
}

MORNING = "manha"
AFTERNOON = "tarde"


@dataclass(frozen=True)
class TypedDate:
    day: date
    period: str | None = None  # "manha" | "tarde" | None


def _period(norm: str) -> str | None:
    if re.search(r"\b(manha|cedo|de manha|pela manha)\b", norm):
        return MORNING
    if re.search(r"\b(tarde|tardinha|depois do almoco)\b", norm):
        return AFTERNOON
    return None


def _next_weekday(today: date, weekday: int, *, strictly_after: bool) -> date:
    delta = (weekday - today.weekday()) % 7
    if delta == 0 and strictly_after:
        delta = 7
    return today + timedelta(days=delta)


def _day_of_month(today: date, day: int) -> date:
    """The next date with that day of month (this month if not past, else the next that has it)."""
    first = today.replace(day=1)
    for months in range(13):
        month_start = first + relativedelta(months=months)
        try:
            candidate = month_start.replace(day=day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise ValueError(day)


def _monday_next_week(today: date) -> date:
    return today - timedelta(days=today.weekday()) + timedelta(days=7)


class _NotADate(Exception):
    """A rule recognised the text's shape but it names no real date ("31/02"): stop, no date."""


def _next_year_if_past(today: date, month: int, day: int) -> date:
    """That day and month this year, or next year when already past; _NotADate if impossible."""
    try:
        candidate = date(today.year, month, day)
    except ValueError:
        raise _NotADate from None
    if candidate < today:
        candidate = date(today.year + 1, month, day)
    return candidate


def _relative(norm: str, today: date) -> date | None:
    """ "depois de amanhã", "amanhã", "hoje", "semana que vem" (optionally with a weekday)."""
    if re.search(r"\bdepois de amanha\b", norm):
        return today + timedelta(days=2)
    if re.search(r"\bamanha\b", norm):
        return today + timedelta(days=1)
    if re.search(r"\b(hoje|agora|ainda hoje)\b", norm):
        return today
    if re.search(r"\b(semana que vem|proxima semana|semana seguinte)\b", norm):
        # Monday of next week, unless a weekday is named ("terça da semana que vem").
        for word, weekday in WEEKDAYS.items():
            if len(word) > 3 and re.search(rf"\b{word}(-feira)?\b", norm):
                return _monday_next_week(today) + timedelta(days=weekday)
        return _monday_next_week(today)
    return None


def _numeric(norm: str, today: date) -> date | None:
    """ "15/12", "15/12/2026", "15-12", "15.12"."""
    numeric = re.search(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b", norm)
    if not numeric:
        return None
    try:
        parsed = date_parser.parse(numeric.group(0).replace(".", "/").replace("-", "/"),
                                   dayfirst=True, default=date_parser.parse("2000-01-01"))
    except (ValueError, OverflowError):
        raise _NotADate from None
    day, month = parsed.day, parsed.month
    if numeric.group(3):
        try:
            return date(parsed.year, month, day)
        except ValueError:
            raise _NotADate from None
    return _next_year_if_past(today, month, day)


def _named_month(norm: str, today: date) -> date | None:
    """ "15 de dezembro", "dia 15 de dez"."""
    named = re.search(r"\b(\d{1,2}) (?:de )?([a-z]{3,9})\b", norm)
    if not named or named.group(2) not in MONTHS:
        return None
    return _next_year_if_past(today, MONTHS[named.group(2)], int(named.group(1)))


def _day_only(norm: str, today: date) -> date | None:
    """ "dia 15": the next date with that day of month."""
    day_only = re.search(r"\bdia (\d{1,2})\b", norm)
    if not day_only:
        return None
    day = int(day_only.group(1))
    if not 1 <= day <= 31:
        raise _NotADate
    return _day_of_month(today, day)


def _weekday(norm: str, today: date) -> date | None:
    """ "sexta", "sexta-feira", "sexta que vem", "próxima sexta"."""
    for word, weekday in WEEKDAYS.items():
        if re.search(rf"\b{word}(-feira| feira)?\b", norm):
            if len(word) == 3 and not re.search(rf"\b{word}\b", norm):
                continue
            next_week = bool(re.search(rf"\b{word}(-feira| feira)? que vem\b", norm)) or bool(
                re.search(rf"\bproxim[oa] {word}\b", norm)
            )
            if next_week:
                # "sexta que vem" / "próxima sexta": the one in next calendar week.
                return _monday_next_week(today) + timedelta(days=weekday)
            return _next_weekday(today, weekday, strictly_after=False)
    return None


# Tried in this order; the first that recognises the text decides.
_RULES = (_relative, _numeric, _named_month, _day_only, _weekday)


def parse_date_ptbr(text: str, today: date) -> TypedDate | None:
    """Parse a typed pt-BR date relative to ``today`` (the shop's wall-clock date)."""
    norm = normalize(text, keep_punctuation=True)
    if not norm:
        return None
    period = _period(norm)
    try:
        for rule in _RULES:
            day = rule(norm, today)
            if day is not None:
                return TypedDate(day, period)
    except _NotADate:
        return None
    # A bare period ("de tarde") refers to today.
    if period and _BARE_PERIOD.fullmatch(norm):
        return TypedDate(today, period)
    return None


_BARE_PERIOD = re.compile(r"(a |de |pela |na |a parte da )?(manha|tarde|tardinha)")


def parse_bare_period_ptbr(text: str) -> str | None:
    """"de tarde", "pela manhã": a period and nothing else ("manha"/"tarde"), else None. Where
    the bot already shows days (its morning/afternoon question, its list of times) it is the
    period of those days, not today's (:func:`parse_date_ptbr` reads it as today)."""
    norm = normalize(text, keep_punctuation=True)
    return _period(norm) if _BARE_PERIOD.fullmatch(norm) else None


def parse_birth_date_ptbr(text: str, today: date) -> date | None:
    """A typed birth date: a real calendar day written dd/mm/aaaa (also with "-" or "."; a
    two-digit year is read as 19xx/20xx), not after ``today`` and not before 1900."""
    numeric = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\s*", text or "")
    if not numeric:
        return None
    day, month, year = (int(g) for g in numeric.groups())
    if year < 100:
        year += 2000 if 2000 + year <= today.year else 1900
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    return born if date(1900, 1, 1) <= born <= today else None


def format_date_ptbr(day: date) -> str:
    """dd/mm with the weekday name: "sex 18/12"."""
    names = ["seg", "ter", "qua", "qui", "sex", "sáb", "dom"]
    return f"{names[day.weekday()]} {day:%d/%m}"


_RANGE_SPLIT = re.compile(r"\s+(?:a|ate|até|ao|à|-|–)\s+|\s*[-–]\s*(?=\d)", re.IGNORECASE)


def parse_day_range_ptbr(text: str, today: date) -> tuple[date, date] | None:
    """A typed day or range of days: "15/12", "amanhã", "de 15/12 a 19/12", "15 a 19/12",
    "segunda até sexta". Returns (first, last), equal for one day; None when no date is read.
    A first day written without a month ("15 a 19/12") takes the last day's month."""
    norm = normalize(text, keep_punctuation=True)
    norm = re.sub(r"^(de|do|dia|dias|entre)\s+", "", norm)
    parts = [p for p in _RANGE_SPLIT.split(norm, maxsplit=1) if p.strip()]
    if not parts:
        return None
    if len(parts) == 1:
        single = parse_date_ptbr(parts[0], today)
        return (single.day, single.day) if single else None
    end = parse_date_ptbr(parts[1], today)
    if end is None:
        return None
    start_text = parts[0].strip()
    if re.fullmatch(r"\d{1,2}", start_text):
        try:
            first = end.day.replace(day=int(start_text))
        except ValueError:
            return None
        if first > end.day:
            first -= relativedelta(months=1)
        return first, end.day
    start = parse_date_ptbr(start_text, today)
    if start is None:
        return None
    last = end.day
    if last < start.day and not re.search(r"\d", parts[1]):  # "sexta a segunda": the Monday after
        last = parse_date_ptbr(parts[1], start.day)
        last = last.day if last else None
    return (start.day, last) if last and last >= start.day else None


# "15h", "15h30", "15:30", "15 horas", "às 15", "as 15 e meia": a time of day as tutors type it.
# A bare number counts only after "às"/"as" (a bare "15" is a day of the month).
_TIME = re.compile(
    r"(?<![\d/])(?:(?P<at>\b(?:as|a)\s+)?(?P<hour>\d{1,2})"
    r"(?:\s*(?::|h|hs|hrs|horas?)\s*(?P<minute>\d{2})?|(?P<half>\s+e\s+meia))?)(?![\d/])"
)


def parse_time_ptbr(text: str) -> time | None:
    """The time of day in a typed message ("tem as 16h30?", "sexta 15:00", "às 9"), or None.
    Times outside 0:00-23:59 and numbers that are not times (a day, a weight) give None.
    "às 2 da tarde" is 14:00."""
    norm = normalize(text, keep_punctuation=True)
    afternoon = _period(norm) == AFTERNOON or re.search(r"\bda noite\b", norm) is not None
    for match in _TIME.finditer(norm):
        marked = match.group(0).strip()
        has_unit = bool(re.search(r"[:h]", marked[len(match.group("at") or ""):]))
        if not (has_unit or match.group("at") or match.group("half")):
            continue
        hour = int(match.group("hour"))
        minute = 30 if match.group("half") else int(match.group("minute") or 0)
        if afternoon and 1 <= hour < 12:
            hour += 12
        if hour <= 23 and minute <= 59:
            return time(hour, minute)
    return None
