"""Money is integer centavos everywhere; this is where it becomes text for people."""

from __future__ import annotations


def format_brl(cents: int) -> str:
    """12345 → "R$ 123,45"; 123456789 → "R$ 1.234.567,89"; -500 → "-R$ 5,00"."""
    sign = "-" if cents < 0 else ""
    reais, centavos = divmod(abs(int(cents)), 100)
    return f"{sign}R$ {reais:,}".replace(",", ".") + f",{centavos:02d}"
