"""The filter every report takes, and the time-zone arithmetic of its period.

Decisions (the spec is silent):
- A period is a range of the shop's local dates, both ends included; it becomes the UTC
  half-open interval [local midnight of ``start``, local midnight of the day after ``end``).
- A visit belongs to the local date its start falls on, so a visit at 22:30 in São Paulo
  (01:30 UTC the next day) counts on the São Paulo date.
- Periods longer than :data:`MAX_DAYS` are refused (a pt-BR message), so a screen never asks
  for more than three years of rows; so are dates outside :data:`YEARS` (a shop's history,
  not year 1 or 9999, whose local midnights do not fit a datetime).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from scheduler_core.kernel.clock import to_utc
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.shop.models import Shop

MAX_DAYS = 3 * 366 + 31
#: The years a report period may fall in.
YEARS = range(2000, 2101)


class Basis(StrEnum):
    """Which date of an invoice places it in a period (the spec's Execution / Due / Payment)."""

    EXECUCAO = "execucao"  # the visit's start (or the invoice's creation without a visit)
    VENCIMENTO = "vencimento"  # the due date (or the creation without one)
    PAGAMENTO = "pagamento"  # the date it was fully paid


BASIS_LABELS: dict[str, str] = {
    Basis.EXECUCAO: "Execução (data do atendimento)",
    Basis.VENCIMENTO: "Vencimento",
    Basis.PAGAMENTO: "Pagamento",
}


@dataclass(frozen=True)
class ReportFilter:
    shop_id: int
    start: date
    end: date  # included
    tz: str = "America/Sao_Paulo"
    segment_id: int | None = None
    employee_id: int | None = None
    basis: str = Basis.EXECUCAO

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[local midnight of start, local midnight after end) in UTC."""
        lo = datetime.combine(self.start, time(0), tzinfo=self.zone)
        hi = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=self.zone)
        return lo.astimezone(UTC), hi.astimezone(UTC)

    def local_date(self, moment: datetime) -> date:
        return to_utc(moment).astimezone(self.zone).date()

    def local_hour(self, moment: datetime) -> int:
        return to_utc(moment).astimezone(self.zone).hour

    def days(self) -> Iterator[date]:
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)

    @property
    def length_days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> ReportFilter:
        """The period of the same length just before this one (month-over-month when the
        period is a calendar month: the previous calendar month)."""
        if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1:
            end = self.start - timedelta(days=1)
            return replace(self, start=end.replace(day=1), end=end)
        return replace(self, start=self.start - timedelta(days=self.length_days),
                       end=self.start - timedelta(days=1))


def make_filter(
    session: Session,
    shop_id: int,
    start: date,
    end: date,
    *,
    segment_id: int | None = None,
    employee_id: int | None = None,
    basis: str = Basis.EXECUCAO,
) -> ReportFilter:
    """A checked filter with the shop's time zone; pt-BR refusals for a bad period or basis."""
    tz = session.exec(select(Shop.timezone).where(Shop.id == shop_id)).first()
    if tz is None:
        raise NotFound("Loja não encontrada.", details={"shop_id": shop_id})
    if start.year not in YEARS or end.year not in YEARS:
        raise ValidationFailed(f"Escolha datas entre {YEARS.start} e {YEARS.stop - 1}.",
                               details={"field": "start" if start.year not in YEARS else "end"})
    if end < start:
        raise ValidationFailed("A data final é anterior à inicial.", details={"field": "end"})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed("Escolha um período de até 3 anos.", details={"field": "start"})
    if basis not in set(Basis):
        raise ValidationFailed("Base de data desconhecida.", details={"field": "basis"})
    return ReportFilter(shop_id=shop_id, start=start, end=end, tz=tz, segment_id=segment_id,
                        employee_id=employee_id, basis=basis)


def month_of(day: date) -> tuple[date, date]:
    """First and last day of ``day``'s month."""
    first = day.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt - timedelta(days=1)


def previous_month(today: date) -> tuple[date, date]:
    return month_of(today.replace(day=1) - timedelta(days=1))


def pct(part: int | float, whole: int | float) -> float:
    """``part`` / ``whole`` in percent, one decimal; 0 when ``whole`` is 0."""
    return round(100.0 * part / whole, 1) if whole else 0.0
