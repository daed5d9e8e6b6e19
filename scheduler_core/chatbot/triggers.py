"""Keyword triggers of the WhatsApp bot (spec/chatbot.md §4 point 3): a shop-defined text that
sends the tutor's first message straight to a menu action.

A trigger is ``{"text": ..., "match": "exata" | "contem", "action": <menu key>}``, kept in list
order in ``BotSettings.triggers``. Matching ignores case, accents and punctuation; "exata" needs
the text as whole words of the message ("promo" hits "quero a promo" but not "promoção");
"contem" finds it anywhere, also when the tutor spaced the letters out ("b a n h o"). The first
hit wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from scheduler_core.kernel.text import normalize

MATCH_KINDS = {"exata": "Palavra exata", "contem": "Contém o texto"}
MAX_TRIGGERS = 20


def matches(trigger: Mapping, message: str) -> bool:
    key = normalize(str(trigger.get("text") or ""))
    text = normalize(message)
    if not key or not text:
        return False
    if trigger.get("match") == "exata":
        return re.search(rf"(?<!\w){re.escape(key)}(?!\w)", text) is not None
    return key.replace(" ", "") in text.replace(" ", "")


def first_match(triggers: Iterable[Mapping], message: str) -> str | None:
    """The action of the first trigger the message hits, or None."""
    for trigger in triggers or ():
        if matches(trigger, message):
            return str(trigger.get("action") or "") or None
    return None
