"""pt-BR formatting for templates (money, dates, labels of stored enumerations)."""

from __future__ import annotations

from datetime import date, datetime

from scheduler_core.agenda.labels import SCOPE_LABELS, STATUS_LABELS
from scheduler_core.agenda.models import AppointmentStatus
from scheduler_core.billing.labels import INVOICE_STATUS_LABELS
from scheduler_core.catalog.labels import CATEGORY_KIND_LABELS
from scheduler_core.kernel.clock import from_utc_naive
from scheduler_core.kernel.dates_ptbr import MONTH_NAMES as MONTHS
from scheduler_core.kernel.dates_ptbr import WEEKDAY_NAMES as WEEKDAYS
from scheduler_core.kernel.money import format_brl
from scheduler_core.kernel.text import plural as text_plural
from scheduler_core.people.labels import PELAGEM_LABELS, PORTE_LABELS, SPECIES_LABELS
from scheduler_core.people.masking import show_phone
from scheduler_core.shop.labels import SEGMENT_LABELS

BOARD_STATUSES = [
    AppointmentStatus.AGENDADO, AppointmentStatus.CONFIRMADO, AppointmentStatus.RECEBIDO,
    AppointmentStatus.EM_ATENDIMENTO, AppointmentStatus.FINALIZADO, AppointmentStatus.ENTREGUE,
]


def money(cents: int | None) -> str:
    return "—" if cents is None else format_brl(cents)


def cents_input(cents: int | None) -> str:
    """Centavos → the text a price input shows ("45,00")."""
    if cents is None:
        return ""
    return f"{cents // 100},{cents % 100:02d}"


def local_dt(stored: datetime | None, tz: str) -> datetime | None:
    return from_utc_naive(stored, tz) if stored is not None else None


def date_br(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y")


def date_long(value: date) -> str:
    return f"{WEEKDAYS[value.weekday()]}, {value.day} de {MONTHS[value.month - 1]} de {value.year}"


def hm(value: datetime | None) -> str:
    return value.strftime("%H:%M") if value else ""


def number_br(value: float | int | None, decimals: int = 1) -> str:
    """A number as a Brazilian reads it: "6,5", "1.234,5"; trailing zeros dropped ("6")."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}".replace(",", "\0").replace(".", ",").replace("\0", ".")
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text


def kg(grams: int | None) -> str:
    """A weight stored in grams → "6,5 kg"."""
    return "" if grams is None else f"{number_br(grams / 1000)} kg"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 conflito", "2 conflitos" (the core's kernel.text.plural, as a template filter)."""
    return text_plural(count, singular, plural_form)


def label(value, table: dict) -> str:
    return table.get(value, value or "")


def report_cell(value, kind: str) -> str:
    """A report table's cell on screen (the kinds of scheduler_core.reports.tables)."""
    if value is None:
        return "—"
    if kind == "money":
        return format_brl(int(value))
    if kind == "pct":
        return f"{float(value):.1f}".replace(".", ",") + " %"
    if kind == "score":
        return f"{float(value):.1f}".replace(".", ",")
    if kind == "datetime" and isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if kind == "date" and isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if kind == "int" and isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return str(value)


def date_runs(days: list[str]) -> str:
    """ISO days → "24/12/2026 a 02/01/2027, 10/01/2027": consecutive days as one range."""
    parsed = sorted(date.fromisoformat(d) for d in days)
    runs: list[list[date]] = []
    for day in parsed:
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(f"{r[0]:%d/%m/%Y}" if len(r) == 1 else f"{r[0]:%d/%m/%Y} a {r[-1]:%d/%m/%Y}"
                     for r in runs)


def phone_shown(phone: str | None, sensitive: bool) -> str:
    """A tutor's phone in full or masked (scheduler_core.people.masking)."""
    return show_phone(phone, sensitive=bool(sensitive))


FILTERS = {
    "phone_shown": phone_shown,
    "date_runs": date_runs,
    "report_cell": report_cell,
    "money": money,
    "number_br": number_br,
    "kg": kg,
    "plural": plural,
    "cents_input": cents_input,
    "date_br": date_br,
    "date_long": date_long,
    "hm": hm,
    "status_label": lambda v: label(v, STATUS_LABELS),
    "species_label": lambda v: label(v, SPECIES_LABELS),
    "porte_label": lambda v: label(v, PORTE_LABELS),
    "pelagem_label": lambda v: label(v, PELAGEM_LABELS),
    "segment_label": lambda v: label(v, SEGMENT_LABELS),
    "category_kind_label": lambda v: label(v, CATEGORY_KIND_LABELS),
    "scope_label": lambda v: label(v, SCOPE_LABELS),
    "invoice_status_label": lambda v: label(v, INVOICE_STATUS_LABELS),
}
