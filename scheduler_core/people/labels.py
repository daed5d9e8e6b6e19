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


def pet_words(name: str, sex: str | None) -> dict[str, str]:
    """The pet's name with the words that agree with its sex, for the bot's texts: "o Thor" /
    "a Mel" (``o_pet``, ``O_pet`` at a sentence start), "do Thor" / "da Mel" (``do_pet``), "pelo
    Thor" / "pela Mel" (``pelo_pet``),
    "cadastrado" / "cadastrada". Masculine when the sex is not known, as pt-BR does."""
    female = sex == "femea"
    article = "a" if female else "o"
    return {"pet": name, "o_pet": f"{article} {name}", "O_pet": f"{article.upper()} {name}",
            "do_pet": f"{'da' if female else 'do'} {name}",
            "pelo_pet": f"{'pela' if female else 'pelo'} {name}",
            "cadastrado": "cadastrada" if female else "cadastrado"}
