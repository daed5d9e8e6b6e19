"""The audit trail in pt-BR: one sentence per entry ("Ana agendou o atendimento #35.") and its
details as readable changes ("Status: Agendado → Entregue", "Atrasado: Não", "Início:
24/11/2026 09:00").

The audit package's own words (actions, actors, detail keys) are scheduler_core.audit.labels;
a value in the details is labelled by the package owning its enumeration, read here. This
module sits above those packages because they record their rows through scheduler_core.audit
(billing, chatbot...), which therefore cannot import their labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from scheduler_core.agenda.labels import ORIGIN_LABELS, STATUS_LABELS
from scheduler_core.audit import labels
from scheduler_core.audit.models import AuditLog
from scheduler_core.billing.labels import (
    CREDIT_REASON_LABELS,
    INVOICE_ITEM_KIND_LABELS,
    INVOICE_KIND_LABELS,
    INVOICE_STATUS_LABELS,
)
from scheduler_core.chatbot.labels import BOT_MODE_LABELS
from scheduler_core.kernel.channels import CHANNEL_LABELS
from scheduler_core.kernel.money import format_brl
from scheduler_core.plans.labels import PLAN_KIND_LABELS
from scheduler_core.shop.labels import PAYMENT_METHOD_LABELS

#: Code values → pt-BR (statuses, origins and channels, payment methods, credit reasons, the
#: bot's modes, invoice and plan kinds); a code in lower-case words, "paga", reads capitalised
#: without a label. Where two vocabularies share a code, the later one's label is read ("staff"
#: is the channel's "Equipe").
VALUE_LABELS: dict[str, str] = {
    **{str(k): v for k, v in STATUS_LABELS.items()},
    **{str(k): v for k, v in INVOICE_STATUS_LABELS.items()},
    **{str(k): v for k, v in INVOICE_ITEM_KIND_LABELS.items()},
    **{str(k): v for k, v in INVOICE_KIND_LABELS.items()},
    **{str(k): v for k, v in CREDIT_REASON_LABELS.items()},
    **{str(k): v for k, v in PLAN_KIND_LABELS.items()},
    **{str(k): v for k, v in PAYMENT_METHOD_LABELS.items()},
    **{str(k): v for k, v in BOT_MODE_LABELS.items()},
    **{str(k): v for k, v in ORIGIN_LABELS.items()},
    **{str(k): v for k, v in CHANNEL_LABELS.items()},
    # Codes of no enumeration: a conversation's channel, a settings area, an operation.
    "whatsapp": "WhatsApp", "settings": "Configurações", "zone": "Zona", "delete": "Remoção",
}

EMPTY = "—"
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class AuditEntry:
    """One audit row as staff read it."""

    at: datetime  # in the shop's zone
    actor: str
    sentence: str
    changes: list[tuple[str, str]] = field(default_factory=list)


def value_text(key: str, value: Any, tz: str) -> str:  # noqa: ANN401 - any JSON value
    """A detail's value in pt-BR: Sim/Não, "—" for empty, dd/mm/aaaa HH:MM in the shop's
    zone, R$ for centavos, #id for ids, labels for codes; lists and nested dicts in words."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "Sim" if value else "Não"
    if isinstance(value, int | float) and key.endswith("_cents"):
        return format_brl(int(value))
    if isinstance(value, int) and (key.endswith("_id") or key in {"appointment", "invoice"}):
        return f"#{value}"
    if isinstance(value, list):
        if key.endswith("_ids") or key == "conflicting_appointments":
            return ", ".join(f"#{v}" for v in value)
        return "; ".join(value_text(key, v, tz) for v in value)
    if isinstance(value, Mapping):
        parts = [f"{labels.field_label(k)}: {value_text(k, v, tz)}" for k, v in value.items()
                 if k not in labels.HIDDEN_FIELDS]
        return ", ".join(parts) or EMPTY
    if isinstance(value, str):
        if key == "sensitive_access":
            return labels.SENSITIVE_ACCESS_LABELS.get(value, value)
        return _text_value(value, tz)
    return str(value)


def _text_value(value: str, tz: str) -> str:
    if _ISO_DATETIME.match(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(ZoneInfo(tz))
        return f"{moment:%d/%m/%Y %H:%M}"
    if _ISO_DATE.fullmatch(value):
        try:
            return f"{date.fromisoformat(value):%d/%m/%Y}"
        except ValueError:
            return value
    if value in VALUE_LABELS:
        return VALUE_LABELS[value]
    if re.fullmatch(r"[a-z]+(_[a-z]+)*", value):
        return value.replace("_", " ").capitalize()
    return value


def changes_of(details: Mapping[str, Any], tz: str) -> list[tuple[str, str]]:
    """The details as (label, value) pairs; a from/to pair reads "Status: Agendado → Entregue"."""
    details = dict(details or {})
    out: list[tuple[str, str]] = []
    if "from" in details and "to" in details and not isinstance(details["from"], Mapping):
        out.append(("Status", f"{value_text('status', details.pop('from'), tz)} → "
                              f"{value_text('status', details.pop('to'), tz)}"))
    for key, value in details.items():
        if key not in labels.HIDDEN_FIELDS:
            out.append((labels.field_label(key), value_text(key, value, tz)))
    return out


def describe(row: AuditLog, staff_names: Mapping[int, str], tz: str) -> AuditEntry:
    """The row as staff read it: who, a sentence, the changes, the time in the shop's zone.
    A ``summary`` the writer put in the details (already pt-BR, e.g. a visit's edit) ends the
    sentence."""
    who = labels.actor_label(row.actor, staff_names)
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=ZoneInfo("UTC"))
    details = dict(row.details or {})
    summary = details.pop("summary", "")
    sentence = f"{who} {labels.action_phrase(row)}" + (f": {summary}" if summary else ".")
    return AuditEntry(at=at.astimezone(ZoneInfo(tz)), actor=who, sentence=sentence,
                      changes=changes_of(details, tz))
