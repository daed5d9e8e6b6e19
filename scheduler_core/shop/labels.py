"""pt-BR labels of the shop's enumerations: the one home of each set."""

from __future__ import annotations

from scheduler_core.shop.models import SegmentKind

#: The pet-shop segment is named for what it does, as the bot's menu names it.
SEGMENT_LABELS: dict[str, str] = {
    SegmentKind.PET_SHOP: "Banho e tosa",
    SegmentKind.CLINICA: "Clínica",
    SegmentKind.CRECHE: "Creche",
    SegmentKind.HOTEL: "Hotel",
}
