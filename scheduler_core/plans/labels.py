"""pt-BR labels of the plans' enumerations (plan kind)."""

from __future__ import annotations

from scheduler_core.plans.models import PlanKind

PLAN_KIND_LABELS: dict[str, str] = {
    PlanKind.MENSAL: "Mensal",
    PlanKind.TRIMESTRAL: "Trimestral",
    PlanKind.SEMESTRAL: "Semestral",
    PlanKind.ANUAL: "Anual",
    PlanKind.PACOTE: "Pacote",
}
