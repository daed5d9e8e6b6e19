"""Opaque signed slot tokens (spec/scheduling.md §3.3 step 11, §7).

A token is ``base64url(compact JSON) "." base64url(HMAC-SHA256(secret, body))`` without padding.
It is not encrypted: the tutor could decode it, but not alter it. The expiry travels inside the
signed body as ``exp`` (Unix seconds). ``verify`` checks the signature first (a tampered token is
:class:`TokenError` even when also expired), then the expiry (:class:`TokenExpired`).

A slot token carries everything needed to re-check and book the slot: date, start/end, per item
(service, employee, start, end, price, duration), total, pet, shop, segment and expiry; for a combo
also the combo id, its component services, the discount rule and the discount in centavos (the total
is then the combo price). The booking code must still re-validate availability when the token is
used (the slot may be gone).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler_core.scheduling.agenda_types import Slot, SlotItem

__all__ = [
    "ComboGrant",
    "SlotGrant",
    "TokenError",
    "TokenExpired",
    "sign",
    "slot_from_token",
    "slot_token",
    "verify",
]

_VERSION = 1


class TokenError(ValueError):
    """The token is malformed or its signature does not match."""


class TokenExpired(TokenError):
    """The token was valid but its time is over."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def _mac(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), body.encode("ascii"), hashlib.sha256).digest()
    return _b64encode(digest)


def sign(payload: dict, secret: str, expires_at: datetime) -> str:
    """A signed token for ``payload`` (JSON-serialisable, must not use the key "exp")."""
    if not secret:
        raise ValueError("secret must not be empty")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    if "exp" in payload:
        raise ValueError('"exp" is reserved for the expiry')
    body_dict = dict(payload)
    body_dict["exp"] = int(expires_at.timestamp())
    body = _b64encode(
        json.dumps(body_dict, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    )
    return f"{body}.{_mac(secret, body)}"


def verify(token: str, secret: str, now: datetime, *, check_expiry: bool = True) -> dict:
    """The payload of a valid token; raises :class:`TokenError` or :class:`TokenExpired`
    (``check_expiry=False``: a genuine but expired token is accepted too)."""
    if not secret:
        raise ValueError("secret must not be empty")
    if not isinstance(token, str) or token.count(".") != 1:
        raise TokenError("token malformado")
    body, signature = token.split(".")
    try:
        expected = _mac(secret, body)
    except UnicodeEncodeError as exc:
        raise TokenError("token malformado") from exc
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace")):
        raise TokenError("assinatura inválida")
    try:
        payload = json.loads(_b64decode(body))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("token malformado") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
        raise TokenError("token malformado")
    expiry = payload.pop("exp")
    if check_expiry and now.timestamp() >= expiry:
        raise TokenExpired("horário expirado")
    return payload


# --------------------------------------------------------------------------- slot tokens


@dataclass(frozen=True)
class ComboGrant:
    """The combo a slot was priced as: the discount the tutor was shown."""

    combo_id: int
    service_ids: tuple[int, ...]  # the combo's components (other items are extras)
    discount_kind: str  # "valor" | "percentual"
    discount_value: int
    discount_cents: int


@dataclass(frozen=True)
class SlotGrant:
    """What a slot token carries, decoded."""

    shop_id: int
    pet_id: int
    segment_id: int
    day: date
    slot: Slot
    expires_at: datetime
    combo: ComboGrant | None = None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def slot_token(
    slot: Slot,
    *,
    shop_id: int,
    pet_id: int,
    segment_id: int,
    secret: str,
    now: datetime,
    ttl_min: int = 30,
    combo: ComboGrant | None = None,
) -> str:
    """A token for ``slot`` valid for ``ttl_min`` minutes from ``now`` (``slot.total_cents`` is
    already the combo price when ``combo`` is given)."""
    zone = getattr(slot.start.tzinfo, "key", None)
    payload = {
        "v": _VERSION,
        "sh": shop_id,
        "p": pet_id,
        "sg": segment_id,
        "d": slot.start.date().isoformat(),
        "s": _iso(slot.start),
        "e": _iso(slot.end),
        "t": slot.total_cents,
        "i": [
            [it.service_id, it.employee_id, _iso(it.start), _iso(it.end), it.price_cents,
             it.duration_min]
            for it in slot.items
        ],
    }
    if zone:
        payload["z"] = zone
    if combo is not None:
        payload["c"] = [
            combo.combo_id,
            list(combo.service_ids),
            combo.discount_kind,
            combo.discount_value,
            combo.discount_cents,
        ]
    return sign(payload, secret, now + timedelta(minutes=ttl_min))


def slot_from_token(
    token: str, *, secret: str, now: datetime, check_expiry: bool = True
) -> SlotGrant:
    """Decode a slot token; raises :class:`TokenError` / :class:`TokenExpired` (not with
    ``check_expiry=False``, used to recognise a retry of an earlier booking)."""
    # Read the expiry from the signed body before verify() strips it.
    payload = verify(token, secret, now, check_expiry=check_expiry)
    try:
        expiry = int(json.loads(_b64decode(token.split(".")[0]))["exp"])
        if payload.get("v") != _VERSION:
            raise TokenError("versão de token desconhecida")
        zone = ZoneInfo(payload["z"]) if payload.get("z") else None

        def when(text: str) -> datetime:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                raise TokenError("token malformado")
            return moment.astimezone(zone) if zone else moment

        items = tuple(
            SlotItem(
                service_id=int(service_id),
                employee_id=int(employee_id),
                start=when(start),
                end=when(end),
                price_cents=int(price),
                duration_min=int(duration),
            )
            for service_id, employee_id, start, end, price, duration in payload["i"]
        )
        if not items:
            raise TokenError("token malformado")
        slot = Slot(
            start=when(payload["s"]),
            end=when(payload["e"]),
            items=items,
            total_cents=int(payload["t"]),
        )
        combo = None
        if payload.get("c") is not None:
            combo_id, combo_services, kind, value, discount = payload["c"]
            combo = ComboGrant(
                combo_id=int(combo_id),
                service_ids=tuple(int(s) for s in combo_services),
                discount_kind=str(kind),
                discount_value=int(value),
                discount_cents=int(discount),
            )
        return SlotGrant(
            shop_id=int(payload["sh"]),
            pet_id=int(payload["p"]),
            segment_id=int(payload["sg"]),
            day=date.fromisoformat(payload["d"]),
            slot=slot,
            expires_at=datetime.fromtimestamp(expiry, zone or UTC),
            combo=combo,
        )
    except TokenError:
        raise
    except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as exc:
        raise TokenError("token malformado") from exc
