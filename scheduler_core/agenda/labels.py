"""pt-BR labels of the agenda's enumerations (visit status, origin, restriction scope)."""

from __future__ import annotations

from scheduler_core.agenda.models import AppointmentStatus as S
from scheduler_core.agenda.models import Origin, RestrictionScope

STATUS_LABELS: dict[str, str] = {
    S.AGENDADO: "Agendado",
    S.CONFIRMADO: "Confirmado",
    S.RECEBIDO: "Recebido",
    S.EM_ATENDIMENTO: "Em atendimento",
    S.FINALIZADO: "Finalizado",
    S.ENTREGUE: "Entregue",
    S.CANCELADO: "Cancelado",
    S.NAO_COMPARECEU: "Não compareceu",
}
SCOPE_LABELS: dict[str, str] = {
    RestrictionScope.AGENDA: "Agenda",
    RestrictionScope.ROBO: "Robô",
    RestrictionScope.AMBOS: "Agenda e robô",
}
#: Who made the visit (the reports' "Origem dos agendamentos").
ORIGIN_LABELS: dict[str, str] = {
    Origin.BOT: "Robô (WhatsApp)",
    Origin.STAFF: "Equipe (painel)",
    Origin.API: "API",
}
