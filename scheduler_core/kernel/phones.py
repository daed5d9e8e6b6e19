"""Brazilian WhatsApp numbers → E.164, with the "missing 9th digit" variant.

Since 2016 every Brazilian mobile number has 9 digits after the DDD (area code) and starts
with 9. WhatsApp still reports some accounts by their old 8-digit form, so the wa_id Meta sends
may be ``55 + DDD + 8 digits`` (e.g. ``551187654321`` for ``+55 11 98765-4321``). We store the
canonical 9-digit form and look numbers up by both (:func:`phone_variants`).
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

BR = "BR"


class InvalidPhone(ValueError):
    """The text is not a usable phone number; ``str(error)`` is a pt-BR message for the user."""


_HINT = "Informe o número com DDD, por exemplo (11) 98765-4321."


def _is_old_mobile(national: str) -> bool:
    """DDD + 8 digits starting with 6–9: a mobile number without its 9th digit."""
    return len(national) == 10 and national[2] in "6789"


def parse_phone(text: str, default_region: str = BR) -> str:
    """A phone number typed by a person or sent by Meta → E.164 (``+5511987654321``).

    Accepts ``(11) 98765-4321``, ``11987654321``, ``+55 11 98765-4321``, ``5511987654321`` and
    the old 8-digit mobile form (``551187654321`` → ``+5511987654321``). Foreign numbers with a
    ``+`` country code are accepted as they are. Raises :class:`InvalidPhone` (pt-BR message).
    """
    raw = (text or "").strip()
    if not raw:
        raise InvalidPhone("Informe um número de telefone. " + _HINT)
    if re.search(r"[A-Za-z]", raw.replace("x", "").replace("X", "")):
        raise InvalidPhone("O telefone deve ter apenas números. " + _HINT)
    digits = re.sub(r"\D", "", raw)
    if len(digits) in (8, 9):
        raise InvalidPhone("Faltou o DDD do telefone. " + _HINT)
    try:
        number = phonenumbers.parse(raw, default_region)
    except NumberParseException as exc:
        raise InvalidPhone("Não reconheci esse número de telefone. " + _HINT) from exc
    if number.country_code == 55:
        national = str(number.national_number)
        if _is_old_mobile(national):
            number = phonenumbers.parse("+55" + national[:2] + "9" + national[2:], None)
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("Número de telefone inválido. " + _HINT)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def try_parse_phone(text: str) -> str | None:
    try:
        return parse_phone(text)
    except InvalidPhone:
        return None


def phone_variants(e164: str) -> list[str]:
    """The forms under which one number may be stored or reported: for a Brazilian mobile,
    with and without its 9th digit (canonical first); otherwise just the number."""
    if not e164:
        return []
    variants = [e164]
    if e164.startswith("+55"):
        national = e164[3:]
        if len(national) == 11 and national[2] == "9" and national[3] in "6789":
            variants.append("+55" + national[:2] + national[3:])
        elif _is_old_mobile(national):
            variants.insert(0, "+55" + national[:2] + "9" + national[2:])
    return variants


def wa_id_to_e164(wa_id: str) -> str:
    """Meta's wa_id (digits with country code, no ``+``) → canonical E.164."""
    digits = re.sub(r"\D", "", wa_id or "")
    return parse_phone("+" + digits)


def format_phone_br(e164: str) -> str:
    """``+5511987654321`` → ``(11) 98765-4321``; foreign numbers in international format."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if number.country_code == 55:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
