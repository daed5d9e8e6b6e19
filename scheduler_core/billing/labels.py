"""pt-BR labels of billing's enumerations (invoice status)."""

from __future__ import annotations

from scheduler_core.billing.models import InvoiceStatus

INVOICE_STATUS_LABELS: dict[str, str] = {
    InvoiceStatus.PENDENTE: "Pendente",
    InvoiceStatus.PAGA: "Paga",
    InvoiceStatus.VENCIDA: "Vencida",
    InvoiceStatus.CANCELADA: "Cancelada",
    InvoiceStatus.SEM_COBRANCA: "Sem cobrança",
}
