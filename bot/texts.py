"""pt-BR texts of the WhatsApp channel, kept in ``strings.json`` (one file, no text in code)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path


@cache
def _strings() -> dict[str, str]:
    return json.loads((Path(__file__).parent / "strings.json").read_text(encoding="utf-8"))


def t(key: str, **values: object) -> str:
    """The text ``key``, with ``{name}`` placeholders filled from ``values``."""
    text = _strings()[key]
    return text.format(**values) if values else text
