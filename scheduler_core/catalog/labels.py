"""pt-BR labels of the catalogue's enumerations (category kinds)."""

from __future__ import annotations

from scheduler_core.catalog.models import CategoryKind

CATEGORY_KIND_LABELS: dict[str, str] = {
    CategoryKind.BANHO: "Banho",
    CategoryKind.TOSA: "Tosa",
    CategoryKind.CLINICA: "Clínica",
    CategoryKind.CRECHE: "Creche",
    CategoryKind.HOTEL: "Hotel",
    CategoryKind.ADICIONAL: "Adicional",
    CategoryKind.OUTRO: "Outro",
    CategoryKind.LEVA_E_TRAZ: "Leva e Traz",
}
