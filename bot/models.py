"""Tables of the WhatsApp channel (bot/): conversations, messages, the inbound queue.

Conventions follow ``scheduler_core.metadata``: timestamps are aware UTC datetimes (SQLModel's
UTCDateTime refuses naive ones), enumerations are strings.

- :class:`WaConversation` — one per (shop, tutor key). The tutor key is Meta's business-scoped
  user id (BSUID, ``contacts[].user_id``) when the webhook carries one, else the E.164 phone
  with ``+``. ``owner`` says who answers: ``"bot"`` or ``"human"`` (hand-off, see bot/handoff.py);
  ``assignee`` is the attendant holding a human-owned one ("em atendimento").
- :class:`WaMessage` — every turn of a conversation: tutor (in), bot / attendant / system (out).
  ``wa_id`` is WhatsApp's message id (``wamid...``), unique; outbound rows carry the delivery
  ``status`` reported by the status webhooks.
- :class:`WaInbound` — the accepted-but-unprocessed queue. A webhook message is inserted here
  *before* the webhook is acknowledged; the unique ``wa_id`` makes Meta's retries no-ops
  (exactly-once). ``processed_at`` is set when the worker has handled it; rows without it are
  picked up again after a restart. It also holds, per webhook, its status updates as one row
  (``conv_key`` ``"statuses"``, applied in bulk after the acknowledgement: ``bot.receipts``) and
  every item that could not be read (``conv_key`` ``"rejected"``, processed at once, ``error``
  the reason, ``data`` the item's wamid, reason and JSON): ``bot.intake``.
- :class:`WaStatusEvent` — each status update (sent/delivered/read/failed) received, once.
- :class:`WaReplyId` — maps a short interactive reply id to a bot payload too long for
  WhatsApp's id limits (button id ≤ 256, list row id ≤ 200 characters).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler_core.kernel.clock import utc_now


class Owner(StrEnum):
    BOT = "bot"
    HUMAN = "human"


class Author(StrEnum):
    TUTOR = "tutor"
    BOT = "bot"
    ATTENDANT = "attendant"
    SYSTEM = "system"  # auto-reply, polite answers to media, hand-off notices


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class OutStatus(StrEnum):
    PENDING = "pending"  # stored, not yet accepted by the Graph API
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    NOT_SENT = "not_sent"  # bot mode off / simulation for a real number / outside the window


STATUS_RANK = {
    OutStatus.PENDING: 0,
    OutStatus.NOT_SENT: 0,
    OutStatus.SENT: 1,
    OutStatus.DELIVERED: 2,
    OutStatus.READ: 3,
    OutStatus.FAILED: 4,
}


class WaConversation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("shop_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True)
    key: str  # BSUID when known, else "+<E.164 digits>"
    wa_user_id: str | None = None
    phone: str | None = None  # E.164 with "+"
    profile_name: str = ""
    tutor_id: int | None = Field(default=None, foreign_key="tutor.id", index=True)
    # WhatsApp phone-number id the tutor wrote to; decides simulator vs Meta for replies.
    business_phone_id: str = ""
    owner: str = Field(default=Owner.BOT, index=True)
    handoff_reason: str = ""
    handoff_at: datetime | None = None  # when a human took it (start of the wait)
    last_attendant_at: datetime | None = None
    # While a human owns it: the attendant holding it ("staff:3"), "" while it waits for one.
    assignee: str = ""
    assigned_at: datetime | None = None
    # The last time it was given back to the bot, and by whom ("staff:3", "sistema:...").
    resumed_at: datetime | None = Field(default=None, index=True)  # the inbox's "devolvidas"
    resumed_by: str = ""
    last_inbound_at: datetime | None = None  # opens the 24-hour window
    # Remaining pages of a long choice list and the options of the last numbered/listed menu:
    # {"pages": [[{"id","title","description"}...], ...], "options": ["payload", ...]}
    menu_state: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)


class WaHandoff(SQLModel, table=True):
    """One hand-off of a conversation to a human, kept after the bot takes it back (the
    conversation's own ``handoff_reason`` is cleared then): why, when it started and when it
    returned to the bot and by whom (``bot.handoff``). The Robô panel counts these."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="waconversation.id", index=True)
    shop_id: int = Field(foreign_key="shop.id")
    reason: str = ""
    started_at: datetime = Field(index=True)  # UTC
    returned_at: datetime | None = None  # UTC; None while a human owns the conversation
    returned_by: str = ""  # "staff:3", "sistema:tempo_esgotado"


class WaMessage(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="waconversation.id", index=True)
    direction: str  # Direction
    author: str  # Author
    actor: str = ""  # "staff:3" for attendants
    wa_id: str | None = Field(default=None, unique=True)
    kind: str = "text"  # text, interactive, button, image, audio, ..., template
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    payload: str | None = None  # the bot payload of a tapped button / list row
    body: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = ""  # OutStatus for outbound rows; "received" for inbound
    error: str = ""
    created_at: datetime = Field(default_factory=utc_now, index=True)


class WaInbound(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    wa_id: str = Field(unique=True)
    conv_key: str = Field(index=True)  # "<business phone id>|<tutor key>"
    wa_timestamp: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(default_factory=utc_now)
    processed_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    error: str = ""


class WaStatusEvent(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("wa_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    wa_id: str = Field(index=True)
    status: str
    wa_timestamp: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    error: str = ""
    received_at: datetime = Field(default_factory=utc_now)


class WaReplyId(SQLModel, table=True):
    id: str = Field(primary_key=True)  # "p:<sha1 prefix>"
    payload: str = Field(sa_column=Column(Text, nullable=False))
