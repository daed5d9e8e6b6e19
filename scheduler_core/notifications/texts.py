"""The notification kinds, the TecPet-style variables and the default pt-BR texts; rendering and
validating a text. Pure: no database (the per-shop settings are :mod:`.settings`).

A variable is written as in TecPet, an upper-case name in parentheses: "(NOME_PET)". Anything
else in parentheses that is not upper case ("(opcional)") is plain text. A text naming a variable
this module does not know is refused at save (:func:`validate_text`); at render time an unknown
or missing value becomes an empty string, never the raw "(FOO)" a tutor would read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

#: WhatsApp's limit for a text message body (Cloud API, type "text").
WHATSAPP_TEXT_LIMIT = 4096

VARIABLE_RE = re.compile(r"\(([A-Z][A-Z0-9_]*)\)")


class Kind(StrEnum):
    """What a notification is about. The values are stored in the outbox and the settings."""

    NOVO_AGENDAMENTO = "novo_agendamento"
    CONFIRMACAO = "confirmacao"
    LEMBRETE = "lembrete"
    ORIENTACAO_SERVICO = "orientacao_servico"
    PET_RECEBIDO = "pet_recebido"
    SERVICO_FINALIZADO = "servico_finalizado"
    PET_ENTREGUE = "pet_entregue"
    RETORNO = "retorno"
    ANIVERSARIO_TUTOR = "aniversario_tutor"
    ANIVERSARIO_PET = "aniversario_pet"
    FATURA = "fatura"
    CICLO_PACOTE = "ciclo_pacote"
    PESQUISA_SATISFACAO = "pesquisa_satisfacao"
    PET_CARE = "pet_care"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]

    @property
    def category(self) -> str:
        return KIND_CATEGORIES[self]


KIND_LABELS: dict[Kind, str] = {
    Kind.NOVO_AGENDAMENTO: "Novo agendamento",
    Kind.CONFIRMACAO: "Confirmação de agendamento",
    Kind.LEMBRETE: "Lembrete do agendamento",
    Kind.ORIENTACAO_SERVICO: "Orientação do serviço",
    Kind.PET_RECEBIDO: "Ao receber o pet",
    Kind.SERVICO_FINALIZADO: "Serviço finalizado",
    Kind.PET_ENTREGUE: "Ao entregar o pet",
    Kind.RETORNO: "Faça o cliente voltar (retorno)",
    Kind.ANIVERSARIO_TUTOR: "Aniversário do tutor",
    Kind.ANIVERSARIO_PET: "Aniversário do pet",
    Kind.FATURA: "Enviar fatura ao tutor",
    Kind.CICLO_PACOTE: "Ciclo de cobrança do pacote",
    Kind.PESQUISA_SATISFACAO: "Pesquisa de satisfação",
    Kind.PET_CARE: "Pet Care: lembrete de dose",
}

#: The four cards of Configurações → Notificações (spec/chatbot.md §13), plus ours.
KIND_CATEGORIES: dict[Kind, str] = {
    Kind.NOVO_AGENDAMENTO: "Agendamento",
    Kind.CONFIRMACAO: "Agendamento",
    Kind.LEMBRETE: "Agendamento",
    Kind.ORIENTACAO_SERVICO: "Agendamento",
    Kind.PET_RECEBIDO: "Agendamento",
    Kind.SERVICO_FINALIZADO: "Agendamento",
    Kind.PET_ENTREGUE: "Agendamento",
    Kind.RETORNO: "Agendamento",
    Kind.ANIVERSARIO_TUTOR: "Aniversário",
    Kind.ANIVERSARIO_PET: "Aniversário",
    Kind.FATURA: "Financeiro",
    Kind.CICLO_PACOTE: "Financeiro",
    Kind.PESQUISA_SATISFACAO: "Outros",
    Kind.PET_CARE: "Outros",
}

#: The variables a text may use, with what each becomes (shown beside the editor).
VARIABLES: dict[str, str] = {
    "NOME_TUTOR": "Nome do tutor",
    "NOME_PET": "Nome do pet",
    "NOME_LOJA": "Nome da loja",
    "ENDERECO_LOJA": "Endereço da loja",
    "NOME_SERVICO": "Serviço(s) do agendamento",
    "DATA_AGENDAMENTO": "Data do agendamento (ex.: 05/03/2026)",
    "HORARIO_AGENDAMENTO": "Horário do agendamento (ex.: 14:30)",
    "LINK_FATURA": "Link da fatura para pagamento",
    "VALOR_TOTAL": "Valor total da fatura (ex.: R$ 90,00)",
    "VALOR_ABERTO": "Valor em aberto do tutor",
    "CREDITO_TUTOR": "Crédito do tutor na loja",
}


class Timing(StrEnum):
    """How a kind's moment is configured (what the panel shows under its text)."""

    IMMEDIATE = "imediato"  # on the event (booking, status change)
    HOURS_BEFORE = "horas_antes"  # offset_hours before the appointment
    HOURS_AFTER = "horas_depois"  # offset_hours after the event
    DAYS_AFTER = "dias_depois"  # offset_days after the event, at send_time
    DAYS_BEFORE = "dias_antes"  # offset_days before the date, at send_time
    ON_DATE = "na_data"  # on the date, at send_time


#: (timing, default offset hours, default offset days, default send time "HH:MM" or "").
KIND_TIMING: dict[Kind, tuple[Timing, int, int, str]] = {
    Kind.NOVO_AGENDAMENTO: (Timing.IMMEDIATE, 0, 0, ""),
    Kind.CONFIRMACAO: (Timing.HOURS_BEFORE, 24, 0, ""),
    Kind.LEMBRETE: (Timing.HOURS_BEFORE, 3, 0, ""),
    Kind.ORIENTACAO_SERVICO: (Timing.IMMEDIATE, 0, 0, ""),
    Kind.PET_RECEBIDO: (Timing.IMMEDIATE, 0, 0, ""),
    Kind.SERVICO_FINALIZADO: (Timing.IMMEDIATE, 0, 0, ""),
    Kind.PET_ENTREGUE: (Timing.IMMEDIATE, 0, 0, ""),
    Kind.RETORNO: (Timing.DAYS_AFTER, 0, 15, "10:00"),
    Kind.ANIVERSARIO_TUTOR: (Timing.ON_DATE, 0, 0, "09:00"),
    Kind.ANIVERSARIO_PET: (Timing.ON_DATE, 0, 0, "09:00"),
    Kind.FATURA: (Timing.ON_DATE, 0, 0, "09:00"),
    Kind.CICLO_PACOTE: (Timing.DAYS_BEFORE, 0, 2, "09:00"),
    Kind.PESQUISA_SATISFACAO: (Timing.HOURS_AFTER, 2, 0, ""),
    Kind.PET_CARE: (Timing.DAYS_BEFORE, 0, 3, "09:00"),
}

DEFAULT_TEXTS: dict[Kind, str] = {
    Kind.NOVO_AGENDAMENTO: (
        "Olá, (NOME_TUTOR)! O agendamento de (NOME_SERVICO) para (NOME_PET) está marcado para "
        "(DATA_AGENDAMENTO) às (HORARIO_AGENDAMENTO) na (NOME_LOJA). Até lá! 🐾"),
    Kind.CONFIRMACAO: (
        "Olá, (NOME_TUTOR)! Podemos confirmar (NOME_SERVICO) de (NOME_PET) em (DATA_AGENDAMENTO) "
        "às (HORARIO_AGENDAMENTO)? Toque em uma das opções abaixo."),
    Kind.LEMBRETE: (
        "Lembrete: hoje às (HORARIO_AGENDAMENTO) (NOME_PET) tem (NOME_SERVICO) na (NOME_LOJA), "
        "(ENDERECO_LOJA). Esperamos vocês!"),
    Kind.ORIENTACAO_SERVICO: (
        "Orientação para (NOME_SERVICO) de (NOME_PET) em (DATA_AGENDAMENTO):"),
    Kind.PET_RECEBIDO: (
        "Olá, (NOME_TUTOR)! (NOME_PET) chegou bem à (NOME_LOJA) e já está sendo cuidado. 🐶"),
    Kind.SERVICO_FINALIZADO: (
        "Oba! (NOME_SERVICO) de (NOME_PET) terminou. Pode vir buscar na (NOME_LOJA)! 🛁"),
    Kind.PET_ENTREGUE: (
        "(NOME_PET) foi entregue. Obrigado pela confiança, (NOME_TUTOR)! Até a próxima."),
    Kind.RETORNO: (
        "Olá, (NOME_TUTOR)! Já faz um tempinho desde o último banho de (NOME_PET). "
        "Que tal agendar o próximo? É só responder esta mensagem."),
    Kind.ANIVERSARIO_TUTOR: (
        "Feliz aniversário, (NOME_TUTOR)! 🎉 Toda a equipe da (NOME_LOJA) deseja um dia incrível."),
    Kind.ANIVERSARIO_PET: (
        "Hoje é aniversário de (NOME_PET)! 🎂 Muitos petiscos e carinho, com amor da (NOME_LOJA)."),
    Kind.FATURA: (
        "Olá, (NOME_TUTOR)! Sua fatura da (NOME_LOJA) no valor de (VALOR_TOTAL) está disponível: "
        "(LINK_FATURA)"),
    Kind.CICLO_PACOTE: (
        "Olá, (NOME_TUTOR)! Um novo ciclo do pacote de (NOME_PET) começa em (DATA_AGENDAMENTO). "
        "Fatura de (VALOR_TOTAL): (LINK_FATURA)"),
    Kind.PESQUISA_SATISFACAO: (
        "Olá, (NOME_TUTOR)! Como foi o atendimento de (NOME_PET) hoje? Responda com uma nota de "
        "1 (ruim) a 5 (ótimo) e, se quiser, um comentário."),
    Kind.PET_CARE: (
        "Olá, (NOME_TUTOR)! A próxima dose de (NOME_SERVICO) de (NOME_PET) está prevista para "
        "(DATA_AGENDAMENTO). Responda para agendar a aplicação."),
}

#: Default parameters of each kind's approved template (Meta's {{1}}, {{2}}, … in that order).
DEFAULT_TEMPLATE_PARAMS: dict[Kind, list[str]] = {
    Kind.NOVO_AGENDAMENTO: ["NOME_TUTOR", "NOME_SERVICO", "NOME_PET", "DATA_AGENDAMENTO",
                            "HORARIO_AGENDAMENTO"],
    Kind.CONFIRMACAO: ["NOME_TUTOR", "NOME_SERVICO", "NOME_PET", "DATA_AGENDAMENTO",
                       "HORARIO_AGENDAMENTO"],
    Kind.LEMBRETE: ["NOME_PET", "NOME_SERVICO", "HORARIO_AGENDAMENTO"],
    Kind.ORIENTACAO_SERVICO: ["NOME_SERVICO", "NOME_PET"],
    Kind.PET_RECEBIDO: ["NOME_TUTOR", "NOME_PET"],
    Kind.SERVICO_FINALIZADO: ["NOME_PET", "NOME_SERVICO"],
    Kind.PET_ENTREGUE: ["NOME_PET"],
    Kind.RETORNO: ["NOME_TUTOR", "NOME_PET"],
    Kind.ANIVERSARIO_TUTOR: ["NOME_TUTOR"],
    Kind.ANIVERSARIO_PET: ["NOME_PET"],
    Kind.FATURA: ["NOME_TUTOR", "VALOR_TOTAL", "LINK_FATURA"],
    Kind.CICLO_PACOTE: ["NOME_TUTOR", "NOME_PET", "VALOR_TOTAL", "LINK_FATURA"],
    Kind.PESQUISA_SATISFACAO: ["NOME_TUTOR", "NOME_PET"],
    Kind.PET_CARE: ["NOME_TUTOR", "NOME_SERVICO", "NOME_PET", "DATA_AGENDAMENTO"],
}

DEFAULT_TEMPLATE_LANGUAGE = "pt_BR"


def default_template_name(kind: Kind) -> str:
    """The template name a shop registers with Meta for ``kind`` unless it sets another one."""
    return f"petbot_{kind.value}"


def variables_in(text: str) -> list[str]:
    """The variable names a text uses, in order of first appearance."""
    seen: list[str] = []
    for name in VARIABLE_RE.findall(text or ""):
        if name not in seen:
            seen.append(name)
    return seen


def render(text: str, values: Mapping[str, str]) -> str:
    """Replace each "(VAR)" by its value; a known variable without a value becomes "" and an
    unknown upper-case name in parentheses is left as written (validation refuses it earlier)."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in VARIABLES:
            return match.group(0)
        return str(values.get(name) or "")
    return VARIABLE_RE.sub(one, text or "")


def _has_lone_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def validate_text(text: str | None) -> list[str]:
    """pt-BR errors of a notification text (empty list = fine): empty, too long for a WhatsApp
    message, an unknown variable (each named), characters WhatsApp cannot carry."""
    text = (text or "").strip()
    if not text:
        return ["O texto da notificação não pode ficar vazio."]
    errors = []
    if len(text) > WHATSAPP_TEXT_LIMIT:
        errors.append(f"O texto tem {len(text)} caracteres; o WhatsApp aceita no máximo "
                      f"{WHATSAPP_TEXT_LIMIT}.")
    if _has_lone_surrogate(text) or "\x00" in text:
        errors.append("O texto tem caracteres inválidos.")
    unknown = [name for name in variables_in(text) if name not in VARIABLES]
    for name in unknown:
        errors.append(f"Variável desconhecida: ({name}). Use uma das variáveis da lista.")
    return errors


def validate_template_params(params: list[str]) -> list[str]:
    """pt-BR errors of a template's ordered parameter list (names of :data:`VARIABLES`)."""
    return [f"Parâmetro do modelo desconhecido: ({name})." for name in params
            if name not in VARIABLES]
