"""Rasa custom actions (rasa_sdk action server, Python 3.11).

``action_petbot`` handles every user turn outside a form: it reads the turn from the tracker,
runs the state machine in :mod:`actions.flow` and returns the messages plus the new ``flow``
slot. A retried call (same tracker) repeats the same decision, and bookings carry an idempotency
key derived from the sender and the slot token, so nothing is booked or cancelled twice.

Forms (coexistence, bot/README.md "Dialogue"): where the state machine would ask a form's
question (a new tutor's or a new pet's name; a booking's pet, service, add-ons, Leva e Traz,
professional, period, slot or summary; the repeat offer; the tutor's appointments, the
cancellation's confirmation, a new time), ``action_petbot`` starts that form instead
(``FollowupAction``; the forms' actions are in :mod:`actions.forms`). While a form is active,
``action_petbot`` only runs when the form's validation rejected a turn as an interruption
(data/rules.yml): it answers an FAQ and leaves the form to ask again; for a hand-off, the menu
or another menu action the rules end the form first (``action_deactivate_loop``) and this
action clears its slots. Should the flow move elsewhere while the form is still active, it ends
the form itself (``ActiveLoop(None)``).
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import datetime
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.flow import FORM_SLOTS, Turn, form_of, handle, render
from scheduler_core.kernel.clock import to_utc, utc_now
from scheduler_core.kernel.errors import Busy

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _engine_and_secret():
    from scheduler_core.db.engine import make_engine
    from scheduler_core.kernel import settings

    cfg = settings.load()
    return make_engine(cfg.database_url), cfg.secret_key


@lru_cache(maxsize=1)
def _public_url() -> str:
    """The app's own address, for the invoice links the bot sends (PETBOT_PUBLIC_URL, as the
    gateway's bot/config.py reads it)."""
    from scheduler_core.kernel import settings

    cfg = settings.load()
    return os.environ.get("PETBOT_PUBLIC_URL") or f"http://{cfg.app_host}:{cfg.app_port}"


def _now() -> datetime:
    """The clock; PETBOT_FAKE_NOW (ISO, tests only) pins it."""
    fake = os.environ.get("PETBOT_FAKE_NOW")
    return to_utc(datetime.fromisoformat(fake)) if fake else utc_now()


def turn_from_tracker(tracker: Tracker) -> Turn:
    latest: dict[str, Any] = tracker.latest_message or {}
    intent = (latest.get("intent") or {}).get("name")
    confidence = float((latest.get("intent") or {}).get("confidence") or 0.0)
    entities: dict[str, str] = {}
    option = None
    for ent in latest.get("entities") or []:
        name, value = ent.get("entity"), ent.get("value")
        if name == "opcao":
            option = str(value)
        elif name and value is not None and name not in entities:
            entities[name] = str(value)
    text = latest.get("text") or ""
    metadata = latest.get("metadata") or {}
    if not metadata:
        metadata = tracker.get_slot("session_started_metadata") or {}
    try:
        shop_id = int(metadata.get("shop_id") or os.environ.get("PETBOT_SHOP_ID", "1"))
    except (TypeError, ValueError):
        shop_id = 1
    return Turn(
        intent=intent,
        confidence=confidence,
        text=text if not text.startswith("/") else "",
        entities=entities,
        option=option,
        sender=tracker.sender_id,
        phone=metadata.get("phone"),
        wa_user_id=metadata.get("wa_user_id"),
        profile_name=metadata.get("profile_name"),
        shop_id=shop_id,
        now=_now(),
    )


class ActionPetbot(Action):
    def name(self) -> str:
        return "action_petbot"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        engine, secret = _engine_and_secret()
        turn = turn_from_tracker(tracker)
        flow = tracker.get_slot("flow") or {}
        active = (tracker.active_loop or {}).get("name")
        form_active = active in FORM_SLOTS
        try:
            # Database work off the event loop, so other conversations keep flowing.
            reply = await asyncio.to_thread(handle, engine, turn, flow, secret, _public_url(),
                                            handover=True, form_active=form_active)
        except Busy:
            # The database stayed busy through the turn's retries: nothing was saved; the
            # tutor sends the same answer again, at the same step (the flow slot is kept).
            log.warning("action_petbot: database busy (sender %s)", tracker.sender_id)
            dispatcher.utter_message(text=render("utter_busy"))
            return []
        except Exception:  # never a stack trace to the tutor
            log.exception("action_petbot failed (sender %s)", tracker.sender_id)
            dispatcher.utter_message(text=render("utter_error"))
            return [SlotSet("flow", {}), *end_form_events(tracker, form_active)]
        utter(dispatcher, reply.messages)
        start_form = reply.flow.pop("start_form", None)
        events: list[Any] = [SlotSet("flow", reply.flow)]
        if form_active and (start_form or form_of(reply.flow) != active):
            events += end_form_events(tracker, True)  # the flow moved on: hand-off, menu, ...
        elif not form_active and any(tracker.get_slot(s) for s in FORM_SLOTNAMES):
            events += clear_form_slots(tracker)  # a form the rules ended (deactivate_loop)
        if start_form:
            events.append(FollowupAction(start_form))
        return events


def utter(dispatcher: CollectingDispatcher, messages: list[dict[str, Any]]) -> None:
    """Send the flow's messages: texts (with buttons) and custom payloads (the hand-off)."""
    for message in messages:
        message = dict(message)
        if "custom" in message:
            dispatcher.utter_message(json_message=message["custom"])
        else:
            dispatcher.utter_message(text=message["text"], buttons=message.get("buttons"))


FORM_SLOTNAMES = [slot for slots in FORM_SLOTS.values() for slot in slots.values()]


def clear_form_slots(tracker: Tracker) -> list[SlotSet]:
    """Unset the form slots that hold a value, and ``requested_slot``. Only those: every event
    stays on the tracker, which the engine walks for each prediction and sends whole to the
    action server on each call (bench/bot_turns.py measures what that costs)."""
    held = [slot for slot in FORM_SLOTNAMES if tracker.get_slot(slot) is not None]
    return [SlotSet(slot, None) for slot in (*held, "requested_slot")]


def end_form_events(tracker: Tracker, form_active: bool) -> list[Any]:
    """Deactivate the active form (its slots cleared), when one is active."""
    return [ActiveLoop(None), *clear_form_slots(tracker)] if form_active else []
