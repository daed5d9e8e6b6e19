"""pt-BR labels of Pet Care's enumerations (protocol kinds, dose statuses)."""

from __future__ import annotations

from scheduler_core.petcare.models import DoseStatus, ProtocolKind

KIND_LABELS: dict[str, str] = {
    ProtocolKind.VACINA: "Vacina",
    ProtocolKind.VERMIFUGO: "Vermífugo",
    ProtocolKind.ANTIPARASITARIO: "Antiparasitário",
}
DOSE_STATUS_LABELS: dict[str, str] = {
    DoseStatus.AGENDADA: "Agendada",
    DoseStatus.ATRASADA: "Atrasada",
    DoseStatus.APLICADA: "Aplicada",
}
