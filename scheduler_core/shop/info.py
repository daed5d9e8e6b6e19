"""Answers from the shop's own data: opening hours, address, payment methods, Leva e Traz zones,
"open now". Used by the bot (actions/) and usable by the admin; never hard-coded text per shop.

Functions take a session (or plain rows) and return pt-BR fragments the bot's response templates
wrap ("Nosso horário:\n{horarios}").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from scheduler_core.kernel.clock import minutes_of
from scheduler_core.kernel.dates_ptbr import WEEKDAY_NAMES
from scheduler_core.shop.labels import PAYMENT_METHOD_LABELS, SEGMENT_LABELS
from scheduler_core.shop.models import OpeningRange, Segment, Shop


@dataclass(frozen=True)
class DayHours:
    weekday: int
    ranges: tuple[tuple[str, str], ...]  # empty = closed


def segment_hours(session: Session, segment_id: int) -> list[DayHours]:
    rows = session.exec(
        select(OpeningRange).where(OpeningRange.segment_id == segment_id)
    ).all()
    by_day: dict[int, list[tuple[str, str]]] = {d: [] for d in range(7)}
    for row in rows:
        by_day[row.weekday].append((row.start, row.end))
    return [DayHours(d, tuple(sorted(by_day[d], key=lambda r: minutes_of(r[0])))) for d in range(7)]


def _collapse(days: list[DayHours]) -> list[tuple[int, int, tuple[tuple[str, str], ...]]]:
    """Consecutive weekdays with equal ranges → (first, last, ranges)."""
    groups: list[tuple[int, int, tuple[tuple[str, str], ...]]] = []
    for day in days:
        if groups and groups[-1][2] == day.ranges and groups[-1][1] == day.weekday - 1:
            first, _last, ranges = groups[-1]
            groups[-1] = (first, day.weekday, ranges)
        else:
            groups.append((day.weekday, day.weekday, day.ranges))
    return groups


def format_hours(days: list[DayHours], open_24h: bool = False) -> str:
    """Lines like "Segunda a Sexta: 08:00–12:00 e 13:00–18:00" / "Domingo: fechado"."""
    if open_24h:
        return "Aberto 24 horas, todos os dias"
    lines = []
    for first, last, ranges in _collapse(days):
        label = WEEKDAY_NAMES[first] if first == last else (
            f"{WEEKDAY_NAMES[first]} e {WEEKDAY_NAMES[last]}" if last == first + 1
            else f"{WEEKDAY_NAMES[first]} a {WEEKDAY_NAMES[last]}"
        )
        text = " e ".join(f"{a}–{b}" for a, b in ranges) if ranges else "fechado"
        lines.append(f"{label}: {text}")
    return "\n".join(lines)


def opening_hours_text(session: Session, shop_id: int) -> str:
    """Every active segment's week, headed by the segment label when there are several."""
    segments = session.exec(
        select(Segment).where(Segment.shop_id == shop_id, Segment.active == True)  # noqa: E712
        .order_by(Segment.id)
    ).all()
    parts = []
    for segment in segments:
        body = format_hours(segment_hours(session, segment.id), segment.open_24h)
        if len(segments) > 1:
            label = SEGMENT_LABELS.get(segment.kind, segment.name)
            parts.append(f"*{segment.name or label}*\n{body}")
        else:
            parts.append(body)
    return "\n\n".join(parts) if parts else "Horário não informado."


def address_text(shop: Shop) -> str:
    street = ", ".join(p for p in [shop.street, shop.number] if p)
    if shop.complement:
        street = f"{street} – {shop.complement}" if street else shop.complement
    city_state = "/".join(p for p in [shop.city, shop.state] if p)
    city = " – ".join(p for p in [shop.neighborhood, city_state] if p)
    parts = [p for p in [street, city, f"CEP {shop.cep}" if shop.cep else ""] if p]
    return "\n".join(parts) if parts else "Endereço não informado."


def payment_methods_text(shop: Shop) -> str:
    labels = [PAYMENT_METHOD_LABELS.get(m, m) for m in shop.payment_methods or []]
    if not labels:
        return "Consulte um atendente."
    return ", ".join(labels[:-1]) + (" e " if len(labels) > 1 else "") + labels[-1]


