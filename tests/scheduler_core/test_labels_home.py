"""Each vocabulary's pt-BR labels have one home, next to its enumeration, and every screen,
answer and audit line reads them from there."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import pytest

from scheduler_core.agenda.labels import ORIGIN_LABELS
from scheduler_core.agenda.models import Origin
from scheduler_core.audit.models import AuditLog
from scheduler_core.audit_trail import describe, value_text
from scheduler_core.billing.labels import CREDIT_REASON_LABELS, INVOICE_ITEM_KIND_LABELS
from scheduler_core.billing.models import CreditReason, InvoiceItemKind
from scheduler_core.billing.models import PaymentMethod as BillingPaymentMethod
from scheduler_core.chatbot.labels import BOT_MODE_LABELS
from scheduler_core.chatbot.models import BotMode
from scheduler_core.plans.labels import PLAN_KIND_LABELS
from scheduler_core.plans.models import PlanKind
from scheduler_core.shop import info as shop_info
from scheduler_core.shop.labels import PAYMENT_METHOD_LABELS
from scheduler_core.shop.models import PaymentMethod, Shop


@pytest.mark.parametrize(("enum", "labels"), [
    (PaymentMethod, PAYMENT_METHOD_LABELS), (BotMode, BOT_MODE_LABELS), (Origin, ORIGIN_LABELS),
    (InvoiceItemKind, INVOICE_ITEM_KIND_LABELS), (CreditReason, CREDIT_REASON_LABELS),
    (PlanKind, PLAN_KIND_LABELS)])
def test_every_code_has_a_label(enum: type[StrEnum], labels: dict[str, str]):
    assert set(labels) == set(enum)


def test_billing_reads_the_shops_payment_methods():
    assert BillingPaymentMethod is PaymentMethod


def test_the_bot_and_the_panel_name_a_payment_method_alike():
    # The bot said "Crédito na loja" where the panel, reports and audit said "Crédito do tutor".
    shop = Shop(name="Loja", payment_methods=["pix", "credito_tutor"])
    assert shop_info.payment_methods_text(shop) == "Pix e Crédito do tutor"


@pytest.mark.parametrize(("key", "value", "shown"), [
    ("method", "cartao_debito", "Cartão de débito"), ("mode", "auto_reply",
                                                      "Só resposta automática"),
    ("mode", "live", "Ligado"), ("origin", "bot", "Robô (WhatsApp)"), ("channel", "staff",
                                                                       "Equipe"),
    ("status", "sem_cobranca", "Sem cobrança"), ("kind", "plano", "Plano/Pacote"),
    ("kind", "servico", "Serviço"), ("reason", "payment_converted", "Pagamento convertido"),
    ("status", "nao_compareceu", "Não compareceu"), ("kind", "trimestral", "Trimestral")])
def test_the_audit_log_reads_each_owners_labels(key: str, value: str, shown: str):
    assert value_text(key, value, "America/Sao_Paulo") == shown


def test_an_audit_entry_reads_as_a_sentence_with_its_changes():
    row = AuditLog(actor="bot", action="config.bot", entity="botsettings", entity_id=None,
                   details={"mode": {"from": "off", "to": "live"}},
                   at=datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    entry = describe(row, {}, "America/Sao_Paulo")
    assert entry.sentence == "Robô alterou as configurações do robô."
    assert entry.changes == [("Modo", "De: Desligado, Para: Ligado")]
    assert f"{entry.at:%H:%M}" == "10:00"
