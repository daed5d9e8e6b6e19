"""The Rasa forms of the documented flows and their actions.

- ``tutor_form``: the new tutor (Fluxo Normal A2-A3: the name, the CPF when the shop's bot
  settings ask it); complete, ``action_save_tutor`` registers and pet_form asks the pet.
- ``pet_form``: the new pet's registration (Fluxo Normal A4-A9: name, species, breed, porte,
  pelagem; sex, birth date and weight when the shop's toggles are on).
- ``booking_form``: the booking of "Pet já Cadastrado" (Passo 01-06: pet, service, add-ons,
  Leva e Traz, professional, period, slot, confirmation).
- ``repeat_form``: "Pet com Agendamentos Passados" (Passo 01-03: the pet, among those with a
  past visit, and the offer of its last service); accepted, booking_form asks the rest.
- ``appointment_form``: "Meus agendamentos" (the appointment, then Remarcar / Cancelar /
  Voltar); the answer hands over to one of the two below.
- ``cancel_form``: the appointment (unless the message named one: "cancela o banho da nina de
  amanhã") and "Sim, cancelar"; ``reschedule_form``: the appointment, then the new time found
  as a booking finds it (period, slot, summary) for the same services and professional.

Each form is declared in ``domain.yml`` (its slots and their mappings, the static questions
``utter_ask_pet_porte``/``pelagem``/``sex``/``birth_date``/``weight``) and driven by
``data/rules.yml``; the actions here only ask the core, through the state machine's own step
functions (:func:`actions.flow.form_turn`), so the dialogue has one set of rules:

- ``validate_<form>``: every answer of the form goes through :func:`flow.form_turn`. When the
  state machine's rules say the turn is no answer (an emergency, a person, the menu, another
  menu action, an FAQ), the form is rejected (``ActionExecutionRejected``) and Rasa's rules
  conditioned on the active form give the turn to ``action_petbot``. Otherwise the step reads
  the answer (the breed matched with the breeds table, porte/pelagem/species accepted by the
  shop, a pet of this tutor, a service priced for this pet on the bot, a typed date, period or
  time, a free slot), and the form's slots are what the flow state holds
  (:func:`flow.form_slots`). ``required_slots``: pet_form asks the shop's questions
  (:func:`flow.pet_questions`); booking_form all its questions, those the flow skipped (a
  single professional, no add-ons, what the first message said) already filled. Two
  misunderstandings in a row end the form and offer "Falar com atendente" and the menu, as
  everywhere (``flow.misunderstood``); a hand-off, "Cancelar" at the summary, or a question of
  the other form (the "Outro pet" button) end the form too.
- ``action_ask_<slot>``: the questions whose options are dynamic (the species the shop serves,
  the breeds found, the tutor's pets, the services priced for this pet, add-ons, the
  professionals, the free slots as list rows): the question the flow recorded.
- ``action_save_tutor`` / ``action_save_pet`` / ``action_book_appointment`` /
  ``action_repeat_last_service`` / ``action_change_appointment`` /
  ``action_cancel_appointment`` / ``action_reschedule_appointment``: the form ended
  (:func:`flow.finish_form`): the tutor is registered (``people.create_tutor``), the pet saved
  (``people.create_pet``), the appointment booked or moved (``scheduling.booking``) or
  cancelled (``scheduling.visit_status``), and the state machine goes on; when it reached
  another form's question, that form starts (``FollowupAction``: after the tutor, pet_form;
  after the repeat offer, booking_form; after "Meus agendamentos", cancel_form or
  reschedule_form).

Next (bot/README.md): the steps' code moves out of :mod:`actions.flow` into per-form modules.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import flow
from actions.actions import _engine_and_secret, _public_url, clear_form_slots, turn_from_tracker
from actions.actions import utter as send
from scheduler_core.kernel.errors import Busy

log = logging.getLogger(__name__)

# The flow's reply to this request's answer, for required_slots and the slots (one per request).
_ANSWER: contextvars.ContextVar[flow.Reply | None] = contextvars.ContextVar("form_answer",
                                                                           default=None)


def _flow_state(tracker: Tracker) -> dict[str, Any]:
    answer = _ANSWER.get()
    return answer.flow if answer is not None else (tracker.get_slot("flow") or {})


class _ValidateFlowForm(FormValidationAction, ABC):
    """validate_<form>: the answer read by the state machine's step. Abstract: the action
    server registers only the subclasses, one per form."""

    @property
    @abstractmethod
    def form(self) -> str: ...

    def name(self) -> str:
        return f"validate_{self.form}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        requested = tracker.get_slot("requested_slot")
        if not requested or requested not in tracker.slots_to_validate():
            # Activation, or the form asking again after an interruption: nothing to read;
            # the slots as the flow holds them (what the first message said, a single pet),
            # and the question the flow is at.
            values = flow.form_slots(_flow_state(tracker), self.form)
            wanted = await self.required_slots(self.domain_slots(domain), dispatcher, tracker,
                                               domain)
            events = [SlotSet(slot, value) for slot, value in values.items()
                      if value != tracker.get_slot(slot)]
            ask = next((slot for slot in wanted if values.get(slot) is None), None)
            return [*events, SlotSet("requested_slot", ask)]
        engine, secret = _engine_and_secret()
        try:
            answer = await asyncio.to_thread(
                flow.form_turn, engine, turn_from_tracker(tracker),
                tracker.get_slot("flow") or {}, secret, _public_url(), self.form)
        except Busy:
            dispatcher.utter_message(text=flow.render("utter_busy"))
            return [SlotSet(requested, None)]
        except Exception:  # never a stack trace to the tutor
            log.exception("%s failed (sender %s)", self.name(), tracker.sender_id)
            dispatcher.utter_message(text=flow.render("utter_error"))
            return [SlotSet("flow", {}), *clear_form_slots(tracker)]
        if answer.interrupted:
            return [SlotSet(requested, None), ActionExecutionRejected(self.form_name())]
        send(dispatcher, answer.messages)
        if flow.form_of(answer.flow) != self.form:
            # Handed off, a person offered (two misunderstandings), the menu, "Cancelar", or
            # a question of another form: this form ends (requested_slot unset; its
            # finishing action starts the other one).
            return [SlotSet("flow", answer.flow), *clear_form_slots(tracker)]
        token = _ANSWER.set(answer)
        try:
            events = await super().run(dispatcher, tracker, domain)
        finally:
            _ANSWER.reset(token)
        events.append(SlotSet("flow", answer.flow))
        return events

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        state = _flow_state(tracker)
        if flow.form_of(state) != self.form:
            return []
        wanted = state.get("pet_questions") if self.form == flow.PET_FORM else None
        return [s for s in wanted or domain_slots if s in domain_slots]

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> list[dict[str, Any]]:
        """Each slot's check is the state machine's step for that question (flow.STEPS),
        already run on this answer by run(): the slots as the step left them — this question's
        answer when the core accepted it, None (asked again) when not."""
        to_validate = tracker.slots_to_validate()
        if not to_validate:
            return []
        # Only the slots whose value changes (the one just answered always: its extracted
        # text is replaced by what the step read): every event stays on the tracker.
        return [SlotSet(slot, value)
                for slot, value in flow.form_slots(_flow_state(tracker), self.form).items()
                if slot in to_validate or value != tracker.get_slot(slot)]


class ValidateTutorForm(_ValidateFlowForm):
    form = flow.TUTOR_FORM


class ValidatePetForm(_ValidateFlowForm):
    form = flow.PET_FORM


class ValidateBookingForm(_ValidateFlowForm):
    form = flow.BOOKING_FORM


class ValidateRepeatForm(_ValidateFlowForm):
    form = flow.REPEAT_FORM


class ValidateAppointmentForm(_ValidateFlowForm):
    form = flow.APPOINTMENT_FORM


class ValidateCancelForm(_ValidateFlowForm):
    form = flow.CANCEL_FORM


class ValidateRescheduleForm(_ValidateFlowForm):
    form = flow.RESCHEDULE_FORM


class _AskQuestion(Action, ABC):
    """Ask the question the flow recorded for this slot (its options as buttons or list rows).
    Abstract: the action server registers only the subclasses, one per slot."""

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
        if state.pop("ask_again", None) is None:
            return []  # the state is unchanged: no event (each one stays on the tracker)
        return [SlotSet("flow", state)]


class ActionAskTutorName(_AskQuestion):
    slot = "tutor_name"  # with the WhatsApp profile name as a button when it reads as a name


class ActionAskTutorCpf(_AskQuestion):
    slot = "tutor_cpf"  # "Prefiro não informar" as a button


class ActionAskPetName(_AskQuestion):
    slot = "pet_name"


class ActionAskPetSpecies(_AskQuestion):
    slot = "pet_species"  # the species this shop serves


class ActionAskPetBreed(_AskQuestion):
    slot = "pet_breed"  # the breeds found for what the tutor typed, or the open question


class ActionAskBookingPet(_AskQuestion):
    slot = "booking_pet"  # the tutor's pets (and "Outro pet")


class ActionAskBookingService(_AskQuestion):
    slot = "booking_service"  # combos and services priced for this pet on the bot


class ActionAskBookingAddons(_AskQuestion):
    slot = "booking_addons"  # the add-ons not chosen yet


class ActionAskBookingLeva(_AskQuestion):
    slot = "booking_leva"  # the fee for the tutor's zone is in the question


class ActionAskBookingProfessional(_AskQuestion):
    slot = "booking_professional"  # the professionals who do this service for this species


class ActionAskBookingPeriod(_AskQuestion):
    slot = "booking_period"  # the days found, morning or afternoon


class ActionAskBookingSlot(_AskQuestion):
    slot = "booking_slot"  # the free slots as list rows, or "digite uma data"


class ActionAskBookingConfirmed(_AskQuestion):
    slot = "booking_confirmed"  # the summary: Confirmar / Outro horário / Cancelar


class ActionAskRepeatPet(_AskQuestion):
    slot = "repeat_pet"  # the tutor's pets with a past visit


class ActionAskRepeatLast(_AskQuestion):
    slot = "repeat_last"  # "Repetir <last service>?": Sim, agendar / Ver outros serviços


class ActionAskAppointment(_AskQuestion):
    slot = "appointment"  # the tutor's upcoming appointments as list rows


class ActionAskAppointmentAction(_AskQuestion):
    slot = "appointment_action"  # Remarcar / Cancelar (as the shop allows) / Voltar


class ActionAskCancelAppointment(_AskQuestion):
    slot = "cancel_appointment"  # the upcoming appointments the message may have meant


class ActionAskCancelConfirmed(_AskQuestion):
    slot = "cancel_confirmed"  # "Cancelar o banho da Mel de amanhã às 10:00?"


class ActionAskRescheduleAppointment(_AskQuestion):
    slot = "reschedule_appointment"  # the upcoming appointments the message may have meant


class ActionAskReschedulePeriod(_AskQuestion):
    slot = "reschedule_period"  # the days found, morning or afternoon


class ActionAskRescheduleSlot(_AskQuestion):
    slot = "reschedule_slot"  # the free times for the same services and professional


class ActionAskRescheduleConfirmed(_AskQuestion):
    slot = "reschedule_confirmed"  # the new time's summary: Confirmar / Outro horário / Cancelar


class _FinishForm(Action, ABC):
    """The form ended: what its answers ask for is done (flow.finish_form), then the state
    machine goes on; another form's first question starts that form. Abstract: the action
    server registers only the subclasses, one per form."""

    @property
    @abstractmethod
    def action(self) -> str: ...

    def name(self) -> str:
        return self.action

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        engine, secret = _engine_and_secret()
        state = tracker.get_slot("flow") or {}
        try:
            reply = await asyncio.to_thread(flow.finish_form, engine,
                                            turn_from_tracker(tracker), state, secret,
                                            _public_url())
        except Busy:
            # Nothing was saved. A booking, a move or a cancellation goes back to its last
            # question, so that the tutor's "sim" again acts (the state machine reads it:
            # the form has ended).
            dispatcher.utter_message(text=flow.render("utter_busy"))
            back = flow.DONE_STEPS_BACK.get(state.get("step"))
            return [SlotSet("flow", {**state, "step": back})] if back else []
        except Exception:
            log.exception("%s failed (sender %s)", self.name(), tracker.sender_id)
            dispatcher.utter_message(text=flow.render("utter_error"))
            return [SlotSet("flow", {}), *clear_form_slots(tracker)]
        send(dispatcher, reply.messages)
        start_form = reply.flow.pop("start_form", None)
        events: list[Any] = [SlotSet("flow", reply.flow), *clear_form_slots(tracker)]
        if start_form:
            events.append(FollowupAction(start_form))
        return events


class ActionSaveTutor(_FinishForm):
    """tutor_form ended: the tutor registered (people.create_tutor), then pet_form asks the
    first pet (FollowupAction)."""

    action = "action_save_tutor"


class ActionSavePet(_FinishForm):
    action = "action_save_pet"


class ActionBookAppointment(_FinishForm):
    action = "action_book_appointment"


class ActionRepeatLastService(_FinishForm):
    """repeat_form ended: accepted, the last service is in the flow and booking_form asks the
    rest (from Leva e Traz on); "Ver outros serviços" starts it at the service question."""

    action = "action_repeat_last_service"


class ActionChangeAppointment(_FinishForm):
    """appointment_form ended: "Cancelar" starts cancel_form at its confirmation, "Remarcar"
    reschedule_form at the new time (the appointment already picked); "Voltar", the menu."""

    action = "action_change_appointment"


class ActionCancelAppointment(_FinishForm):
    action = "action_cancel_appointment"


class ActionRescheduleAppointment(_FinishForm):
    action = "action_reschedule_appointment"
