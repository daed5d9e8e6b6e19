"""Idempotency keys of bookings: whose a key is, and whether a retry is the same request.

Decisions (the booking service applies them in
:func:`scheduler_core.scheduling.booking.book_outcome`):

- A key belongs to a client. When the caller names one, the stored key is ``"<client>:<key>"``:
  the REST API passes its client's audit actor (``"api:<token fingerprint>"``), so two API
  clients never see each other's bookings and an API key never meets a bot or panel key.
- A key stands for one request: the pet, the slot (start, end and, per item, service,
  professional and times), the combo and the options (Leva e Traz, notes, plan). Their sha256
  fingerprint is stored with the appointment. A retry of the same request gets the appointment
  already booked, even with a fresh token for the same slot or after the token expired; the same
  key with another request is refused (:class:`~scheduler_core.kernel.errors.IdempotencyKeyReused`,
  422), never answered with the earlier appointment. Prices are not part of the request: a token
  searched again for the same slot after a price change is still a retry.
- Appointments booked before fingerprints were stored (NULL) count as the same request.
"""

from __future__ import annotations

import hashlib
import json

from scheduler_core.agenda.models import Appointment
from scheduler_core.kernel.clock import to_utc
from scheduler_core.kernel.errors import IdempotencyKeyReused, ValidationFailed
from scheduler_core.scheduling.tokens import SlotGrant

MAX_KEY_LEN = 200


def scoped_key(key: str | None, client: str = "") -> str | None:
    """The stored form of ``key`` for ``client`` (None without a key)."""
    key = (key or "").strip()
    if not key:
        return None
    if len(key) > MAX_KEY_LEN:
        raise ValidationFailed("Chave de idempotência longa demais.")
    return f"{client}:{key}" if client else key


def fingerprint(grant: SlotGrant, *, notes: str, leva_e_traz: bool, pet_plan_id: int | None) -> str:
    """The fingerprint of a booking request (see the module's decisions)."""
    slot = grant.slot
    request = {
        "shop": grant.shop_id,
        "pet": grant.pet_id,
        "segment": grant.segment_id,
        "start": to_utc(slot.start).isoformat(),
        "end": to_utc(slot.end).isoformat(),
        "items": [
            [
                it.service_id,
                it.employee_id,
                to_utc(it.start).isoformat(),
                to_utc(it.end).isoformat(),
            ]
            for it in slot.items
        ],
        "combo": grant.combo.combo_id if grant.combo is not None else None,
        "leva_e_traz": bool(leva_e_traz),
        "notes": notes or "",
        "pet_plan_id": pet_plan_id,
    }
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def replay(existing: Appointment, request_fingerprint: str) -> Appointment:
    """``existing`` (booked with this key) when the retry is the same request; else refuse."""
    stored = existing.idempotency_fingerprint
    if stored is not None and stored != request_fingerprint:
        raise IdempotencyKeyReused(details={"appointment_id": existing.id})
    return existing
