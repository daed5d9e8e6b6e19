"""The bot settings use case: mode, greetings, notices, channel rules, the menu and keyword
triggers. Raises :class:`~scheduler_core.kernel.errors.ValidationFailed` (``details["fields"]``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlmodel import Session

from scheduler_core.chatbot.menu import MAX_ACTIVE_MENU, MENU_LABELS
from scheduler_core.chatbot.models import BotMode, BotSettings, PriceDisplay, SlotDisplay
from scheduler_core.chatbot.triggers import MATCH_KINDS, MAX_TRIGGERS
from scheduler_core.kernel.forms import (
    Collector,
    flag,
    parse_int,
    text_of,
)
from scheduler_core.shop.models import Shop

# The one list of menu actions and labels (the bot shows the same titles) is chatbot.menu.


# --------------------------------------------------------------------------- bot settings


#: The bot settings' on/off switches (the panel's check boxes).
FLAG_FIELDS = ("ask_species", "ask_breed", "ask_porte", "ask_pelagem", "ask_sex",
               "ask_birth_date", "ask_weight", "ask_cpf", "allow_pet_registration",
               "addons_enabled", "choose_employee", "same_service_other_pet", "cancel_enabled",
               "reschedule_enabled")


def save_bot_settings(session: Session, shop: Shop, values: Mapping,
                      menu_order: list[str], menu_enabled: Iterable[str],
                      triggers: Iterable[tuple[str, str, str]] = ()) -> BotSettings:
    """Save the bot settings form; ``triggers`` are the (text, match, action) rows of the
    keyword-trigger table (blank rows are dropped)."""
    errs = Collector()
    settings = session.get(BotSettings, shop.id) or BotSettings(shop_id=shop.id)
    mode = text_of(values, "mode")
    if mode not in {m.value for m in BotMode}:
        errs.add("mode", "Escolha o modo do robô.")
    texts = {}
    for key in ("greeting_new", "greeting_known", "auto_reply_text", "msg_in_hours",
                "msg_out_hours"):
        text = str(values.get(key) or "").strip()
        if not text:
            errs.add(key, "Este texto não pode ficar vazio.")
        elif len(text) > 1000:
            errs.add(key, "No máximo 1000 caracteres.")
        texts[key] = text
    numbers = {
        "min_notice_hours": ("Antecedência mínima (h)", 0, 720),
        "cancel_min_notice_hours": ("Antecedência para cancelar (h)", 0, 720),
        "reschedule_min_notice_hours": ("Antecedência para remarcar (h)", 0, 720),
        "horizon_days": ("Dias à frente", 1, 90),
        "page_days": ("Dias por página", 1, 7),
        "handoff_timeout_min": ("Devolver ao robô após (min)", 5, 1440),
    }
    parsed = {k: errs.run(k, parse_int, values.get(k), label=label, minimum=lo, maximum=hi)
              for k, (label, lo, hi) in numbers.items()}
    slot_display = text_of(values, "slot_display")
    if slot_display not in {s.value for s in SlotDisplay}:
        errs.add("slot_display", "Escolha como mostrar os horários.")
    price_display = text_of(values, "price_display")
    if price_display not in {p.value for p in PriceDisplay}:
        errs.add("price_display", "Escolha como mostrar os preços.")
    known = [item["key"] for item in settings.menu] or list(MENU_LABELS)
    order = [k for k in menu_order if k in known]
    order += [k for k in known if k not in order]
    enabled = set(menu_enabled) & set(order)
    if not enabled:
        errs.add("menu", "Deixe pelo menos uma opção do menu ligada.")
    if len(enabled) > MAX_ACTIVE_MENU:
        errs.add("menu", f"No máximo {MAX_ACTIVE_MENU} opções ligadas.")
    rows = _triggers(errs, triggers)
    errs.check()
    settings.triggers = rows
    settings.mode, settings.slot_display, settings.price_display = mode, slot_display, price_display
    for key, text in texts.items():
        setattr(settings, key, text)
    for key, number in parsed.items():
        setattr(settings, key, number)
    for key in FLAG_FIELDS:
        setattr(settings, key, flag(values, key))
    settings.menu = [{"key": k, "enabled": k in enabled} for k in order]
    session.add(settings)
    session.flush()
    return settings


def _triggers(errs: Collector, rows: Iterable[tuple[str, str, str]]) -> list[dict]:
    out = []
    for text, match, action in rows:
        text = (text or "").strip()
        if not text:
            continue
        if len(text) > 60:
            errs.add("triggers", f"Gatilho “{text[:20]}…”: no máximo 60 caracteres.")
        elif match not in MATCH_KINDS:
            errs.add("triggers", f"Gatilho “{text}”: escolha o tipo de comparação.")
        elif action not in MENU_LABELS:
            errs.add("triggers", f"Gatilho “{text}”: escolha a ação do menu.")
        else:
            out.append({"text": text, "match": match, "action": action})
    if len(out) > MAX_TRIGGERS:
        errs.add("triggers", f"No máximo {MAX_TRIGGERS} gatilhos.")
    return out
