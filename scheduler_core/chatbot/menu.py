"""The one list of the bot's menu actions and their labels, for the dialogue and the panel.

Each action has a key (stored in ``BotSettings.menu`` and in keyword triggers), the title and
description the tutor sees on WhatsApp, and, for booking actions, the segment kind it books.

An action whose segment kind the shop has no *active* segment of is not shown. ``agendar_creche``
(day care / hotel) is shown when the shop has an active creche or hotel segment. With a creche
segment the bot books day care for a day or a range of days (``actions/flow.py``, "day care",
through ``scheduling.day_care.book_days``); hotel stays (nights with check-in and check-out) are
booked by staff: a shop with only a hotel segment hands the conversation to a person with
:data:`CRECHE_HANDOFF_TEXT`, and the days question tells the tutor to write "atendente" for a
stay, so the tutor is never left unanswered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, select

from scheduler_core.shop.models import Segment, SegmentKind

MAX_ACTIVE_MENU = 10


@dataclass(frozen=True)
class MenuAction:
    key: str
    title: str  # what the tutor sees (at most 24 characters, a WhatsApp list row)
    description: str
    segment_kinds: tuple[str, ...] = ()  # shown only with an active segment of one of these


MENU_ACTIONS: tuple[MenuAction, ...] = (
    MenuAction("agendar_banho_tosa", "Banho e tosa", "Agendar banho, tosa e adicionais",
               (SegmentKind.PET_SHOP,)),
    MenuAction("agendar_clinica", "Clínica veterinária", "Consultas, vacinas e exames",
               (SegmentKind.CLINICA,)),
    MenuAction("agendar_creche", "Creche e hotel", "Diárias de creche ou hospedagem",
               (SegmentKind.CRECHE, SegmentKind.HOTEL)),
    MenuAction("meus_agendamentos", "Meus agendamentos", "Ver, remarcar ou cancelar"),
    MenuAction("repetir_ultimo", "Repetir último serviço", "Agendar de novo o último atendimento"),
    MenuAction("falar_atendente", "Falar com atendente", "Conversar com uma pessoa da equipe"),
)
BY_KEY = {action.key: action for action in MENU_ACTIONS}
# The panel's select and checkbox labels: the same titles the tutor sees.
MENU_LABELS = {action.key: action.title for action in MENU_ACTIONS}
# The segment kind a booking action starts the slot dialogue for (creche has its own days steps).
BOOKING_KIND = {"agendar_banho_tosa": SegmentKind.PET_SHOP, "agendar_clinica": SegmentKind.CLINICA}
CRECHE_HANDOFF_TEXT = (
    "A hospedagem no hotel é combinada pela nossa equipe. "
    "Já chamei um atendente para combinar as diárias com você. 😊"
)


def active_kinds(session: Session, shop_id: int) -> set[str]:
    """The kinds of the shop's active segments."""
    return {str(kind) for kind in session.exec(select(Segment.kind).where(
        Segment.shop_id == shop_id, Segment.active.is_(True)
    )).all()}


def enabled_keys(menu: Iterable[dict] | None) -> list[str]:
    """The keys switched on in ``BotSettings.menu``, in order."""
    return [str(item["key"]) for item in menu or [] if item.get("enabled")]


def visible_actions(menu: Iterable[dict] | None, kinds: set[str]) -> list[MenuAction]:
    """The enabled, known actions the shop's active segments allow, in the shop's order (at
    most :data:`MAX_ACTIVE_MENU`)."""
    out = []
    for key in enabled_keys(menu)[:MAX_ACTIVE_MENU]:
        action = BY_KEY.get(key)
        if action is None:
            continue
        if action.segment_kinds and not set(action.segment_kinds) & kinds:
            continue
        out.append(action)
    return out
