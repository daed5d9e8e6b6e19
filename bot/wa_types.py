"""Typed view of WhatsApp Cloud API webhook bodies, parsed once at the edge.

Both shapes Meta sends are accepted:
- with ``contacts[].user_id`` (business-scoped user id, BSUID, since April 2026; ``from`` and
  ``wa_id`` may then be absent for users with usernames), and
- without it (the older shape, on which pywa 4 raises ``KeyError``).

Nothing after :func:`parse_webhook` indexes raw dicts: the gateway works with
:class:`InboundMessage` and :class:`StatusUpdate`.

Validation is per item. Only a body that is not a WhatsApp webhook at all (not an object,
``object`` is not ``whatsapp_business_account``, ``entry`` is not a list) raises
:class:`PayloadError`, which the route answers with a 400. Anything inside ``entry`` that does
not fit — an entry, a change, a message or a status — becomes a :class:`Rejected` item (the
gateway records it and acknowledges the body) and never takes its neighbours down with it.

Every field read is checked: ids are printable ASCII of at most 256 characters, phones are
digits, timestamps have at most 10 digits (BIGINT columns: until 2286), and free text has NUL
removed, lone surrogates replaced by U+FFFD (neither can be stored in PostgreSQL) and is cut at
WhatsApp's own 4,096-character limit (:data:`TEXT_LIMIT`). A longer text cannot come from
WhatsApp: it is cut there and processed as usual, nothing extra is said to the tutor (the
engine's memory grew to 13.5 GB on a 100,000-character text).

Meta also sends messages whose content it could not deliver (e.g. ``type: interactive`` with no
``interactive`` object and ``errors: [131000]`` on the value): those are real tutors' messages,
kept as kind ``unsupported`` with Meta's error, not rejected.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

TEXT_LIMIT = 4096  # WhatsApp's limit on a text message body
NAME_LIMIT = 256  # profile names (WhatsApp allows 25)
ID_LIMIT = 256
MAX_REJECTED = 100  # rejected items recorded per body; more are only counted and logged
RAW_LIMIT = 4000  # characters of a rejected item's JSON kept for whoever investigates

FILE_KINDS = frozenset({"image", "audio", "video", "document", "sticker", "voice"})

_ID = re.compile(r"[\x21-\x7e]+")
_PHONE = re.compile(r"\+?[0-9]{4,20}")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class PayloadError(ValueError):
    """The body (or one item of it) is not a WhatsApp webhook we understand."""


@dataclass(frozen=True)
class InboundMessage:
    """One message a tutor sent to the business number."""

    wa_id: str  # "wamid..."
    business_phone_id: str
    timestamp: int
    kind: str  # "text", "interactive", "button", "image", "reaction", "edit", "revoke", ...
    phone: str | None  # E.164 with "+", or None when Meta did not share it
    user_id: str | None  # BSUID, e.g. "BR.1502576394655843"
    profile_name: str = ""
    text: str = ""  # text body (also of an edit), caption of media, emoji of reactions
    reply_id: str | None = None  # id of the tapped reply button / list row / template button
    reply_title: str = ""
    error: str = ""  # Meta's error when it could not deliver the content ("131000 ...")

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


@dataclass(frozen=True)
class Rejected:
    """An item of a webhook that could not be read: recorded, acknowledged, not processed."""

    wa_id: str  # the item's id as sent (cleaned and cut), "" when it had none
    reason: str
    raw: str  # the item as ASCII JSON, cut at RAW_LIMIT
    digest: str  # sha256 of the whole item: the same item retried is recorded once

    @classmethod
    def of(cls, item: Any, reason: str, wa_id: Any = None) -> Rejected:
        """``item`` as it came (any JSON value); ``wa_id`` defaults to its ``id``."""
        try:
            raw = json.dumps(item, sort_keys=True, default=str)
        except (TypeError, ValueError, RecursionError):
            raw = repr(type(item))
        if wa_id is None and isinstance(item, dict):
            wa_id = item.get("id")
        wa_id = clean(str(wa_id), ID_LIMIT) if isinstance(wa_id, str | int) else ""
        digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
        return cls(wa_id=wa_id, reason=reason, raw=raw[:RAW_LIMIT], digest=digest)


@dataclass
class WebhookBatch:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    rejected_unrecorded: int = 0  # beyond MAX_REJECTED in one body
    ignored: int = 0  # changes/fields we do not handle (logged, acknowledged)

    def reject(self, item: Any, exc: Exception) -> None:
        if len(self.rejected) < MAX_REJECTED:
            self.rejected.append(Rejected.of(item, str(exc)))
        else:
            self.rejected_unrecorded += 1


def clean(text: str, limit: int) -> str:
    """Text that every database stores: no NUL, no lone surrogate, at most ``limit`` chars."""
    text = _SURROGATE.sub("\ufffd", text.replace("\x00", ""))
    return text[:limit]


def _str(value: Any, what: str, *, required: bool = True) -> str | None:
    if value is None:
        if required:
            raise PayloadError(f"missing {what}")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PayloadError(f"{what} must be a string")
    return str(value)


def _text(value: Any, what: str, limit: int = TEXT_LIMIT) -> str:
    return clean(_str(value, what) or "", limit)


def _ident(value: Any, what: str, *, required: bool = True, limit: int = ID_LIMIT) -> str | None:
    raw = _str(value, what, required=required)
    if raw is None:
        return None
    raw = raw.strip()
    if not raw and not required:
        return None
    if len(raw) > limit or not _ID.fullmatch(raw):
        raise PayloadError(f"invalid {what}")
    return raw


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
    """Seconds since the epoch, as Meta sends them ("1749416383"); 0 when absent."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PayloadError("invalid timestamp")
    digits = str(value).strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) > 10:
        raise PayloadError("invalid timestamp")
    return int(digits)  # at most 10 digits: up to the year 2286, a BIGINT column


def _phone(value: Any, what: str) -> str | None:
    digits = _str(value, what, required=False)
    if not digits or not digits.strip():
        return None
    digits = digits.strip()
    if not _PHONE.fullmatch(digits):
        raise PayloadError(f"invalid {what}")
    return digits if digits.startswith("+") else "+" + digits


def _meta_error(errors: Any) -> str:
    """Meta's first error as "code title" ("131000 Something went wrong"), or ""."""
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code, title = errors[0].get("code", ""), errors[0].get("title", "")
        parts = [str(p) for p in (code, title) if isinstance(p, str | int) and p != ""]
        return clean(" ".join(parts), 500)
    return ""


def parse_webhook(data: Any) -> WebhookBatch:
    """Parse a decoded webhook body into typed messages, statuses and rejected items."""
    body = _obj(data, "body")
    if body.get("object") != "whatsapp_business_account":
        raise PayloadError("object must be whatsapp_business_account")
    batch = WebhookBatch()
    for entry in _list(body.get("entry"), "entry"):
        try:
            changes = _list(_obj(entry, "entry[]").get("changes"), "changes")
        except PayloadError as exc:
            batch.reject(entry, exc)
            continue
        for change in changes:
            if isinstance(change, dict) and change.get("field") not in (None, "messages"):
                batch.ignored += 1
                continue
            try:
                change = _obj(change, "changes[]")
                if change.get("field") != "messages":
                    raise PayloadError("missing field")
                value = _obj(change.get("value"), "value")
                phone_id = _ident(_obj(value.get("metadata"), "metadata").get("phone_number_id"),
                                  "phone_number_id")
            except PayloadError as exc:
                batch.reject(change, exc)
                continue
            _parse_value(value, phone_id, batch)
    return batch


def _parse_value(value: dict, phone_id: str, batch: WebhookBatch) -> None:
    contacts = value.get("contacts")
    contacts = [c for c in contacts if isinstance(c, dict)] if isinstance(contacts, list) else []
    by_phone: dict[str, dict] = {}
    by_user: dict[str, dict] = {}
    for contact in contacts:
        if isinstance(wa := contact.get("wa_id"), str | int) and not isinstance(wa, bool):
            by_phone[str(wa)] = contact
        if isinstance(uid := contact.get("user_id"), str):
            by_user[uid] = contact
    value_error = _meta_error(value.get("errors"))

    def message(raw: Any) -> InboundMessage:
        return _parse_message(_obj(raw, "messages[]"), phone_id, contacts, by_phone, by_user,
                              value_error)

    def status(raw: Any) -> StatusUpdate:
        return _parse_status(_obj(raw, "statuses[]"))

    for key, parse, out in (("messages", message, batch.messages),
                            ("statuses", status, batch.statuses)):
        try:
            items = _list(value.get(key), key)
        except PayloadError as exc:
            batch.reject({key: value.get(key)}, exc)
            continue
        for raw in items:
            try:
                out.append(parse(raw))
            except PayloadError as exc:
                batch.reject(raw, exc)


def _parse_status(st: dict) -> StatusUpdate:
    return StatusUpdate(
        wa_id=_ident(st.get("id"), "status id"),
        status=_ident(st.get("status"), "status", limit=32),
        timestamp=_ts(st.get("timestamp")),
        recipient_phone=_phone(st.get("recipient_id"), "recipient"),
        recipient_user_id=_ident(st.get("recipient_user_id"), "user", required=False),
        error=_meta_error(_list(st.get("errors"), "errors")),
    )


def _parse_message(msg: dict, phone_id: str, contacts: list[dict], by_phone: dict,
                   by_user: dict, value_error: str) -> InboundMessage:
    wa_id = _ident(msg.get("id"), "message id")
    timestamp = _ts(msg.get("timestamp"))
    sender = _str(msg.get("from"), "from", required=False)
    sender_uid = _ident(msg.get("from_user_id"), "from_user_id", required=False)
    contact = (
        by_user.get(sender_uid or "")
        or by_phone.get(sender or "")
        or (contacts[0] if len(contacts) == 1 else {})
    )
    user_id = sender_uid or _ident(contact.get("user_id"), "user_id", required=False)
    phone = _phone(sender or contact.get("wa_id"), "from")
    if not user_id and not phone:
        raise PayloadError("message without sender")
    profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
    name = profile.get("name")
    name = clean(name, NAME_LIMIT) if isinstance(name, str) else ""
    kind, text, reply_id, reply_title, error = _content(msg, value_error)
    return InboundMessage(
        wa_id=wa_id,
        business_phone_id=phone_id,
        timestamp=timestamp,
        kind=kind,
        phone=phone,
        user_id=user_id,
        profile_name=name,
        text=text,
        reply_id=reply_id,
        reply_title=reply_title,
        error=error,
    )


def _content(msg: dict, value_error: str) -> tuple[str, str, str | None, str, str]:
    """(kind, text, reply id, reply title, Meta's error) of one message."""
    kind = _ident(msg.get("type"), "type", limit=64)
    error = _meta_error(msg.get("errors")) or value_error
    part = msg.get(kind)
    if kind in ("text", "interactive", "button") and part is None and error:
        return "unsupported", "", None, "", error  # Meta could not deliver the content
    if kind == "text":
        return kind, _text(_obj(part, "text").get("body"), "text.body"), None, "", error
    if kind == "interactive":
        itype = _ident(_obj(part, "interactive").get("type"), "interactive.type", limit=64)
        if itype not in ("button_reply", "list_reply"):
            return f"interactive:{itype}", "", None, "", error
        reply = _obj(part.get(itype), itype)
        reply_id = _text(reply.get("id"), f"{itype}.id")
        title = _text(reply.get("title"), f"{itype}.title") if reply.get("title") else ""
        return kind, title, reply_id, title, error
    if kind == "button":  # quick-reply button of a template
        button = _obj(part, "button")
        title = _text(button.get("text"), "button.text") if button.get("text") else ""
        payload = _text(button.get("payload"), "button.payload") if button.get("payload") else ""
        return kind, title, payload or title or None, title, error
    if kind == "edit":  # the tutor edited an earlier message: keep the new text for staff
        new = _obj(part, "edit").get("message")
        new = new if isinstance(new, dict) else {}
        body = new.get("text", {}).get("body") if isinstance(new.get("text"), dict) else None
        return kind, clean(body, TEXT_LIMIT) if isinstance(body, str) else "", None, "", error
    if kind == "unsupported" and isinstance(part, dict) and part.get("type") == "edit":
        return "edit", "", None, "", error  # older shape of an edit
    text = ""
    if isinstance(part, dict):
        caption = part.get("caption") or part.get("emoji") or ""
        text = clean(caption, TEXT_LIMIT) if isinstance(caption, str) else ""
    return kind, text, None, "", error
