"""Typed view of WhatsApp Cloud API webhook bodies, parsed once at the edge.

Both shapes Meta sends are accepted:
- with ``contacts[].user_id`` (business-scoped user id, BSUID, since April 2026; ``from`` and
  ``wa_id`` may then be absent for users with usernames), and
- without it (the older shape, on which pywa 4 raises ``KeyError``).

Nothing after :func:`parse_webhook` indexes raw dicts: the gateway works with
:class:`InboundMessage` and :class:`StatusUpdate`. Anything that does not fit raises
:class:`PayloadError`, which the route answers with a 400 (never a 500).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MEDIA_KINDS = frozenset(
    {"image", "audio", "video", "document", "location", "sticker", "reaction", "contacts", "voice"}
)


class PayloadError(ValueError):
    """The body is not a WhatsApp webhook we understand."""


@dataclass(frozen=True)
class InboundMessage:
    """One message a tutor sent to the business number."""

    wa_id: str  # "wamid..."
    business_phone_id: str
    timestamp: int
    kind: str  # "text", "interactive", "button", "image", ... (Meta's message type)
    phone: str | None  # E.164 with "+", or None when Meta did not share it
    user_id: str | None  # BSUID, e.g. "BR.1502576394655843"
    profile_name: str = ""
    text: str = ""  # body of text messages, caption of media, emoji of reactions
    reply_id: str | None = None  # id of the tapped reply button / list row / template button
    reply_title: str = ""

    @property
    def tutor_key(self) -> str:
        """The tutor's key: the BSUID when present, else the phone with "+"."""
        return self.user_id or self.phone or ""

    @property
    def conv_key(self) -> str:
        return f"{self.business_phone_id}|{self.tutor_key}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InboundMessage:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class StatusUpdate:
    wa_id: str
    status: str  # sent, delivered, read, failed, played...
    timestamp: int
    recipient_phone: str | None
    recipient_user_id: str | None
    error: str = ""


@dataclass
class WebhookBatch:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    ignored: int = 0  # changes/fields we do not handle (logged, acknowledged)


def _str(value: Any, what: str, *, required: bool = True) -> str | None:
    if value is None:
        if required:
            raise PayloadError(f"missing {what}")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PayloadError(f"{what} must be a string")
    return str(value)


def _obj(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise PayloadError(f"{what} must be an object")
    return value


def _list(value: Any, what: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{what} must be a list")
    return value


def _ts(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def _phone(digits: str | None) -> str | None:
    if not digits:
        return None
    digits = digits.strip()
    return digits if digits.startswith("+") else "+" + digits


def parse_webhook(data: Any) -> WebhookBatch:
    """Parse a decoded webhook body into typed messages and statuses."""
    body = _obj(data, "body")
    if body.get("object") != "whatsapp_business_account":
        raise PayloadError("object must be whatsapp_business_account")
    batch = WebhookBatch()
    for entry in _list(body.get("entry"), "entry"):
        entry = _obj(entry, "entry[]")
        for change in _list(entry.get("changes"), "changes"):
            change = _obj(change, "changes[]")
            if change.get("field") != "messages":
                batch.ignored += 1
                continue
            _parse_value(_obj(change.get("value"), "value"), batch)
    return batch


def _parse_value(value: dict, batch: WebhookBatch) -> None:
    metadata = _obj(value.get("metadata"), "metadata")
    phone_id = _str(metadata.get("phone_number_id"), "phone_number_id")
    contacts = [_obj(c, "contacts[]") for c in _list(value.get("contacts"), "contacts")]
    by_phone: dict[str, dict] = {}
    by_user: dict[str, dict] = {}
    for contact in contacts:
        if wa := _str(contact.get("wa_id"), "wa_id", required=False):
            by_phone[wa] = contact
        if uid := _str(contact.get("user_id"), "user_id", required=False):
            by_user[uid] = contact
    for raw in _list(value.get("messages"), "messages"):
        msg = _obj(raw, "messages[]")
        sender = _str(msg.get("from"), "from", required=False)
        sender_uid = _str(msg.get("from_user_id"), "from_user_id", required=False)
        contact = (
            by_user.get(sender_uid or "")
            or by_phone.get(sender or "")
            or (contacts[0] if len(contacts) == 1 else {})
        )
        user_id = sender_uid or _str(contact.get("user_id"), "user_id", required=False)
        phone = _phone(sender or _str(contact.get("wa_id"), "wa_id", required=False))
        if not user_id and not phone:
            raise PayloadError("message without sender")
        profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
        name = profile.get("name") if isinstance(profile.get("name"), str) else ""
        batch.messages.append(
            _parse_message(msg, phone_id, phone=phone, user_id=user_id, name=name)
        )
    for raw in _list(value.get("statuses"), "statuses"):
        st = _obj(raw, "statuses[]")
        errors = _list(st.get("errors"), "errors")
        err = ""
        if errors and isinstance(errors[0], dict):
            err = f"{errors[0].get('code', '')} {errors[0].get('title', '')}".strip()
        batch.statuses.append(
            StatusUpdate(
                wa_id=_str(st.get("id"), "status id"),
                status=_str(st.get("status"), "status"),
                timestamp=_ts(st.get("timestamp")),
                recipient_phone=_phone(_str(st.get("recipient_id"), "recipient", required=False)),
                recipient_user_id=_str(st.get("recipient_user_id"), "user", required=False),
                error=err,
            )
        )


def _parse_message(
    msg: dict, phone_id: str, *, phone: str | None, user_id: str | None, name: str
) -> InboundMessage:
    kind = _str(msg.get("type"), "type")
    text = ""
    reply_id = None
    reply_title = ""
    if kind == "text":
        text = _str(_obj(msg.get("text"), "text").get("body"), "text.body")
    elif kind == "interactive":
        inter = _obj(msg.get("interactive"), "interactive")
        itype = _str(inter.get("type"), "interactive.type")
        if itype in ("button_reply", "list_reply"):
            reply = _obj(inter.get(itype), itype)
            reply_id = _str(reply.get("id"), f"{itype}.id")
            reply_title = _str(reply.get("title"), f"{itype}.title", required=False) or ""
            text = reply_title
        else:
            kind = f"interactive:{itype}"
    elif kind == "button":  # quick-reply button of a template
        button = _obj(msg.get("button"), "button")
        reply_id = _str(button.get("payload"), "button.payload", required=False)
        reply_title = _str(button.get("text"), "button.text", required=False) or ""
        text = reply_title
        reply_id = reply_id or reply_title
    elif kind in MEDIA_KINDS:
        part = msg.get(kind)
        if isinstance(part, dict):
            caption = part.get("caption") or part.get("emoji") or ""
            text = caption if isinstance(caption, str) else ""
    return InboundMessage(
        wa_id=_str(msg.get("id"), "message id"),
        business_phone_id=phone_id,
        timestamp=_ts(msg.get("timestamp")),
        kind=kind,
        phone=phone,
        user_id=user_id,
        profile_name=name,
        text=text,
        reply_id=reply_id,
        reply_title=reply_title,
    )
