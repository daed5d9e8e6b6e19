"""The audit trail's own words: the labels of every action code (once, here), of the actors
without an account and of the detail keys. A code without a label still reads as a sentence
(never the raw code).

The values in the details (statuses, payment methods, modes...) are labelled by the packages
that own them, most of which record their audit rows through this package and so sit above it:
the entries are put together above them all, in scheduler_core.audit_trail.
"""

from __future__ import annotations

from collections.abc import Mapping

from scheduler_core.audit.models import AuditLog

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
    "staff.status_back": "mudou quem pode voltar o status de um atendimento",
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
    "roles": "Perfis que veem dados sensíveis",
    "status_back_roles": "Perfis que podem voltar status",
    "pin_to_open_tutor": "PIN para abrir um tutor",
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
