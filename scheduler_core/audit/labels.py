"""The audit trail in pt-BR: one sentence per entry ("Ana agendou o atendimento #35.") and its
details as readable changes ("Status: Agendado → Entregue", "Atrasado: Não", "Início:
24/11/2026 09:00"). The labels of every action code live here, once; a code without a label
still reads as a sentence (never the raw code).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from scheduler_core.agenda.labels import STATUS_LABELS
from scheduler_core.audit.models import AuditLog
from scheduler_core.kernel.money import format_brl

#: What the actor did, as the verb phrase after the actor's name.
ACTION_LABELS: dict[str, str] = {
    "appointment.book": "agendou o atendimento",
    "appointment.cancel": "cancelou o atendimento",
    "appointment.reschedule": "remarcou o atendimento",
    "appointment.status": "mudou o status do atendimento",
    "appointment.no_show": "marcou falta no atendimento",
    "appointment.encaixe": "marcou um encaixe no atendimento",
    "appointment.checklist": "respondeu a checklist do atendimento",
    "appointment.edit": "alterou o atendimento",
    "appointment.notes": "alterou as observações do atendimento",
    "block.create": "criou o bloqueio de agenda",
    "block.delete": "removeu o bloqueio de agenda",
    "breed.create": "cadastrou a raça",
    "breed.update": "alterou a raça",
    "breed.accepted": "passou a atender a raça",
    "breed.not_accepted": "deixou de atender a raça",
    "breed.alias_add": "adicionou um apelido à raça",
    "breed.alias_remove": "removeu um apelido da raça",
    "config.bot": "alterou as configurações do robô",
    "config.category": "salvou a categoria de serviço",
    "config.combo": "salvou o combo",
    "config.employee": "salvou o profissional",
    "config.leva_e_traz": "alterou o Leva e Traz",
    "config.opening_hours": "alterou o horário de funcionamento do segmento",
    "config.resource": "alterou o recurso",
    "config.restriction": "salvou a restrição",
    "config.segment": "salvou o segmento",
    "config.service": "salvou o serviço",
    "config.shop": "alterou os dados da loja",
    "credit.entry": "lançou crédito para o tutor",
    "invoice.cancel": "cancelou a fatura",
    "invoice.create": "gerou a fatura",
    "invoice.due_date": "mudou o vencimento da fatura",
    "invoice.item_add": "adicionou um item à fatura",
    "invoice.item_remove": "removeu um item da fatura",
    "invoice.overdue": "marcou faturas como vencidas",
    "invoice.pay": "registrou um pagamento da fatura",
    "notification.off": "desligou a notificação",
    "notification.on": "ligou a notificação",
    "notification.rules_save": "alterou as regras de envio das notificações",
    "notification.setting_save": "salvou a notificação",
    "pet.create": "cadastrou o pet",
    "pet.update": "alterou o pet",
    "petcare.dose_applied": "registrou uma dose aplicada no pet",
    "petcare.dose_cancelled": "removeu uma dose agendada do pet",
    "petcare.dose_scheduled": "agendou uma dose para o pet",
    "petcare.protocol_create": "cadastrou o protocolo de Pet Care",
    "petcare.protocol_off": "desativou o protocolo de Pet Care",
    "petcare.protocol_on": "ativou o protocolo de Pet Care",
    "petcare.protocol_update": "alterou o protocolo de Pet Care",
    "plan.cancel": "cancelou o plano",
    "plan.counter_edit": "corrigiu o contador do plano",
    "plan.renew": "renovou o plano",
    "plan.sell": "vendeu o plano",
    "plan_template.active": "ativou ou desativou o modelo de plano",
    "plan_template.save": "salvou o modelo de plano",
    "staff.create": "criou o acesso",
    "staff.login": "entrou no painel",
    "staff.owner_created": "criou o acesso do dono",
    "staff.toggle": "ativou ou desativou o acesso",
    "staff.sensitive": "mudou a permissão de dados sensíveis",
    "tutor.allow_bot": "mudou o atendimento pelo robô do tutor",
    "tutor.create": "cadastrou o tutor",
    "tutor.update": "alterou o tutor",
    "tutor.open": "abriu a ficha do tutor",
    "whatsapp.resume_bot": "devolveu a conversa ao robô",
}

#: What a row is about, for codes without their own label.
ENTITY_LABELS: dict[str, str] = {
    "appointment": "o atendimento",
    "block": "o bloqueio",
    "breed": "a raça",
    "botsettings": "as configurações do robô",
    "invoice": "a fatura",
    "pet": "o pet",
    "pet_plan": "o plano",
    "petplan": "o plano",
    "plantemplate": "o modelo de plano",
    "segment": "o segmento",
    "service": "o serviço",
    "shop": "a loja",
    "staffuser": "o acesso",
    "tutor": "o tutor",
    "employee": "o profissional",
    "notification": "a notificação",
    "petcare_protocol": "o protocolo de Pet Care",
}

#: Actors without a staff account.
ACTOR_LABELS: dict[str, str] = {"bot": "Robô", "system": "Sistema", "api": "API"}

#: Detail keys → pt-BR labels (keys not listed are shown with their words spaced out).
FIELD_LABELS: dict[str, str] = {
    "action": "Ação", "active": "Ativo", "alias": "Apelido", "all_day": "Dia inteiro",
    "allow_bot": "Atendido pelo robô", "amount_cents": "Valor", "answers": "Respostas",
    "appointment_id": "Atendimento", "cancelled_appointment_ids": "Atendimentos cancelados",
    "cancelled_invoice_ids": "Faturas canceladas", "categories": "Categorias",
    "channel": "Canal", "combo_id": "Combo", "conflicting_appointments":
    "Atendimentos em conflito", "credit_cents": "Crédito", "cycles": "Ciclos",
    "dates": "Datas", "days": "Dias", "delta_cents": "Valor", "discount_cents": "Desconto",
    "due_date": "Vencimento", "employee_id": "Profissional", "end": "Fim",
    "end_date": "Fim", "entry_id": "Lançamento", "fields": "Campos", "from": "De",
    "from_status": "Status anterior", "granted": "Permitido", "in_plan": "No plano",
    "invoice_id": "Fatura", "invoice_ids": "Faturas", "items": "Serviços",
    "kept_appointment_ids": "Atendimentos mantidos", "kind": "Tipo", "late": "Em cima da hora",
    "login": "Usuário", "message": "Mensagem", "method": "Forma de pagamento",
    "mode": "Modo", "name": "Nome", "number": "Número", "open_after_cents": "Em aberto depois",
    "origin": "Origem", "paid": "Pago", "pelagem": "Pelagem", "pet_id": "Pet",
    "pet_plan_id": "Plano", "plan_note": "Observação do plano", "porte": "Porte",
    "price_cents": "Preço", "reason": "Motivo", "reason_text": "Motivo", "revert": "Voltou etapa",
    "role": "Função", "segment": "Segmento", "segments": "Segmentos", "service_id": "Serviço",
    "stage": "Etapa", "start": "Início", "start_date": "Início", "status": "Status",
    "template_id": "Modelo de plano", "to": "Para", "today": "Dia", "total_cents": "Total",
    "tutor_id": "Tutor", "employee": "Profissional", "notes": "Observações",
    "roles": "Perfis que veem dados sensíveis", "pin_to_open_tutor": "PIN para abrir um tutor",
    "sensitive_access": "Dados sensíveis",
    # Pet Care and notifications
    "protocol": "Protocolo", "applied_on": "Aplicada em", "due_on": "Data prevista",
    "next_due": "Próxima dose", "moved_from": "Data anterior", "doses": "Doses",
    "interval_days": "Intervalo (dias)", "repeat_days": "Reforço a cada (dias)",
    "species": "Espécie", "instructions": "Instruções", "enabled": "Ligada", "text": "Texto",
    "template": "Modelo", "quiet_start": "Silêncio a partir de", "quiet_end": "Silêncio até",
    "late_drop_hours": "Atraso máximo (h)",
}

#: An employee's own say on sensitive data (scheduler_core.catalog.shop_setup).
SENSITIVE_ACCESS_LABELS: dict[str, str] = {
    "perfil": "Conforme o perfil", "sim": "Sempre vê", "nao": "Nunca vê"}

#: Internal keys that mean nothing to a person reading the log.
HIDDEN_FIELDS = frozenset({"idempotency_key", "batch"})

#: Code values → pt-BR (statuses, channels, payment methods, modes, kinds). Billing records
#: its audit rows through this package, so its codes are spelled here rather than imported
#: (a code in lower-case words, "paga", reads capitalised without a label).
VALUE_LABELS: dict[str, str] = {
    **{str(k): v for k, v in STATUS_LABELS.items()},
    "sem_cobranca": "Sem cobrança", "plano": "Plano/Pacote",
    "staff": "Equipe", "bot": "Robô (WhatsApp)", "api": "API", "whatsapp": "WhatsApp",
    "pix": "Pix", "dinheiro": "Dinheiro", "cartao_credito": "Cartão de crédito",
    "cartao_debito": "Cartão de débito", "credito_tutor": "Crédito do tutor",
    "manual": "Manual", "overpayment": "Pagamento a mais", "voucher": "Voucher",
    "off": "Desligado", "auto_reply": "Só resposta automática",
    "simulation": "Simulação (sem enviar)", "live": "Ligado",
    "settings": "Configurações", "zone": "Zona", "delete": "Remoção",
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


def action_phrase(row: AuditLog) -> str:
    """ "agendou o atendimento #35"; a code without a label reads "alterou o atendimento #35"
    (or "fez uma alteração"), never the code itself."""
    phrase = ACTION_LABELS.get(row.action)
    if phrase is None:
        what = ENTITY_LABELS.get(row.entity)
        phrase = f"alterou {what}" if what else "fez uma alteração"
    return f"{phrase} #{row.entity_id}" if row.entity_id else phrase


def actor_label(actor: str, staff_names: Mapping[int, str]) -> str:
    """ "staff:3" → that account's name; "bot" → "Robô"; "system:overdue" → "Sistema"."""
    kind, _, ident = actor.partition(":")
    if kind == "staff" and ident.isdigit() and int(ident) in staff_names:
        return staff_names[int(ident)]
    if kind == "staff":
        return "Um funcionário"
    if kind == "api":
        return f"API ({ident})" if ident else "API"
    return ACTOR_LABELS.get(kind, "Sistema")


def field_label(key: str) -> str:
    return FIELD_LABELS.get(key) or key.replace("_", " ").capitalize()


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
        parts = [f"{field_label(k)}: {value_text(k, v, tz)}" for k, v in value.items()
                 if k not in HIDDEN_FIELDS]
        return ", ".join(parts) or EMPTY
    if isinstance(value, str):
        if key == "sensitive_access":
            return SENSITIVE_ACCESS_LABELS.get(value, value)
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
        if key not in HIDDEN_FIELDS:
            out.append((field_label(key), value_text(key, value, tz)))
    return out


def describe(row: AuditLog, staff_names: Mapping[int, str], tz: str) -> AuditEntry:
    """The row as staff read it: who, a sentence, the changes, the time in the shop's zone.
    A ``summary`` the writer put in the details (already pt-BR, e.g. a visit's edit) ends the
    sentence."""
    who = actor_label(row.actor, staff_names)
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=ZoneInfo("UTC"))
    details = dict(row.details or {})
    summary = details.pop("summary", "")
    sentence = f"{who} {action_phrase(row)}" + (f": {summary}" if summary else ".")
    return AuditEntry(at=at.astimezone(ZoneInfo(tz)), actor=who, sentence=sentence,
                      changes=changes_of(details, tz))
