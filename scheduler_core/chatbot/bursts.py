"""A burst of messages gets one answer: "oi" / "td bem?" / "quero banho pro thor sexta 15h".

Tutors on WhatsApp open with a greeting in its own message and write what they want right
after. Answering each line sent the intro three times (issue 10). The rule: a message that is
only a greeting or small talk (:func:`opens_a_burst`) waits a moment (``burst_wait_s``, two
seconds in production); when the tutor writes again meanwhile, the greeting is kept for the
inbox but not answered, and the next message is answered alone. A greeting with nothing after
it is answered as always, once. Anything else is answered at once (no added delay).

Decision (the spec is silent): the greeting is not merged into the next message's text: the
request alone reads better to the NLU, and the bot's answer to a request needs no "olá".
"""

from __future__ import annotations

import re

from scheduler_core.kernel.text import normalize

# Whole messages made only of these words open a burst (accents folded, repeated letters
# squashed: "oiii" is "oi").
OPENING_WORDS = frozenset((
    "oi", "oie", "ola", "ole", "opa", "eai", "e", "ai", "hey", "helo", "alo", "bom", "boa", "dia",
    "tarde", "noite", "tudo", "td", "tranquilo", "blz", "beleza", "bem", "como", "vai", "vc",
    "voce", "esta", "ta", "tah", "hi", "gente", "moca", "moco", "amigo", "amiga", "pesoal",
))
MAX_WORDS = 6


def opens_a_burst(text: str | None) -> bool:
    """Whether ``text`` is only a greeting or small talk ("oi", "Bom dia!", "td bem?")."""
    words = [re.sub(r"(.)\1+", r"\1", w) for w in normalize(text).split()]
    return 0 < len(words) <= MAX_WORDS and all(w in OPENING_WORDS for w in words)
