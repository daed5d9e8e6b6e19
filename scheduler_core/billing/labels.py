"""pt-BR labels of billing's enumerations (invoice status and kind)."""

from __future__ import annotations

from scheduler_core.billing.models import InvoiceKind, InvoiceStatus

INVOICE_STATUS_LABELS: dict[str, str] = {
    InvoiceStatus.PENDENTE: "Pendente",
    InvoiceStatus.PARCIAL: "Parcial",
    InvoiceStatus.PAGA: "Paga",
    InvoiceStatus.VENCIDA: "Vencida",
    InvoiceStatus.CANCELADA: "Cancelada",
    InvoiceStatus.SEM_COBRANCA: "Sem cobrança",
}
INVOICE_KIND_LABELS: dict[str, str] = {
    InvoiceKind.AGENDAMENTO: "Agendamento",
    InvoiceKind.PLANO: "Plano/Pacote",
    InvoiceKind.AVULSA: "Avulsa",
    InvoiceKind.VOUCHER: "Voucher",
}
