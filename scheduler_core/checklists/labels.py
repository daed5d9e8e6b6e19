"""pt-BR labels of the checklists' enumerations (stages, item kinds)."""

from __future__ import annotations

from scheduler_core.checklists.models import ChecklistStage as St
from scheduler_core.checklists.models import ItemKind as K

STAGE_LABELS: dict[str, str] = {
    St.AGENDADO: "Agendado",
    St.RECEBIDO: "Recebido",
    St.FINALIZADO: "Finalizado",
    St.ENTREGUE: "Entregue",
}
KIND_LABELS: dict[str, str] = {
    K.SIM_NAO: "Sim/não",
    K.TEXTO: "Texto",
    K.ESCOLHA: "Escolha",
    K.NUMERO: "Número",
    K.FOTO: "Foto",
}
