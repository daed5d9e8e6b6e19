"""The minimum notices of the bot channel, as pure rules with their pt-BR refusals.

One home for what the dialogue tells a tutor before acting and what the core raises when it
acts (:func:`scheduler_core.scheduling.visit_status.cancel`,
:func:`scheduler_core.scheduling.booking.reschedule`, :func:`~.booking.book` and
:func:`~.booking.find_slots` with Leva e Traz): the same function, so the same words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from scheduler_core.chatbot.models import BotSettings
from scheduler_core.scheduling.booking_support import hours_delta, hours_text

Change = Literal["cancelar", "remarcar"]


def change_refusal(
    settings: BotSettings, action: Change, start: datetime, now: datetime
) -> str | None:
    """Why the bot may not cancel or reschedule (``action``) a visit starting at ``start``
    (aware), or None when it may: the visit has begun, or it is inside
    ``cancel_min_notice_hours`` / ``reschedule_min_notice_hours``."""
    cancel = action == "cancelar"
    hours = settings.cancel_min_notice_hours if cancel else settings.reschedule_min_notice_hours
    if start <= now:
        return (
            "Este agendamento já passou e não pode ser cancelado por aqui."
            if cancel
            else "Este agendamento já começou e não pode ser remarcado por aqui."
        )
    if start - now < hours_delta(hours):
        what = "Cancelamentos" if cancel else "Remarcações"
        return (
            f"{what} por aqui precisam ser feitos com pelo menos {hours_text(hours)} de "
            "antecedência. Vou chamar um atendente para te ajudar."
        )
    return None


def leva_e_traz_refusal(notice_hours: int, start: datetime, now: datetime) -> str | None:
    """Why a visit starting at ``start`` cannot have Leva e Traz on the bot channel
    (``Shop.leva_e_traz_min_notice_hours`` ahead), or None when it can."""
    if start - now < hours_delta(notice_hours):
        return (
            "O Leva e Traz precisa ser pedido com pelo menos "
            f"{hours_text(max(0, int(notice_hours or 0)))} de antecedência."
        )
    return None
