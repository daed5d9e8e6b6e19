"""Pix "copia e cola": the BR Code of an invoice (issue 11 "Pix").

The code is an EMV® QRCPS Merchant-Presented Mode payload as the Banco Central do Brasil
specifies it for Pix ("Manual de Padrões para Iniciação do Pix", BR Code): a string of
``ID (2 digits) + length (2 digits) + value`` fields, in this order:

====  ============================================  ==========================================
ID    field                                         value
====  ============================================  ==========================================
00    Payload Format Indicator                      ``01``
26    Merchant Account Information (Pix)            ``00`` GUI ``br.gov.bcb.pix``, ``01`` key
52    Merchant Category Code                        ``0000`` (not informed)
53    Transaction Currency                          ``986`` (BRL)
54    Transaction Amount                            ``123.45`` (omitted for 0: the payer types it)
58    Country Code                                  ``BR``
59    Merchant Name                                 ASCII, at most 25 characters
60    Merchant City                                 ASCII, at most 15 characters
62    Additional Data Field Template                ``05`` txid: at most 25 letters/digits, or
                                                    ``***`` when there is none
63    CRC16                                         CRC-16/CCITT-FALSE (poly 0x1021, init
                                                    0xFFFF) of the whole payload including
                                                    ``6304``, as 4 upper-case hex digits
====  ============================================  ==========================================

This is a *static* code built from the shop's Pix key (``Shop.pix_key``); the shop confirms the
payment itself (no bank integration): the txid only lets it find the transfer in its statement.

No QR image here: no QR library is installed in the project's environment (checked: neither
``segno`` nor ``qrcode``), and writing a QR encoder is out of scope; the public page can render
the "copia e cola" text (every bank app accepts it) and a QR is a follow-up.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass

from scheduler_core.kernel.cpf import digits_only, is_valid_cpf
from scheduler_core.kernel.errors import ValidationFailed

GUI = "br.gov.bcb.pix"
MAX_NAME = 25
MAX_CITY = 15
MAX_TXID = 25
MAX_AMOUNT_CENTS = 99_999_999_999  # "9999999999.99": 13 characters, the field's limit


def crc16(payload: str) -> str:
    """CRC-16/CCITT-FALSE of ``payload`` (UTF-8) as 4 upper-case hex digits."""
    crc = 0xFFFF
    for byte in payload.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return f"{crc:04X}"


def _field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"EMV field {tag} longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def ascii_text(text: str, limit: int) -> str:
    """``text`` without accents and other non-ASCII characters, spaces collapsed, cut to
    ``limit`` characters ("São Paulo" → "Sao Paulo")."""
    plain = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in plain if ch.isascii() and (ch.isalnum() or ch in " .-&/,'"))
    return " ".join(plain.split())[:limit].strip()


def txid_for(text: str) -> str:
    """A txid: the letters and digits of ``text``, at most 25 (``***`` when empty)."""
    cleaned = re.sub(r"[^A-Za-z0-9]", "", text or "")[:MAX_TXID]
    return cleaned or "***"


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_key(key: str) -> str:
    """The Pix key as the BR Code carries it, or ValidationFailed (pt-BR).

    CPF / CNPJ → digits; e-mail → lower case; phone → ``+55`` and digits (a key written with
    "+", or 10–11 digits that are not a valid CPF); random key (EVP) → lower-case UUID.
    """
    text = (key or "").strip()
    if not text:
        raise ValidationFailed(
            "Cadastre a chave Pix da loja para gerar o código Pix.", details={"field": "pix_key"}
        )
    try:
        return str(uuid.UUID(text)) if len(text) == 36 else _non_evp(text)
    except ValueError:
        return _non_evp(text)


def _non_evp(text: str) -> str:
    if "@" in text:
        email = text.lower()
        if not _EMAIL.match(email) or len(email) > 77:
            raise ValidationFailed("Chave Pix (e-mail) inválida.", details={"field": "pix_key"})
        return email
    digits = digits_only(text)
    if text.startswith("+"):
        if not digits.startswith("55") or len(digits) not in (12, 13):
            raise ValidationFailed(
                "Chave Pix (telefone) inválida: use +55, DDD e número.",
                details={"field": "pix_key"},
            )
        return "+" + digits
    if len(digits) == 14:
        return digits  # CNPJ
    if len(digits) == 11 and is_valid_cpf(digits):
        return digits
    if len(digits) in (10, 11):
        return "+55" + digits
    raise ValidationFailed(
        "Chave Pix inválida: use CPF, CNPJ, e-mail, telefone ou chave aleatória.",
        details={"field": "pix_key"},
    )


@dataclass(frozen=True)
class PixCode:
    payload: str  # the "copia e cola" text
    key: str
    amount_cents: int
    txid: str


def br_code(
    *, key: str, merchant_name: str, merchant_city: str, amount_cents: int = 0, txid: str = ""
) -> PixCode:
    """The static Pix BR Code for ``amount_cents`` to ``key`` (module docstring)."""
    pix_key = normalize_key(key)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or not (
        0 <= amount_cents <= MAX_AMOUNT_CENTS
    ):
        raise ValidationFailed("Valor inválido para o Pix.", details={"field": "amount_cents"})
    name = ascii_text(merchant_name, MAX_NAME) or "LOJA"
    city = ascii_text(merchant_city, MAX_CITY) or "BRASIL"
    tx = txid_for(txid)
    account = _field("00", GUI) + _field("01", pix_key)
    parts = [
        _field("00", "01"),
        _field("26", account),
        _field("52", "0000"),
        _field("53", "986"),
    ]
    if amount_cents:
        reais, cents = divmod(amount_cents, 100)
        parts.append(_field("54", f"{reais}.{cents:02d}"))
    parts += [
        _field("58", "BR"),
        _field("59", name),
        _field("60", city),
        _field("62", _field("05", tx)),
        "6304",
    ]
    body = "".join(parts)
    return PixCode(payload=body + crc16(body), key=pix_key, amount_cents=amount_cents, txid=tx)


def parse_fields(payload: str) -> dict[str, str]:
    """Top-level ``ID → value`` of an EMV payload (for checks and tests)."""
    fields: dict[str, str] = {}
    i = 0
    while i < len(payload):
        tag, size = payload[i : i + 2], int(payload[i + 2 : i + 4])
        fields[tag] = payload[i + 4 : i + 4 + size]
        i += 4 + size
    return fields


def is_valid(payload: str) -> bool:
    """The payload ends with a correct field 63 (CRC)."""
    return (
        len(payload) > 8
        and payload[-8:-4] == "6304"
        and crc16(payload[:-4]) == payload[-4:].upper()
    )
