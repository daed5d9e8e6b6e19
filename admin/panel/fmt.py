"""pt-BR formatting for templates (money, dates, labels of stored enumerations)."""

from __future__ import annotations

from datetime import date, datetime

from scheduler_core.agenda.models import AppointmentStatus, RestrictionScope
from scheduler_core.billing.models import InvoiceStatus
from scheduler_core.catalog.models import CategoryKind
from scheduler_core.kernel.clock import from_utc_naive
from scheduler_core.kernel.money import format_brl
from scheduler_core.people.models import Pelagem, Porte, Species
from scheduler_core.shop.models import SegmentKind

WEEKDAYS = ["Segunda", "Terça", "Quarta", "Quinta", "Sexta", "Sábado", "Domingo"]
WEEKDAYS_SHORT = ["Seg", "Ter", "Qua", "Qui", "Sex", "Sáb", "Dom"]
MONTHS = ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
          "setembro", "outubro", "novembro", "dezembro"]

STATUS_LABELS = {
    AppointmentStatus.AGENDADO: "Agendado",
    AppointmentStatus.CONFIRMADO: "Confirmado",
    AppointmentStatus.RECEBIDO: "Recebido",
    AppointmentStatus.EM_ATENDIMENTO: "Em atendimento",
    AppointmentStatus.FINALIZADO: "Finalizado",
    AppointmentStatus.ENTREGUE: "Entregue",
    AppointmentStatus.CANCELADO: "Cancelado",
    AppointmentStatus.NAO_COMPARECEU: "Não compareceu",
}
BOARD_STATUSES = [
    AppointmentStatus.AGENDADO, AppointmentStatus.CONFIRMADO, AppointmentStatus.RECEBIDO,
    AppointmentStatus.EM_ATENDIMENTO, AppointmentStatus.FINALIZADO, AppointmentStatus.ENTREGUE,
]
SPECIES_LABELS = {Species.CAO: "Cão", Species.GATO: "Gato", Species.ROEDOR: "Roedor"}
PORTE_LABELS = {Porte.MINI: "Mini", Porte.PEQUENO: "Pequeno", Porte.MEDIO: "Médio",
                Porte.GRANDE: "Grande", Porte.GIGANTE: "Gigante"}
PELAGEM_LABELS = {Pelagem.CURTA: "Curta", Pelagem.MEDIA: "Média", Pelagem.LONGA: "Longa"}
SEGMENT_LABELS = {SegmentKind.PET_SHOP: "Pet Shop", SegmentKind.CLINICA: "Clínica",
                  SegmentKind.CRECHE: "Creche", SegmentKind.HOTEL: "Hotel"}
CATEGORY_KIND_LABELS = {
    CategoryKind.BANHO: "Banho", CategoryKind.TOSA: "Tosa", CategoryKind.CLINICA: "Clínica",
    CategoryKind.CRECHE: "Creche", CategoryKind.HOTEL: "Hotel",
    CategoryKind.ADICIONAL: "Adicional", CategoryKind.OUTRO: "Outro",
    CategoryKind.LEVA_E_TRAZ: "Leva e Traz",
}
SCOPE_LABELS = {RestrictionScope.AGENDA: "Agenda", RestrictionScope.ROBO: "Robô",
                RestrictionScope.AMBOS: "Agenda e robô"}
INVOICE_STATUS_LABELS = {
    InvoiceStatus.PENDENTE: "Pendente", InvoiceStatus.PAGA: "Paga",
    InvoiceStatus.VENCIDA: "Vencida", InvoiceStatus.CANCELADA: "Cancelada",
    InvoiceStatus.SEM_COBRANCA: "Sem cobrança",
}


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


def label(value, table: dict) -> str:
    return table.get(value, value or "")


FILTERS = {
    "money": money,
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
