"""When an employee cannot be booked on a day, as intervals for the agenda's day grid: a day
off (no working range that weekday), the time before and after the shift, the breaks between its
ranges and the blocks (the employee's or the shop's). The same inputs the availability engine
reads (``WorkingRange``, ``Block``), so what the grid shades is what the booking refuses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from scheduler_core.agenda.models import Block
from scheduler_core.kernel.clock import minutes_of
from scheduler_core.shop.models import WorkingRange

DAY_MIN = 24 * 60

FOLGA = "folga"
FORA_DO_TURNO = "fora_do_turno"
INTERVALO = "intervalo"
BLOQUEIO = "bloqueio"

KIND_LABELS = {
    FOLGA: "Folga",
    FORA_DO_TURNO: "Fora do expediente",
    INTERVALO: "Intervalo",
    BLOQUEIO: "Bloqueado",
}


@dataclass(frozen=True)
class Unavailable:
    """``start_min``–``end_min`` (minutes of the shop's wall-clock day) the employee is not
    bookable; ``label`` is the pt-BR text the grid shows."""

    start_min: int
    end_min: int
    kind: str
    label: str


def _merged(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def unavailable_intervals(
    working: Sequence[tuple[int, int]], blocks: Sequence[tuple[int, int, str]] = ()
) -> list[Unavailable]:
    """Pure: the unavailable intervals of a day from its working ranges (minutes of the day)
    and its blocks ``(start, end, reason)`` (a whole-day block is ``(0, 1440, reason)``)."""
    shift = _merged(working)
    out: list[Unavailable] = []
    if not shift:
        out.append(Unavailable(0, DAY_MIN, FOLGA, KIND_LABELS[FOLGA]))
    else:
        if shift[0][0] > 0:
            out.append(Unavailable(0, shift[0][0], FORA_DO_TURNO, KIND_LABELS[FORA_DO_TURNO]))
        for (_s, end), (start, _e) in zip(shift, shift[1:], strict=False):
            out.append(Unavailable(end, start, INTERVALO, KIND_LABELS[INTERVALO]))
        if shift[-1][1] < DAY_MIN:
            out.append(Unavailable(shift[-1][1], DAY_MIN, FORA_DO_TURNO,
                                   KIND_LABELS[FORA_DO_TURNO]))
    for start, end, reason in blocks:
        if end > start:
            label = f"{KIND_LABELS[BLOQUEIO]}: {reason}" if reason else KIND_LABELS[BLOQUEIO]
            out.append(Unavailable(start, end, BLOQUEIO, label))
    return sorted(out, key=lambda u: (u.start_min, u.end_min))


def _block_minutes(block: Block) -> tuple[int, int, str]:
    if block.all_day or not block.start or not block.end:
        return 0, DAY_MIN, block.reason
    return minutes_of(block.start), minutes_of(block.end), block.reason


def team_unavailable(
    session: Session, shop_id: int, employee_ids: Sequence[int], day: date
) -> dict[int, list[Unavailable]]:
    """{employee id: unavailable intervals on ``day``} for the given employees of the shop."""
    if not employee_ids:
        return {}
    working: dict[int, list[tuple[int, int]]] = {e: [] for e in employee_ids}
    for wr in session.exec(select(WorkingRange).where(
            col(WorkingRange.employee_id).in_(list(employee_ids)),
            WorkingRange.weekday == day.weekday())).all():
        working[wr.employee_id].append((minutes_of(wr.start), minutes_of(wr.end)))
    blocks: dict[int | None, list[tuple[int, int, str]]] = {}
    wanted = day.isoformat()
    for block in session.exec(select(Block).where(Block.shop_id == shop_id)).all():
        if wanted in (block.dates or []):
            blocks.setdefault(block.employee_id, []).append(_block_minutes(block))
    shop_wide = blocks.get(None, [])
    return {e: unavailable_intervals(working[e], shop_wide + blocks.get(e, []))
            for e in employee_ids}


def employee_unavailable(
    session: Session, shop_id: int, employee_id: int, day: date
) -> list[Unavailable]:
    """The unavailable intervals of one employee on ``day``."""
    return team_unavailable(session, shop_id, [employee_id], day)[employee_id]
