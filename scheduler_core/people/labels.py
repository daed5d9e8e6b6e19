"""pt-BR labels of the pets' enumerations (species, porte, pelagem): the one home of each set."""

from __future__ import annotations

from scheduler_core.people.models import Pelagem, Porte, Species

SPECIES_LABELS: dict[str, str] = {
    Species.CAO: "Cão",
    Species.GATO: "Gato",
    Species.ROEDOR: "Roedor",
}
PORTE_LABELS: dict[str, str] = {
    Porte.MINI: "Mini",
    Porte.PEQUENO: "Pequeno",
    Porte.MEDIO: "Médio",
    Porte.GRANDE: "Grande",
    Porte.GIGANTE: "Gigante",
}
PELAGEM_LABELS: dict[str, str] = {
    Pelagem.CURTA: "Curta",
    Pelagem.MEDIA: "Média",
    Pelagem.LONGA: "Longa",
}
