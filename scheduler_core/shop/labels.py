"""pt-BR labels of the shop's enumerations: the one home of each set."""

from __future__ import annotations

from scheduler_core.shop.models import PaymentMethod, SegmentKind

#: The pet-shop segment is named for what it does, as the bot's menu names it.
SEGMENT_LABELS: dict[str, str] = {
    SegmentKind.PET_SHOP: "Banho e tosa",
    SegmentKind.CLINICA: "Clínica",
    SegmentKind.CRECHE: "Creche",
    SegmentKind.HOTEL: "Hotel",
}

#: Staff and tutors read the same words (the panel's payments, the bot's "formas de pagamento",
#: the reports, the audit log).
PAYMENT_METHOD_LABELS: dict[str, str] = {
    PaymentMethod.PIX: "Pix",
    PaymentMethod.DINHEIRO: "Dinheiro",
    PaymentMethod.CARTAO_CREDITO: "Cartão de crédito",
    PaymentMethod.CARTAO_DEBITO: "Cartão de débito",
    PaymentMethod.CREDITO_TUTOR: "Crédito do tutor",
}
