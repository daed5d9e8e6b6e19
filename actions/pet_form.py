"""pet_form: the new pet's registration (Fluxo Normal A4-A9) as a Rasa form.

The form is declared in ``domain.yml`` (its slots and their mappings, the static questions
``utter_ask_pet_porte``/``pelagem``/``sex``/``birth_date``/``weight``) and driven by
``data/rules.yml``; the actions here only ask the core, through the state machine's own step
functions (:func:`actions.flow.pet_form_turn`), so the dialogue has one set of rules:

- ``validate_pet_form``: every answer of the form goes through :func:`flow.pet_form_turn`. When
  the state machine's rules say the turn is no answer (an emergency, a person, the menu, another
  menu action, an FAQ), the form is rejected (``ActionExecutionRejected``) and Rasa's rules
  conditioned on ``active_loop: pet_form`` give the turn to ``action_petbot``. Otherwise the
  step reads the answer (breed matched with the breeds table, porte/pelagem/species accepted by
  the shop, birth date and weight parsed by the core), and the form's slots are what the flow's
  ``new_pet`` holds. ``required_slots`` are the shop's questions (:func:`flow.pet_questions`:
  the "Sexo / Data de nascimento / Peso" toggles add theirs). Two misunderstandings in a row
  end the form and offer "Falar com atendente" and the menu, as everywhere
  (``flow.misunderstood``); a hand-off ends the form too.
- ``action_ask_pet_name`` / ``_species`` / ``_breed``: the questions whose wording or options
  depend on the shop or on earlier answers (the species the shop serves, the breeds found).
- ``action_save_pet``: the form is complete; the pet is saved (``flow.save_pet``, i.e.
  ``people.create_pet``) and the state machine asks the service.

Next slices (bot/README.md): the booking of "Pet já Cadastrado" as a form (service, add-ons,
Leva e Traz, professional, date/period, slot), then repeat-last-service, then
reschedule/cancel, each moving its steps out of :mod:`actions.flow` the same way.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import flow
from actions.actions import _engine_and_secret, _public_url, clear_form_slots, turn_from_tracker
from actions.actions import utter as send
from scheduler_core.kernel.errors import Busy

log = logging.getLogger(__name__)

# The flow's reply to this request's answer, for the validate_<slot> methods (one per request).
_ANSWER: contextvars.ContextVar[flow.Reply | None] = contextvars.ContextVar("pet_answer",
                                                                           default=None)


def _flow_state(tracker: Tracker) -> dict[str, Any]:
    answer = _ANSWER.get()
    return answer.flow if answer is not None else (tracker.get_slot("flow") or {})


class ValidatePetForm(FormValidationAction):
    def name(self) -> str:
        return "validate_pet_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        requested = tracker.get_slot("requested_slot")
        if not requested or requested not in tracker.slots_to_validate():
            # Activation, or the form asking again after an interruption: nothing to read.
            return await super().run(dispatcher, tracker, domain)
        engine, secret = _engine_and_secret()
        try:
            answer = await asyncio.to_thread(
                flow.pet_form_turn, engine, turn_from_tracker(tracker),
                tracker.get_slot("flow") or {}, secret, _public_url())
        except Busy:
            dispatcher.utter_message(text=flow.render("utter_busy"))
            return [SlotSet(requested, None)]
        except Exception:  # never a stack trace to the tutor
            log.exception("validate_pet_form failed (sender %s)", tracker.sender_id)
            dispatcher.utter_message(text=flow.render("utter_error"))
            return [SlotSet("flow", {}), *clear_form_slots()]
        if answer.interrupted:
            return [SlotSet(requested, None), ActionExecutionRejected(self.form_name())]
        send(dispatcher, answer.messages)
        token = _ANSWER.set(answer)
        try:
            events = await super().run(dispatcher, tracker, domain)
        finally:
            _ANSWER.reset(token)
        events.append(SlotSet("flow", answer.flow))
        if answer.flow.get("step") not in (*flow.PET_SLOTS, "pet_done"):
            # Handed off (a refused breed or porte) or a person offered (two misunderstandings):
            # the form ends.
            events += clear_form_slots()
        return events

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        state = _flow_state(tracker)
        if state.get("step") not in (*flow.PET_SLOTS, "pet_done"):
            return []
        return [s for s in state.get("pet_questions") or domain_slots if s in domain_slots]

    def _answered(self, tracker: Tracker) -> dict[str, Any]:
        """The slots as the flow's step left them: this question's answer when the core
        accepted it, None (asked again) when not."""
        return flow.pet_form_slots(_flow_state(tracker))

    # Each slot's check is the state machine's step for that question (flow.STEPS), already
    # run on this answer by run(): pet name (people.names), species served by the shop, breed
    # (people.breeds, people.acceptance), porte (people.acceptance), pelagem, sex, birth date
    # (kernel.dates_ptbr), weight (people.registry.parse_weight_grams).
    def validate_pet_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> dict[str, Any]:
        return self._answered(tracker)

    validate_pet_species = validate_pet_name
    validate_pet_breed = validate_pet_name
    validate_pet_porte = validate_pet_name
    validate_pet_pelagem = validate_pet_name
    validate_pet_sex = validate_pet_name
    validate_pet_birth_date = validate_pet_name
    validate_pet_weight = validate_pet_name


class _AskPetQuestion(Action, ABC):
    """Ask the question the flow recorded for this slot (its options as buttons). Abstract:
    the action server registers only the subclasses, one per slot."""

    @property
    @abstractmethod
    def slot(self) -> str: ...

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        state = dict(tracker.get_slot("flow") or {})
        message = flow.form_prompt(state)
        if message is None:
            return []
        send(dispatcher, [message])
        state.pop("ask_again", None)
        return [SlotSet("flow", state)]


class ActionAskPetName(_AskPetQuestion):
    slot = "pet_name"


class ActionAskPetSpecies(_AskPetQuestion):
    slot = "pet_species"  # the species this shop serves


class ActionAskPetBreed(_AskPetQuestion):
    slot = "pet_breed"  # the breeds found for what the tutor typed, or the open question


class ActionSavePet(Action):
    def name(self) -> str:
        return "action_save_pet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        engine, secret = _engine_and_secret()
        state = tracker.get_slot("flow") or {}
        try:
            reply = await asyncio.to_thread(flow.finish_pet_form, engine,
                                            turn_from_tracker(tracker), state, secret,
                                            _public_url())
        except Busy:
            dispatcher.utter_message(text=flow.render("utter_busy"))
            return []
        except Exception:
            log.exception("action_save_pet failed (sender %s)", tracker.sender_id)
            dispatcher.utter_message(text=flow.render("utter_error"))
            return [SlotSet("flow", {}), *clear_form_slots()]
        send(dispatcher, reply.messages)
        reply.flow.pop("start_form", None)
        return [SlotSet("flow", reply.flow), *clear_form_slots()]
