"""CPF (Brazilian individual tax ID): check digits, normalisation and formatting.

Stored form: 11 digits, no punctuation. Display form: ``123.456.789-09``.
"""

from __future__ import annotations

import random
import re


class InvalidCPF(ValueError):
    """The text is not a valid CPF; ``str(error)`` is a pt-BR message for the user."""


def digits_only(value: str) -> str:
    """The ASCII digits of ``value`` (other scripts' digits, "١٢", are not digits here)."""
    return re.sub(r"[^0-9]", "", value or "")


def has_foreign_digits(value: str) -> bool:
    """Digits of another script ("١٢", "１２"): refused where a number is typed, so "١٢" is never
    read as 12 nor silently dropped."""
    return any(c.isdigit() and not c.isascii() for c in value or "")


def _check_digit(digits: str) -> int:
    weight = len(digits) + 1
    total = sum(int(d) * (weight - i) for i, d in enumerate(digits))
    rest = total % 11
    return 0 if rest < 2 else 11 - rest


def check_digits(first_nine: str) -> str:
    """The two check digits for the first nine digits of a CPF."""
    first = _check_digit(first_nine)
    second = _check_digit(first_nine + str(first))
    return f"{first}{second}"


def is_valid_cpf(value: str) -> bool:
    digits = digits_only(value)
    if len(digits) != 11 or digits == digits[0] * 11:
        return False
    # Only digits, dots, a dash and spaces are allowed around them.
    if re.search(r"[^\d.\-\s]", (value or "").strip()):
        return False
    return digits[9:] == check_digits(digits[:9])


def normalize_cpf(value: str) -> str:
    """A valid CPF as 11 digits; raises :class:`InvalidCPF` with a pt-BR message otherwise."""
    digits = digits_only(value)
    if len(digits) != 11:
        raise InvalidCPF("O CPF deve ter 11 dígitos (ex.: 123.456.789-09).")
    if not is_valid_cpf(value):
        raise InvalidCPF("CPF inválido: confira os números digitados.")
    return digits


def format_cpf(value: str) -> str:
    """``12345678909`` → ``123.456.789-09``; anything not 11 digits is returned unchanged."""
    digits = digits_only(value)
    if len(digits) != 11:
        return value
    return f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"


def generate_cpf(rng: random.Random) -> str:
    """A random valid CPF (11 digits), for demo data and tests."""
    while True:
        first_nine = "".join(str(rng.randrange(10)) for _ in range(9))
        if first_nine != first_nine[0] * 9:
            return first_nine + check_digits(first_nine)
