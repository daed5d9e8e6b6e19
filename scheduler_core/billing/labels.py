"""pt-BR labels of billing's enumerations (invoice status and kind, item kind, credit reason).
Payment methods are the shop's: scheduler_core.shop.labels.PAYMENT_METHOD_LABELS."""

from __future__ import annotations

from scheduler_core.billing.models import CreditReason, InvoiceItemKind, InvoiceKind, InvoiceStatus

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
INVOICE_ITEM_KIND_LABELS: dict[str, str] = {
    InvoiceItemKind.PRODUTO: "Produto",
    InvoiceItemKind.SERVICO: "Serviço",
    InvoiceItemKind.VOUCHER: "Voucher",
    InvoiceItemKind.LEVA_E_TRAZ: "Leva e Traz",
    InvoiceItemKind.OUTRO: "Outro",
}
CREDIT_REASON_LABELS: dict[str, str] = {
    CreditReason.OVERPAYMENT: "Pagamento a mais",
    CreditReason.VOUCHER: "Voucher",
    CreditReason.PAYMENT_CONVERTED: "Pagamento convertido",
    CreditReason.MANUAL: "Manual",
    CreditReason.INVOICE_PAYMENT: "Pagamento de fatura",
    CreditReason.REVERSAL: "Estorno",
}
