"""Tables of chatbot: the bot's settings (mode, greetings, rules per channel), keyword triggers
and the attendants' quick replies.

Conventions: see scheduler_core/db/columns.py.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from scheduler_core.db.columns import json_field, utc_now


class BotMode(StrEnum):
    OFF = "off"
    AUTO_REPLY = "auto_reply"
    SIMULATION = "simulation"
    LIVE = "live"


class SlotDisplay(StrEnum):
    TODOS = "todos"
    A_CADA_30 = "30"
    A_CADA_60 = "60"


class PriceDisplay(StrEnum):
    A_PARTIR = "a_partir"
    EXATO = "exato"
    OCULTO = "oculto"


class BotSettings(SQLModel, table=True):
    """Per-shop WhatsApp bot settings (spec/chatbot.md §14 with our defaults)."""

    shop_id: int = Field(foreign_key="shop.id", primary_key=True)
    mode: str = BotMode.SIMULATION
    auto_reply_text: str = "Olá! No momento não estamos atendendo por aqui. Retornaremos em breve."
    # No question in it: the menu below asks "Como posso ajudar?" (a "Vamos começar seu
    # cadastro?" here was left unanswered by a menu that offers no such option).
    greeting_new: str = "Olá! Eu sou o assistente virtual do {shop}. \U0001F43E"
    greeting_known: str = "Olá, {tutor}! Que bom te ver de novo no {shop}. Como posso ajudar?"
    # Ordered menu actions; each {"key": ..., "enabled": bool}.
    menu: list = json_field(
        [
            {"key": "agendar_banho_tosa", "enabled": True},
            {"key": "agendar_clinica", "enabled": True},
            # Shown only to shops with an active creche or hotel segment (chatbot/menu.py).
            {"key": "agendar_creche", "enabled": True},
            {"key": "meus_agendamentos", "enabled": True},
            {"key": "repetir_ultimo", "enabled": True},
            {"key": "falar_atendente", "enabled": True},
        ]
    )
    # Keyword triggers, in order: {"text", "match": "exata" | "contem", "action": menu key}
    # (scheduler_core.chatbot.triggers).
    triggers: list = json_field([])
    # Which pet data to collect on registration.
    ask_species: bool = True
    ask_breed: bool = True
    ask_porte: bool = True
    ask_pelagem: bool = True
    ask_sex: bool = False
    ask_birth_date: bool = False
    ask_weight: bool = False
    ask_cpf: bool = False  # the new tutor's CPF (Fluxo Normal A3), after the name
    allow_pet_registration: bool = True
    price_display: str = PriceDisplay.A_PARTIR
    addons_enabled: bool = True
    choose_employee: bool = True
    same_service_other_pet: bool = True
    slot_display: str = SlotDisplay.TODOS
    min_notice_hours: int = 2
    cancel_enabled: bool = True
    cancel_min_notice_hours: int = 24
    reschedule_enabled: bool = True
    reschedule_min_notice_hours: int = 12
    horizon_days: int = 10
    page_days: int = 2
    handoff_timeout_min: int = 30
    misunderstand_limit: int = 2
    msg_in_hours: str = "Um atendente vai falar com você em instantes. 😊"
    msg_out_hours: str = (
        "Estamos fora do horário de atendimento agora. Um atendente responde assim que abrirmos."
    )


class QuickReply(SQLModel, table=True):
    """A ready answer the attendants insert into the inbox's reply box with one click; the
    owner edits them (scheduler_core.chatbot.quick_replies)."""

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    title: str  # the button's label
    text: str = Field(sa_column=Column(Text, nullable=False))
    position: int = 0
    created_at: datetime = Field(default_factory=utc_now)


class BotTurn(SQLModel, table=True):
    """One tutor turn the dialogue answered, as the NLU read it (``chatbot.turn_log``): the
    intent and its confidence, whether the turn was a tapped button (no NLU reading) and
    whether the dialogue failed to understand it (``actions.flow.misunderstood``). Read by the
    Robô panel."""

    __table_args__ = (Index("ix_botturn_shop_at", "shop_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id")
    sender: str = Field(max_length=64)  # the conversation's key (BSUID or phone)
    at: datetime  # UTC
    text: str = Field(default="", max_length=300)  # the tutor's text, cut
    intent: str = Field(default="", max_length=64)
    confidence: float = 0.0
    tapped: bool = False
    misunderstood: bool = False
