"""Signed slot tokens: what the bot hands the tutor and gets back when a slot is picked."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler_core.scheduling.agenda_types import Slot, SlotItem
from scheduler_core.scheduling.tokens import (
    ComboGrant,
    TokenError,
    TokenExpired,
    sign,
    slot_from_token,
    slot_token,
    verify,
)

Z = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=Z)
SECRET = "s3gredo-da-loja"


def a_slot() -> Slot:
    start = datetime(2026, 12, 8, 9, 0, tzinfo=Z)
    mid = start + timedelta(minutes=60)
    end = mid + timedelta(minutes=30)
    return Slot(
        start=start,
        end=end,
        items=(
            SlotItem(10, 1, start, mid, 5000, 60),
            SlotItem(20, 2, mid, end, 3000, 30),
        ),
        total_cents=8000,
    )


def test_signed_payload_round_trips():
    token = sign({"a": 1, "nome": "Banho ç"}, SECRET, NOW + timedelta(minutes=5))
    assert verify(token, SECRET, NOW) == {"a": 1, "nome": "Banho ç"}
    assert "=" not in token and "+" not in token and "/" not in token


def test_token_expires():
    token = sign({"a": 1}, SECRET, NOW + timedelta(minutes=5))
    assert verify(token, SECRET, NOW + timedelta(minutes=4, seconds=59))
    with pytest.raises(TokenExpired):
        verify(token, SECRET, NOW + timedelta(minutes=5))


def test_tampered_token_is_refused():
    token = sign({"price": 5000}, SECRET, NOW + timedelta(minutes=5))
    body, mac = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    data["price"] = 1
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenError):
        verify(f"{forged}.{mac}", SECRET, NOW)
    with pytest.raises(TokenError):
        verify(token, "outro-segredo", NOW)
    with pytest.raises(TokenError):
        verify(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), SECRET, NOW)


def test_tampered_and_expired_is_invalid_not_expired():
    token = sign({"a": 1}, SECRET, NOW - timedelta(minutes=1))
    with pytest.raises(TokenError) as info:
        verify(token + "x", SECRET, NOW)
    assert not isinstance(info.value, TokenExpired)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "ção.ção", ".", "e30.", 12])
def test_garbage_is_a_token_error(garbage):
    with pytest.raises(TokenError):
        verify(garbage, SECRET, NOW)


def test_slot_token_carries_the_slot():
    slot = a_slot()
    token = slot_token(slot, shop_id=1, pet_id=9, segment_id=5, secret=SECRET, now=NOW)
    grant = slot_from_token(token, secret=SECRET, now=NOW + timedelta(minutes=29))
    assert grant.slot == slot
    assert grant.slot.items[1].employee_id == 2
    assert grant.slot.start.tzinfo.key == "America/Sao_Paulo"
    assert (grant.shop_id, grant.pet_id, grant.segment_id) == (1, 9, 5)
    assert grant.day.isoformat() == "2026-12-08"
    assert grant.expires_at == NOW + timedelta(minutes=30)
    assert len(token) < 500


def test_slot_token_expires_after_ttl():
    token = slot_token(a_slot(), shop_id=1, pet_id=9, segment_id=5, secret=SECRET, now=NOW,
                       ttl_min=10)
    with pytest.raises(TokenExpired):
        slot_from_token(token, secret=SECRET, now=NOW + timedelta(minutes=10))


def test_validly_signed_but_wrong_shape_is_a_token_error():
    token = sign({"v": 1, "i": "x"}, SECRET, NOW + timedelta(minutes=5))
    with pytest.raises(TokenError):
        slot_from_token(token, secret=SECRET, now=NOW)


def test_slot_in_utc_round_trips_too():
    slot = a_slot()
    utc = Slot(
        start=slot.start.astimezone(UTC),
        end=slot.end.astimezone(UTC),
        items=slot.items,
        total_cents=slot.total_cents,
    )
    token = slot_token(utc, shop_id=1, pet_id=9, segment_id=5, secret=SECRET, now=NOW)
    assert slot_from_token(token, secret=SECRET, now=NOW).slot == utc


def test_sign_refuses_reserved_key_and_naive_expiry():
    with pytest.raises(ValueError):
        sign({"exp": 1}, SECRET, NOW)
    with pytest.raises(ValueError):
        sign({}, SECRET, NOW.replace(tzinfo=None))
    with pytest.raises(ValueError):
        sign({}, "", NOW)


def test_a_combo_slot_token_carries_the_combo_and_its_discount():
    combo = ComboGrant(combo_id=7, service_ids=(10, 20), discount_kind="percentual",
                       discount_value=10, discount_cents=800)
    slot = a_slot()
    priced = Slot(start=slot.start, end=slot.end, items=slot.items, total_cents=7200)
    token = slot_token(priced, shop_id=1, pet_id=2, segment_id=3, secret=SECRET, now=NOW,
                       combo=combo)
    grant = slot_from_token(token, secret=SECRET, now=NOW)
    assert grant.combo == combo
    assert grant.slot.total_cents == 7200
    plain = slot_from_token(
        slot_token(slot, shop_id=1, pet_id=2, segment_id=3, secret=SECRET, now=NOW),
        secret=SECRET, now=NOW,
    )
    assert plain.combo is None
    # The discount cannot be edited by the tutor.
    body, mac = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["c"][4] = 9000
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenError):
        slot_from_token(f"{forged}.{mac}", secret=SECRET, now=NOW)
