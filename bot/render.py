"""Rasa REST replies → WhatsApp messages (pure functions, no I/O).

Rules (spec/chatbot.md §4.7, §8.4; WhatsApp limits in FIELD-NOTES):
- a reply with ≤ 3 buttons whose titles fit 20 characters → interactive *reply buttons*;
- otherwise an interactive *list* (≤ 10 rows, row title ≤ 24, description ≤ 72); a longer title
  is cut at a word boundary and the rest moves to the description;
- more than 10 choices → pages of 9 rows plus a "Mais opções" row; the remaining pages are kept
  in the conversation and sent when the tutor taps it;
- numbered text ("1. Banho\\n2. Tosa") is the fallback when an interactive message is refused;
  typing the number then works like tapping the option;
- ``custom: {"list": {"button", "rows": [{"title", "description", "payload"}]}}`` is a list too;
- ``custom: {"handoff": {"reason": ...}}`` marks the hand-off (the texts are still sent).

Reply ids sent to WhatsApp map back to bot payloads: the payload itself when it fits the id
limit, else a short ``p:<hash>`` id stored by the caller (``id_for``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.texts import t

MAX_BUTTONS = 3
BUTTON_TITLE = 20
LIST_ROWS = 10
ROW_TITLE = 24
ROW_DESCRIPTION = 72
LIST_BUTTON = 20
BODY_INTERACTIVE = 1024
BODY_TEXT = 4096
REPLY_ID_MAX = 200  # list rows allow 200, buttons 256: one limit for both
MORE_ID = "__mais_opcoes__"
MORE_TITLE = t("more_options_title")
PAGE_ROWS = 9
DEFAULT_LIST_BUTTON = t("list_button")
DEFAULT_BODY = t("menu_body")


@dataclass
class Choice:
    id: str  # reply id sent to WhatsApp
    title: str
    description: str = ""
    payload: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "description": self.description,
                "payload": self.payload}


@dataclass
class TextOut:
    body: str
    kind: str = "text"


@dataclass
class ButtonsOut:
    body: str
    buttons: list[Choice]
    kind: str = "buttons"


@dataclass
class ListOut:
    body: str
    button: str
    rows: list[Choice]
    kind: str = "list"


Out = TextOut | ButtonsOut | ListOut


@dataclass
class Rendered:
    messages: list[Out] = field(default_factory=list)
    handoff_reason: str | None = None
    # Pages still to show after "Mais opções" (each a list of Choice dicts).
    pending_pages: list[list[dict[str, str]]] = field(default_factory=list)
    # Payloads of the last menu, in the order shown (typing "2" picks the second).
    options: list[str] = field(default_factory=list)


def short_id(payload: str) -> str:
    return "p:" + hashlib.sha1(payload.encode()).hexdigest()[:20]


def default_id_for(payload: str) -> str:
    return payload if 0 < len(payload) <= REPLY_ID_MAX else short_id(payload)


def cut(text: str, limit: int) -> str:
    """Shorten to ``limit`` characters at a word boundary, ending with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head and head.rfind(" ") > limit // 2:
        head = head[: head.rfind(" ")]
    return head.rstrip(" ,.;:-") + "…"


def split_title(title: str, description: str, limit: int = ROW_TITLE) -> tuple[str, str]:
    """A title too long for a list row: keep whole words, move the rest to the description."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title, cut(description, ROW_DESCRIPTION)
    head = title[: limit - 1]
    if " " in head and head.rfind(" ") >= limit // 2:
        head = head[: head.rfind(" ")]
    head = head.rstrip(" ,.;:-")
    rest = title[len(head) :].strip(" ,.;:-")
    new_title = head + "…"
    new_desc = "…" + rest + (f" · {description}" if description else "")
    return new_title, cut(new_desc, ROW_DESCRIPTION)


def _choices(raw: list[Any], id_for: Callable[[str], str]) -> list[Choice]:
    out: list[Choice] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            continue
        title = str(item.get("title") or "").strip()
        payload = str(item.get("payload") or title).strip()
        if not title:
            continue
        rid = id_for(payload)
        if rid in seen or rid == MORE_ID:  # two options with the same payload: keep ids unique
            rid = id_for(f"{payload}\x00{len(out)}")
        seen.add(rid)
        out.append(Choice(rid, title, str(item.get("description") or "").strip(), payload))
    return out


def _list_pages(body: str, button: str, choices: list[Choice]) -> tuple[ListOut, list[list[dict]]]:
    rows = []
    for c in choices:
        title, desc = split_title(c.title, c.description)
        rows.append(Choice(c.id, title, desc, c.payload))
    if len(rows) <= LIST_ROWS:
        return ListOut(body, button, rows), []
    pages = [rows[i : i + PAGE_ROWS] for i in range(0, len(rows), PAGE_ROWS)]
    # The last page may hold 10 rows when exactly 10 remain.
    if len(pages) >= 2 and len(pages[-1]) == 1 and len(pages[-2]) == PAGE_ROWS:
        pages[-2].append(pages.pop()[0])
    first = pages[0] + [Choice(MORE_ID, MORE_TITLE, t("more_options_description"), MORE_ID)]
    return ListOut(body, button, first), [[c.to_dict() for c in p] for p in pages[1:]]


def next_page(pages: list[list[dict[str, str]]]) -> tuple[ListOut | None, list[list[dict]]]:
    """The list for the next stored page (with "Mais opções" while more remain)."""
    if not pages:
        return None, []
    page = [Choice(**c) for c in pages[0]]
    rest = pages[1:]
    if rest:
        page.append(Choice(MORE_ID, MORE_TITLE, t("more_options_description"), MORE_ID))
    return ListOut(t("more_options_body"), DEFAULT_LIST_BUTTON, page), rest


def numbered(body: str, choices: list[Choice]) -> TextOut:
    """Numbered-text fallback for a menu."""
    lines = [body.strip() or DEFAULT_BODY, ""]
    for i, c in enumerate(choices, 1):
        lines.append(f"{i}. {c.title}" + (f" — {c.description}" if c.description else ""))
    lines += ["", t("numbered_footer")]
    return TextOut(cut_text("\n".join(lines)))


def cut_text(text: str, limit: int = BODY_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _menu(body: str, raw: list[Any], button: str | None, id_for, result: Rendered) -> None:
    choices = _choices(raw, id_for)
    if not choices:
        if body:
            result.messages.append(TextOut(cut_text(body)))
        return
    body = body.strip() or DEFAULT_BODY
    if len(body) > BODY_INTERACTIVE:  # long text first, the menu after it
        result.messages.append(TextOut(cut_text(body)))
        body = DEFAULT_BODY
    titles = [c.title for c in choices]
    if (
        button is None
        and len(choices) <= MAX_BUTTONS
        and all(len(t) <= BUTTON_TITLE for t in titles)
        and len(set(titles)) == len(titles)
    ):
        result.messages.append(ButtonsOut(body, choices))
        result.options = [c.payload for c in choices]
        result.pending_pages = []
        return
    listed, pages = _list_pages(body, cut(button or DEFAULT_LIST_BUTTON, LIST_BUTTON), choices)
    result.messages.append(listed)
    result.options = [c.payload for c in listed.rows if c.id != MORE_ID]
    result.pending_pages = pages


def render(items: Any, id_for: Callable[[str], str] = default_id_for) -> Rendered:
    """Turn a Rasa REST reply (a JSON list of items) into WhatsApp messages."""
    result = Rendered()
    if not isinstance(items, list):
        return result
    for item in items:
        if not isinstance(item, dict):
            continue
        text = str(item.get("text") or "")
        custom = item.get("custom")
        if isinstance(custom, dict):
            handoff = custom.get("handoff")
            if isinstance(handoff, dict):
                result.handoff_reason = str(handoff.get("reason") or t("handoff_default_reason"))
            elif handoff is not None:
                result.handoff_reason = t("handoff_default_reason")
            lst = custom.get("list")
            if isinstance(lst, dict):
                _menu(
                    str(lst.get("body") or text or custom.get("text") or ""),
                    lst.get("rows") if isinstance(lst.get("rows"), list) else [],
                    str(lst.get("button") or DEFAULT_LIST_BUTTON),
                    id_for,
                    result,
                )
                continue
            if isinstance(custom.get("text"), str) and not text:
                text = custom["text"]
        buttons = item.get("buttons")
        if isinstance(buttons, list) and buttons:
            _menu(text, buttons, None, id_for, result)
        elif text.strip():
            result.messages.append(TextOut(cut_text(text)))
    return result
