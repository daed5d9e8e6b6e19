"""The bot's dialogue as a deterministic state machine driven by the database.

Every user turn reaches one Rasa custom action (``action_petbot``, see ``actions/actions.py``) that
calls :func:`handle` with the turn (intent, entities, text, button option, WhatsApp metadata) and
the flow state kept in the tracker slot ``flow`` (a JSON dict). :func:`handle` returns the
messages to send and the new flow state. No business rule lives here: prices, slots, bookings,
cancellations and their notice rules come from ``scheduler_core``.

Messages are the pt-BR responses of ``domain.yml`` (the forms' questions and the state
machine's texts, some with variations) filled with variables; only shop-configured
texts (greetings, hand-off messages) and core error messages are sent as they are.

Coexistence with Rasa forms (bot/README.md, "Dialogue"): the new tutor and the new pet of
Fluxo Normal (A2-A9) are the Rasa forms ``tutor_form`` and ``pet_form``, the booking of "Pet já
Cadastrado" (Passo 01-06: pet, service, add-ons, Leva e Traz, professional, period, slot,
confirmation) is ``booking_form``, the repeat offer ``repeat_form``, and "Meus agendamentos",
cancelling and rescheduling are ``appointment_form``, ``cancel_form`` and ``reschedule_form``
(``domain.yml``, ``actions/forms.py``; :data:`FORM_SLOTS` maps each form's slots to the steps
below). The state machine still asks the menu, the FAQ answers, the day-care stay and the
hand-off itself. Called by ``action_petbot`` with
``handover=True``, :func:`handle` does not ask a form's question itself: it leaves
``start_form`` in the state and the action starts the form (:func:`ask`, :func:`form_of`).
While a form runs, each answer goes through :func:`form_turn`, which runs the same step
functions as this state machine with ``Ctx.form_step`` set to the form: they record the next
question (``ask``) instead of sending it, because the form asks it; the form's slots are what
the state holds (:func:`form_slots`). The last answer leaves the form's done step and the
form's finishing action acts (:func:`finish_form`: the tutor or the pet saved, the
appointment booked, cancelled or moved).
Called without ``handover`` (unit tests, or a conversation whose form was ended by a hand-off
mid-question), the same steps run here as before.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from rapidfuzz import fuzz
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentItem
from scheduler_core.catalog import leva_e_traz
from scheduler_core.catalog.models import Service
from scheduler_core.catalog.offers import leva_e_traz_fee
from scheduler_core.chatbot import answering, request, triggers, turn_log
from scheduler_core.chatbot import menu as bot_menu
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.db.engine import transaction
from scheduler_core.kernel.dates_ptbr import (
    WEEKDAY_NAMES,
    WEEKDAY_SHORT_NAMES,
    parse_bare_period_ptbr,
    parse_birth_date_ptbr,
    parse_date_ptbr,
    parse_day_range_ptbr,
    parse_time_ptbr,
)
from scheduler_core.kernel.errors import Busy
from scheduler_core.kernel.money import format_brl
from scheduler_core.kernel.text import normalize, plural
from scheduler_core.notifications import survey_reply
from scheduler_core.people import acceptance, names, pet_answers
from scheduler_core.people.labels import (
    PELAGEM_LABELS,
    PORTE_LABELS,
    SPECIES_LABELS,
    pet_words,
)
from scheduler_core.people.models import Breed, Pet, PetStatus, Species, Tutor
from scheduler_core.scheduling import notice, open_now
from scheduler_core.shop import info as shop_info
from scheduler_core.shop import team
from scheduler_core.shop.models import Employee, Segment, SegmentKind, Shop

# Menu actions, their labels and the segment each books: scheduler_core.chatbot.menu.
MENU_SEGMENT = bot_menu.BOOKING_KIND
MENU_INTENTS = {*MENU_SEGMENT, "meus_agendamentos", "repetir_ultimo"}
MIDFLOW_INTENTS = {*MENU_INTENTS, "cancelar", "remarcar"}
SPECIES = [(SPECIES_LABELS[s], str(s)) for s in (Species.CAO, Species.GATO)]
PORTES = [(label, str(value)) for value, label in PORTE_LABELS.items()]
PELAGENS = [(label, str(value)) for value, label in PELAGEM_LABELS.items()]
SEXES = [("Macho", "macho"), ("Fêmea", "femea")]
# The new tutor of "Fluxo Normal" (A2-A3): the name, and the CPF when the shop asks it.
TUTOR_FORM = "tutor_form"
TUTOR_SLOTS = {"tutor_name": "tutor_name", "tutor_cpf": "tutor_cpf"}
# The new pet's questions (flow steps, in the order asked) and the pet_form slot of each.
PET_FORM = "pet_form"
PET_SLOTS = {"pet_name": "pet_name", "species": "pet_species", "breed": "pet_breed",
             "porte": "pet_porte", "pelagem": "pet_pelagem", "sex": "pet_sex",
             "birth_date": "pet_birth_date", "weight": "pet_weight"}
# The booking of "Pet já Cadastrado" (Passo 01-06): each step of the state machine and the
# booking_form slot that holds its answer, in the order they are asked.
BOOKING_FORM = "booking_form"
BOOKING_SLOTS = {"pick_pet": "booking_pet", "service": "booking_service",
                 "addons": "booking_addons", "leva": "booking_leva",
                 "employee": "booking_professional", "period": "booking_period",
                 "slot": "booking_slot", "confirm": "booking_confirmed"}
# The modes whose steps booking_form asks (a reschedule, a day-care stay, the repeat offer and
# the price table keep their own steps).
BOOKING_MODES = {"book", "same_other_pet"}
# "Pet com Agendamentos Passados" (Passo 01-03): the pet (among those with a past visit) and
# the offer of its last service; accepted, booking_form asks the rest (from Leva e Traz on).
REPEAT_FORM = "repeat_form"
REPEAT_SLOTS = {"pick_pet": "repeat_pet", "repeat": "repeat_last"}
# "Meus agendamentos": the appointment picked from the tutor's upcoming ones and what to do with
# it (Remarcar / Cancelar / Voltar); the answer hands over to cancel_form or reschedule_form.
APPOINTMENT_FORM = "appointment_form"
APPOINTMENT_SLOTS = {"pick_appt": "appointment", "appt_action": "appointment_action"}
# Cancelling: the appointment (asked only when the message did not name it) and "Sim, cancelar".
CANCEL_FORM = "cancel_form"
CANCEL_SLOTS = {"pick_appt": "cancel_appointment", "confirm_cancel": "cancel_confirmed"}
# Rescheduling: the appointment, then the new time as a booking finds it (period, slot, summary).
RESCHEDULE_FORM = "reschedule_form"
RESCHEDULE_SLOTS = {"pick_appt": "reschedule_appointment", "period": "reschedule_period",
                    "slot": "reschedule_slot", "confirm": "reschedule_confirmed"}
FORM_SLOTS = {TUTOR_FORM: TUTOR_SLOTS, PET_FORM: PET_SLOTS, BOOKING_FORM: BOOKING_SLOTS,
              REPEAT_FORM: REPEAT_SLOTS,
              APPOINTMENT_FORM: APPOINTMENT_SLOTS, CANCEL_FORM: CANCEL_SLOTS,
              RESCHEDULE_FORM: RESCHEDULE_SLOTS}
# The flow's "mode" of each form that shares steps with another (pick_appt, period, slot...).
FORM_MODES = {REPEAT_FORM: {"repeat"}, BOOKING_FORM: BOOKING_MODES,
              APPOINTMENT_FORM: {"appointments"}, CANCEL_FORM: {"cancel"},
              RESCHEDULE_FORM: {"reschedule"}}
# The mode a typed "cancelar"/"remarcar" gives the list of appointments (cancel_form,
# reschedule_form): the appointment picked, that action follows without asking it.
WANTS_MODES = {"cancelar": "cancel", "remarcar": "reschedule"}
# The step a form's last answer leaves: the form is complete, its finishing action acts. After
# a busy database at that action, a booking, a cancellation or a move is back at its form's last
# question (DONE_STEPS_BACK), so the tutor's "sim" acts again.
DONE_STEPS = {TUTOR_FORM: "tutor_done", PET_FORM: "pet_done", BOOKING_FORM: "booking_done",
              CANCEL_FORM: "cancel_done", RESCHEDULE_FORM: "reschedule_done"}
# The forms asked only from their first question (a new tutor, a new pet): their first step.
FIRST_STEPS = {TUTOR_FORM: "tutor_name", PET_FORM: "pet_name"}
DONE_STEPS_BACK = {DONE_STEPS[form]: list(FORM_SLOTS[form])[-1]
                   for form in (BOOKING_FORM, CANCEL_FORM, RESCHEDULE_FORM)}
# Where each answer is kept in the flow's "new_pet" and its value when the question is skipped.
PET_KEYS = {"species": "species", "breed": "breed_id", "porte": "porte", "pelagem": "pelagem",
            "sex": "sex", "birth_date": "birth_date", "weight": "weight_grams"}
MAX_SLOT_ROWS = 9
QUESTION_INTENTS = {"horario_funcionamento", "endereco", "formas_pagamento", "leva_e_traz_info",
                    "preco_servico", "minhas_faturas"}
# Steps where the tutor types free text (a name, a breed): intents there are mostly noise.
TEXT_STEPS = {"tutor_name", "pet_name", "breed", "birth_date", "weight"}
NAME_STEPS = {"tutor_name", "pet_name"}
RESTART_WORDS = {"oi", "ola", "bom dia", "boa tarde", "boa noite", "menu", "inicio", "oie", "opa"}
CONFIDENT = 0.8
# An emergency wins even where the text may be an answer (a name, a pet in the list), but only
# when the NLU is this sure: real emergencies score ~1.0 there, while names with "Socorro"
# ("Ana do Socorro Souza") reached 0.90 in our probes and must stay names.
URGENT_IN_ANSWER = 0.95
MISUNDERSTOOD_REASON = "não entendeu duas vezes seguidas"
_ATTENDANT_PAYLOAD = '/informar{"opcao":"menu:falar_atendente"}'


# --------------------------------------------------------------------------- texts


DOMAIN_PATH = Path(__file__).resolve().parents[1] / "domain.yml"


@lru_cache(maxsize=1)
def responses() -> dict[str, list[str]]:
    """Each response of ``domain.yml`` as its texts: the variations with no condition as
    ``name``, the one for a female pet (pet_sex "femea", the forms' questions) as
    ``name:femea``."""
    with DOMAIN_PATH.open(encoding="utf-8") as handle:
        domain = yaml.safe_load(handle)
    texts: dict[str, list[str]] = {}
    for name, variations in (domain.get("responses") or {}).items():
        for variation in variations:
            conditions = variation.get("condition") or []
            female = any(c.get("name") == "pet_sex" and c.get("value") == "femea"
                         for c in conditions)
            texts.setdefault(f"{name}:femea" if female else name, []).append(variation["text"])
    return texts


def render(name: str, variety: int = 0, **variables: Any) -> str:
    """The response ``name`` filled with ``variables``; ``variety`` picks among its variations
    (the turn's, :attr:`Reply.variety`: the same text when the turn runs again)."""
    texts = responses()[name]
    return fill(texts[variety % len(texts)],
                **{k: "" if v is None else str(v) for k, v in variables.items()})


# --------------------------------------------------------------------------- turn and reply


@dataclass
class Turn:
    intent: str | None
    confidence: float
    text: str
    entities: dict[str, str]
    option: str | None  # value of a tapped button ("pet:3"), else None
    sender: str
    phone: str | None
    wa_user_id: str | None
    profile_name: str | None
    shop_id: int
    now: datetime  # aware


@dataclass
class Reply:
    messages: list[dict[str, Any]] = field(default_factory=list)
    flow: dict[str, Any] = field(default_factory=dict)
    handoff: str | None = None
    interrupted: bool = False  # form_turn: no answer, one of the RULES takes the turn
    variety: int = 0  # which variation of a response this turn says (set from the turn)

    def say(self, response: str, buttons: list[dict] | None = None, **variables: Any) -> None:
        """A response of ``domain.yml`` filled with ``variables`` (:func:`render`)."""
        self.text(render(response, self.variety, **variables), buttons)

    def text(self, text: str, buttons: list[dict] | None = None) -> None:
        message: dict[str, Any] = {"text": text}
        if buttons:
            if len(buttons) <= 3:
                # WhatsApp reply buttons: titles of at most 20 characters.
                buttons = [{**b, "title": b["title"][:20]} for b in buttons]
            message["buttons"] = buttons
        self.messages.append(message)


def button(title: str, value: str, description: str = "") -> dict[str, str]:
    """A button whose payload carries ``value`` as the ``opcao`` entity. Titles and
    descriptions are whole: WhatsApp's lengths are the renderer's (``bot.render`` cuts at a
    word, with "…"), never a cut mid-word here ("10% mais bara")."""
    data = {"title": title, "payload": f'/informar{{"opcao":"{value}"}}'}
    if description:
        data["description"] = description
    return data


def options_of(buttons: list[dict]) -> list[list[str]]:
    """[title, value, description] of each button (what the flow state keeps)."""
    out = []
    for b in buttons:
        match = re.search(r'"opcao":"([^"]*)"', b["payload"])
        out.append([b["title"], match.group(1) if match else b["payload"],
                    b.get("description", "")])
    return out


def buttons_of(options: list[list[str]]) -> list[dict]:
    return [button(o[0], o[1], o[2] if len(o) > 2 else "") for o in options]


# --------------------------------------------------------------------------- context


class Ctx:
    """Per-turn access to the database and the shop, plus helpers shared by the steps."""

    public_url = ""  # the app's address, for invoice links (set by handle)
    handover = False  # a form's first question starts the form instead (form_of)
    form_active = False  # a form is active: the form asks its questions again, not _reprompt
    form_step: str | None = None  # form_turn: this form's questions are recorded, it asks them
    probe = False  # form_turn asks whether a rule would take the turn: rules do not write

    def __init__(self, session: Session, turn: Turn, flow: dict[str, Any], secret: str,
                 engine: Engine) -> None:
        self.s = session
        self.turn = turn
        self.flow = flow
        self.secret = secret
        self.engine = engine
        self.shop: Shop = session.get(Shop, turn.shop_id)
        self.settings: BotSettings = session.get(BotSettings, turn.shop_id) or BotSettings(
            shop_id=turn.shop_id
        )
        self.tz = ZoneInfo(self.shop.timezone)
        self.local_now = turn.now.astimezone(self.tz)
        self.today = self.local_now.date()
        self.missed = False  # set by misunderstood(): the turn was not understood

    # ---- people
    def tutor(self) -> Tutor | None:
        from scheduler_core.people import registry as people

        tutor_id = self.flow.get("tutor_id")
        if tutor_id:
            tutor = self.s.get(Tutor, tutor_id)
            if tutor is not None:
                return tutor
        tutor = people.find_sender(
            self.s, self.shop.id, wa_user_id=self.turn.wa_user_id, phone=self.turn.phone
        )
        if tutor is None and not self.turn.phone and not self.turn.wa_user_id:
            sender = self.turn.sender
            if sender.startswith("BR.") or not re.fullmatch(r"\+?\d{10,15}", sender):
                tutor = people.find_tutor_by_wa_user_id(self.s, self.shop.id, sender)
            else:
                tutor = people.find_tutor_by_phone(self.s, self.shop.id, sender)
        if tutor is not None:
            self.flow["tutor_id"] = tutor.id
        return tutor

    def pets(self, tutor: Tutor | None) -> list[Pet]:
        if tutor is None:
            return []
        return list(self.s.exec(
            select(Pet).where(Pet.tutor_id == tutor.id, Pet.status != PetStatus.FALECIDO)
            .order_by(Pet.id)
        ).all())

    def pet(self) -> Pet | None:
        pet_id = self.flow.get("pet_id")
        return self.s.get(Pet, pet_id) if pet_id else None

    def pet_words(self, pet: Pet | None = None) -> dict[str, str]:
        """The texts' words for ``pet`` (else the one being registered) that agree with its
        sex: {pet}, {o_pet}, {O_pet}, {do_pet}, {cadastrado} (people.labels.pet_words)."""
        if pet is not None:
            return pet_words(pet.name, pet.sex)
        new = self.flow.get("new_pet") or {}
        return pet_words(new.get("name", ""), new.get("sex"))

    def fmt_day(self, day: date) -> str:
        if day == self.today:
            return f"hoje ({day:%d/%m})"
        if day == self.today + timedelta(days=1):
            return f"amanhã ({day:%d/%m})"
        return f"{WEEKDAY_NAMES[day.weekday()].lower()}, {day:%d/%m}"

    def link(self, token: str) -> str:
        """The public invoice page of ``token`` (the app's /fatura/<token>)."""
        return f"{self.public_url}/fatura/{token}"

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            from scheduler_core.kernel.clock import from_utc_naive

            return from_utc_naive(moment, self.tz)
        return moment.astimezone(self.tz)


# --------------------------------------------------------------------------- entry point


def handle(engine: Engine, turn: Turn, flow: dict[str, Any] | None, secret: str,
           public_url: str = "", *, handover: bool = False, form_active: bool = False) -> Reply:
    """One user turn → the bot's messages and the new flow state (a JSON-safe dict).

    The turn is one unit of work (:func:`scheduler_core.db.engine.transaction`), run again from the
    same input when the database is busy; the core services it calls (book, cancel,
    reschedule) recognise a repeated call. Still busy after the retries: ``Busy``.
    ``handover``/``form_active``: see the module docstring (pet_form).
    """

    def run(ctx: Ctx, reply: Reply) -> None:
        ctx.handover, ctx.form_active = handover, form_active
        _dispatch(ctx, reply)

    return _unit_of_work(engine, turn, flow, secret, public_url, run)


def _unit_of_work(engine: Engine, turn: Turn, flow: dict[str, Any] | None, secret: str,
                  public_url: str, run) -> Reply:
    """Run ``run(ctx, reply)`` as one unit of work on a copy of ``flow``; the new state in the
    reply (a clean one after a hand-off)."""

    def unit(session: Session) -> tuple[Reply, dict[str, Any] | None]:
        state = copy.deepcopy(dict(flow or {}))
        reply = Reply(variety=_variety(turn))
        ctx = Ctx(session, turn, state, secret, engine)
        ctx.public_url = public_url.rstrip("/")
        if ctx.shop is None:
            reply.say("utter_unavailable")
            return reply, None
        run(ctx, reply)
        return reply, state

    # Deferred (optimistic) transaction: the turn may book through services that open their
    # own write sessions, which a write lock held here would block.
    reply, state = transaction(engine, unit, immediate=False)
    if state is None:
        reply.flow = {}
    elif reply.handoff is not None:
        # A clean tracker for when the attendant hands the conversation back.
        reply.flow = {"tutor_id": state.get("tutor_id")} if state.get("tutor_id") else {}
    else:
        reply.flow = state
    return reply


def _variety(turn: Turn) -> int:
    """A number fixed by the turn (who, when, what): picks the variations of this turn's texts,
    the same ones when Rasa retries the turn."""
    seed = f"{turn.sender}|{turn.now.isoformat()}|{turn.text}|{turn.option}".encode()
    return int.from_bytes(hashlib.sha256(seed).digest()[:4], "big")


# The words each question's step reads besides its options ("dog kkk" at the species question
# is a dog, not a new booking; "16h30" at the times is a time).
_STEP_READERS = {
    "species": lambda text, today: pet_answers.pet_hints(text)[0] is not None,
    "porte": lambda text, today: pet_answers.porte_of(text) is not None,
    "pelagem": lambda text, today: pet_answers.pelagem_of(text) is not None,
    "sex": lambda text, today: pet_answers.sex_of(text) is not None,
    "employee": lambda text, today: pet_answers.means_anyone(text),
    "slot": lambda text, today: (parse_date_ptbr(text, today) or parse_time_ptbr(text))
    is not None,
}
_STEP_READERS["period"] = _STEP_READERS["slot"]
# A CPF inside what the tutor typed ("meu cpf é 123.456.789-09").
_CPF_TYPED = re.compile(r"\d[\d.\-\s]{9,16}\d")
_STEP_READERS["tutor_cpf"] = lambda text, today: _CPF_TYPED.search(text) is not None


def _step_reads(step: str, text: str, today: date) -> bool:
    reader = _STEP_READERS.get(step)
    return reader is not None and reader(text, today)


@dataclass(frozen=True)
class Signals:
    """What one turn says, as the dispatch rules read it."""

    step: str | None
    option: str | None
    intent: str
    confident: bool
    free_text_step: bool
    fits_step: bool

    @classmethod
    def of(cls, ctx: Ctx) -> Signals:
        turn, flow = ctx.turn, ctx.flow
        step = flow.get("step")
        option = turn.option
        # An answer that fits the current question wins over any intent the NLU guessed
        # ("tanto faz" at the professional step, "sexta à tarde" at the date step).
        fits_step = option is None and step is not None and step != "menu" and (
            match_option(flow.get("options", []), turn.text) is not None
            or _step_reads(step, turn.text, ctx.today)
        )
        return cls(
            step=step, option=option, intent=turn.intent or "",
            confident=turn.confidence >= CONFIDENT and not fits_step,
            free_text_step=step in TEXT_STEPS and option is None, fits_step=fits_step,
        )

    @property
    def typed_confident(self) -> bool:
        """Typed text (no button) the NLU is sure about."""
        return self.option is None and self.confident


def form_of(flow: dict[str, Any]) -> str | None:
    """The Rasa form that asks the flow's current question (None: the state machine asks it)."""
    step = flow.get("step")
    if step in TUTOR_SLOTS or step == DONE_STEPS[TUTOR_FORM]:
        return TUTOR_FORM
    if step in PET_SLOTS or step == DONE_STEPS[PET_FORM]:
        return PET_FORM
    mode = flow.get("mode")
    for form, modes in FORM_MODES.items():
        if mode in modes and (step in FORM_SLOTS[form] or step == DONE_STEPS.get(form)):
            return form
    return None


def form_turn(engine: Engine, turn: Turn, flow: dict[str, Any] | None, secret: str,
              public_url: str = "", form: str = PET_FORM) -> Reply:
    """One answer to a question of ``form`` (its validate_<form> action). When one of
    :data:`RULES` would take the turn (an emergency, a person, the menu, another menu action,
    an FAQ) the reply is only marked ``interrupted`` and the state is unchanged: Rasa's rules
    then give the turn to ``action_petbot``. Otherwise the step of the question asked reads it,
    as in :func:`handle`; the next question of the same form is left in the state for the form
    to ask (:func:`form_slots`), a question of another form leaves ``start_form``, and the turn
    is recorded for the Robô panel as :func:`handle` records its own."""

    def run(ctx: Ctx, reply: Reply) -> None:
        ctx.form_active, ctx.form_step, ctx.handover = True, form, True
        if not _bot_answers(ctx, reply):
            # The shop switched the bot off mid-form: the form ends, without a word.
            reset_flow(ctx)
            return
        sig = Signals.of(ctx)
        if form_of(ctx.flow) != form or sig.step not in STEPS:
            reset_flow(ctx)
            return
        scratch = copy.copy(ctx)
        scratch.flow = copy.deepcopy(ctx.flow)
        scratch.probe = True
        if any(rule(scratch, Reply(), sig) for rule in RULES):
            reply.interrupted = True  # action_petbot answers (and records) the turn
            return
        STEPS[sig.step](ctx, reply)
        _record_turn(ctx)

    return _unit_of_work(engine, turn, flow, secret, public_url, run)


def finish_form(engine: Engine, turn: Turn, flow: dict[str, Any] | None, secret: str,
                public_url: str = "") -> Reply:
    """A form ended (its finishing action, data/rules.yml): a complete tutor_form registers the
    tutor and goes on (the pet); a complete pet_form saves the pet
    through the core and goes on (the service question); a complete booking_form books
    (:func:`do_book`), cancel_form cancels (:func:`do_cancel`), reschedule_form moves the
    appointment (:func:`do_reschedule`). A form that ended otherwise (a hand-off, the bot
    switched off, the tutor's "Cancelar" or "Não") left nothing to do: nothing is said."""

    def run(ctx: Ctx, reply: Reply) -> None:
        ctx.handover = True
        step = ctx.flow.get("step")
        if step == DONE_STEPS[TUTOR_FORM] and ctx.flow.get("new_tutor", {}).get("name"):
            save_tutor(ctx, reply)
        elif step == DONE_STEPS[PET_FORM] and ctx.flow.get("new_pet", {}).get("name"):
            save_pet(ctx, reply)
        elif step == DONE_STEPS[BOOKING_FORM] and ctx.flow.get("chosen"):
            do_book(ctx, reply)
        elif step == DONE_STEPS[CANCEL_FORM] and ctx.flow.get("appt_id"):
            do_cancel(ctx, reply)
        elif step == DONE_STEPS[RESCHEDULE_FORM] and ctx.flow.get("chosen"):
            do_reschedule(ctx, reply)

    return _unit_of_work(engine, turn, flow, secret, public_url, run)


def form_slots(flow: dict[str, Any], form: str) -> dict[str, Any]:
    """The slots of ``form`` as the flow state holds them (None: not answered yet)."""
    if form == PET_FORM:
        return pet_form_slots(flow)
    if form == TUTOR_FORM:
        new = flow.get("new_tutor") or {}
        return _slots_by_position(flow, TUTOR_SLOTS, {"tutor_name": new.get("name"),
                                                      "tutor_cpf": new.get("cpf")},
                                  done=DONE_STEPS[TUTOR_FORM])
    if form == REPEAT_FORM:
        return _slots_by_position(flow, REPEAT_SLOTS, {"pick_pet": flow.get("pet_id"),
                                                       "repeat": "sim"})
    if form == APPOINTMENT_FORM:
        return _slots_by_position(flow, APPOINTMENT_SLOTS, {"pick_appt": flow.get("appt_id"),
                                                            "appt_action": None})
    if form == CANCEL_FORM:
        return _slots_by_position(flow, CANCEL_SLOTS, {"pick_appt": flow.get("appt_id"),
                                                       "confirm_cancel": "sim"},
                                  done=DONE_STEPS[CANCEL_FORM])
    if form == RESCHEDULE_FORM:
        return _slots_by_position(flow, RESCHEDULE_SLOTS, {
            "pick_appt": flow.get("appt_id"), "period": flow.get("period"),
            "slot": (flow.get("chosen") or {}).get("start"), "confirm": "sim",
        }, done=DONE_STEPS[RESCHEDULE_FORM])
    return booking_form_slots(flow)


def pet_form_slots(flow: dict[str, Any]) -> dict[str, Any]:
    """The pet_form slots as the flow's ``new_pet`` holds them (None: not answered yet)."""
    new = flow.get("new_pet") or {}
    values = {"pet_name": new.get("name")}
    for step, key in PET_KEYS.items():
        value = new.get(key) if key in new else None
        if step == "breed":
            value = new.get("breed_name") if new.get("breed_id") else None
        values[PET_SLOTS[step]] = None if value is None else str(value)
    return values


# A booking question the flow did not ask (a single professional, no add-ons for this pet,
# the service named in the first message...) holds this in its slot.
SKIPPED = "-"


def booking_form_slots(flow: dict[str, Any]) -> dict[str, Any]:
    """The booking_form slots: the questions before the flow's current step hold their answer
    (or :data:`SKIPPED`), the current one and those after it are still open (None). A step the
    flow went back to ("Outro horário", "Outra data") opens its slot and the later ones again."""
    leva = flow.get("leva")
    return _slots_by_position(flow, BOOKING_SLOTS, {
        "pick_pet": flow.get("pet_id"),
        "service": flow.get("service_name"),
        "addons": " + ".join(flow.get("addon_names") or []) or None,
        "leva": None if leva is None else ("sim" if leva else "nao"),
        "employee": flow.get("emp_name"),
        "period": flow.get("period"),
        "slot": (flow.get("chosen") or {}).get("start"),
        "confirm": "sim",
    }, done=DONE_STEPS[BOOKING_FORM])


def _slots_by_position(flow: dict[str, Any], slots: dict[str, str], answers: dict[str, Any],
                       done: str | None = None) -> dict[str, Any]:
    """A form's slots from the flow's current step: those of the steps before it hold the
    answer (:data:`SKIPPED` when the flow did not ask), the current one and the later ones are
    open (None); at ``done`` every slot holds its answer."""
    steps = list(slots)
    step = flow.get("step")
    current = len(steps) if step == done else (steps.index(step) if step in slots else 0)
    return {
        slot: (SKIPPED if answers[step] is None else str(answers[step])) if i < current else None
        for i, (step, slot) in enumerate(slots.items())
    }


def pet_questions(settings: BotSettings, new: dict[str, Any]) -> list[str]:
    """The questions a new pet gets (flow steps, in order): the name, then what the shop's bot
    settings ask (porte only for a dog), then sex, birth date and weight when switched on."""
    wanted = {
        "species": settings.ask_species,
        "breed": settings.ask_breed,
        "porte": settings.ask_porte and new.get("species", "cao") == "cao",
        "pelagem": settings.ask_pelagem,
        "sex": settings.ask_sex,
        "birth_date": settings.ask_birth_date,
        "weight": settings.ask_weight,
    }
    return ["pet_name", *[step for step, on in wanted.items() if on]]


def _bot_answers(ctx: Ctx, reply: Reply) -> bool:
    """Whether the dialogue answers this turn (:mod:`scheduler_core.chatbot.answering`): a
    tutor with the bot off gets silence (a person answers), the shop's mode may keep the bot
    off or send its auto-reply (once per ``AUTO_REPLY_EVERY``; the time is kept in the flow)."""
    tutor = ctx.tutor()
    if not answering.bot_may_answer(ctx.s, ctx.shop.id, tutor.id if tutor else None):
        return False
    last = ctx.flow.get("auto_reply_at")
    # In simulation mode the gateway forwards only the simulator's messages to the dialogue.
    answer = answering.mode_decision(
        ctx.settings, ctx.turn.now, datetime.fromisoformat(last) if last else None,
        simulator=True,
    )
    if answer == answering.Answer.AUTO_REPLY:
        reply.text(ctx.settings.auto_reply_text)
        ctx.flow["auto_reply_at"] = ctx.turn.now.isoformat()
    return answer == answering.Answer.BOT


def _dispatch(ctx: Ctx, reply: Reply) -> None:
    if not _bot_answers(ctx, reply):
        return
    sig = Signals.of(ctx)
    for rule in RULES:
        if rule(ctx, reply, sig):
            break
    else:
        _at_step(ctx, reply, sig)
    _record_turn(ctx)


def _record_turn(ctx: Ctx) -> None:
    """The NLU's reading of an answered turn and whether it was understood, for the Robô
    panel (in the turn's unit of work: a retried turn is recorded once)."""
    turn = ctx.turn
    turn_log.record_turn(ctx.s, shop_id=ctx.shop.id, sender=turn.sender, at=turn.now,
                         text=turn.text, intent=turn.intent, confidence=turn.confidence,
                         tapped=turn.option is not None or not turn.text,
                         misunderstood=ctx.missed)


# Each rule handles the turn (True) or lets the next one look at it (False), in this order.


def _rule_menu_button(ctx: Ctx, reply: Reply, sig: Signals) -> bool:
    if sig.option and sig.option.startswith("menu:"):
        _menu_choice(ctx, reply, sig.option.split(":", 1)[1])
        return True
    return False


def _rule_urgent(ctx: Ctx, reply: Reply, sig: Signals) -> bool:
    needed = URGENT_IN_ANSWER if sig.free_text_step or sig.fits_step else CONFIDENT
    if sig.intent == "urgencia" and sig.option is None and ctx.turn.confidence >= needed:
        urgent_handoff(ctx, reply)
        return True
    return False


def _rule_human(ctx: Ctx, reply: Reply, sig: Signals) -> bool:
    if sig.step in NAME_STEPS and sig.free_text_step and _reads_as_a_name(sig.step, ctx.turn.text):
        return False  # "ja falei, thor" (NLU: falar_atendente 1.0) answers the name question
    if sig.intent == "falar_atendente" and sig.typed_confident and (
        not sig.free_text_step or len(ctx.turn.text.split()) >= 2
    ):
        handoff(ctx, reply, _human_reason(ctx))
        return True
    return False


def _reads_as_a_name(step: str, text: str) -> bool:
    reader = names.read_person_name if step == "tutor_name" else names.read_pet_name
    return reader(text).ok


def _rule_notice_reply(ctx: Ctx, reply: Reply, sig: Signals) -> bool:
    """A reply to a notification: a button naming its appointment (Confirmar / Remarcar /
    Cancelar), a typed confirmation outside a flow, or "parar" / "voltar a receber"."""
    if sig.option is not None or ctx.turn.confidence < CONFIDENT:
        return False
    appt_id = _appointment_entity(ctx)
    typed = sig.typed_confident and not sig.free_text_step
    if appt_id is not None and sig.intent == "confirmar_agendamento":
        def act() -> None:
            confirm_appointment(ctx, reply, appt_id)
    elif appt_id is not None and sig.intent in ("remarcar", "cancelar"):
        def act() -> None:
            change_from_notice(ctx, reply, appt_id, sig.intent)
    elif typed and sig.intent in ("parar_notificacoes", "voltar_notificacoes"):
        def act() -> None:
            switch_notifications(ctx, reply, off=sig.intent == "parar_notificacoes")
    elif typed and sig.intent == "confirmar_agendamento" and sig.step in (None, "menu"):
        def act() -> None:
            confirm_typed(ctx, reply)
    else:
        return False
    if not ctx.probe:  # these write (a status, the opt-out): never while only probing
        act()
    return True


def _rule_survey_reply(ctx: Ctx, reply: Reply, sig: Signals) -> bool:
    """A typed score ("5", "nota 4 - demorou") outside a flow answers the tutor's pending
    satisfaction survey (notifications.survey_reply): before the menu reads "5" as its entry."""
    tutor = ctx.tutor()
    if sig.option is not None or sig.step not in (None, "menu") or tutor is None:
        return False
    if ctx.probe:
        return survey_reply.parse_score(ctx.turn.text) is not None and survey_reply.pending_survey(
            ctx.s, tutor.id, now=ctx.turn.now) is not None
    answer = survey_reply.answer_survey(ctx.s, tutor.id, ctx.turn.text, now=ctx.turn.now)
    if answer is None:
        return False
    first = tutor.name.split()[0] if tutor.name else ""
    reply.say("utter_survey_sorry" if answer.score <= 2 else "utter_survey_thanks",
              tutor=first, score=str(answer.score))
    understood(ctx)
    return True


def _rule_keyword(ctx: Ctx, reply: Reply, sig: Signals) -> bool:
    if sig.option is None and sig.step in (None, "menu") and (
        action := keyword_action(ctx, ctx.turn.text)
    ):
        _menu_choice(ctx, reply, action)
        return True
    return False


def _rule_greeting(ctx: Ctx, reply: Reply, sig: Signals) -> bool:
    # A greeting restarts the conversation, but not at a name question: there "oi" is
    # answered in kind and the name asked again (see not_a_name).
    restart_words = {"menu", "inicio"} if sig.step in NAME_STEPS else RESTART_WORDS
    text = ctx.turn.text
    if sig.typed_confident and sig.intent in ("cumprimentar", "voltar_menu") and (
        not sig.free_text_step or sig.intent == "voltar_menu" or len(text.split()) <= 2
        and normalize(text, keep_punctuation=True) in restart_words
    ):
        greet(ctx, reply)
        return True
    return False


def _rule_question(ctx: Ctx, reply: Reply, sig: Signals) -> bool:
    if not (sig.typed_confident and not sig.free_text_step and sig.intent in QUESTION_INTENTS):
        return False
    answer_question(ctx, reply, sig.intent)
    if sig.step:
        _reprompt(ctx, reply)
    else:
        show_menu(ctx, reply, again=True)
    return True


def _rule_menu_intent(ctx: Ctx, reply: Reply, sig: Signals) -> bool:
    if sig.typed_confident and not sig.step and sig.intent in MENU_INTENTS:
        _menu_choice(ctx, reply, sig.intent)
        return True
    return False


def _rule_thanks(ctx: Ctx, reply: Reply, sig: Signals) -> bool:
    if sig.typed_confident and sig.step in (None, "menu") and sig.intent in (
            "agradecer", "negar"):
        # "não, obrigado" declines politely: "Por nada!" would answer thanks nobody gave.
        declined = sig.intent == "negar" or "nao" in normalize(ctx.turn.text).split()
        reply.say("utter_declined" if declined else "utter_thanks")
        return True
    return False


def _rule_other_action(ctx: Ctx, reply: Reply, sig: Signals) -> bool:
    """Starting another menu action from the middle of a flow."""
    if not (sig.typed_confident and sig.step and not sig.free_text_step
            and sig.intent in MIDFLOW_INTENTS):
        return False
    if sig.intent in ("cancelar", "remarcar") and sig.step in (
        "appt_action", "confirm", "confirm_cancel"
    ):
        return False
    if match_option(ctx.flow.get("options", []), ctx.turn.text) is not None:
        return False
    _menu_choice(ctx, reply, sig.intent)
    return True


def _at_step(ctx: Ctx, reply: Reply, sig: Signals) -> None:
    """No rule took the turn: the current step reads it (none or the menu: the menu)."""
    if not sig.step or sig.step == "menu":
        if sig.typed_confident and sig.intent in ("cancelar", "remarcar"):
            return _menu_choice(ctx, reply, sig.intent)
        if sig.step == "menu" and sig.option is None:
            chosen = match_option(ctx.flow.get("options", []), ctx.turn.text)
            if chosen:
                return _menu_choice(ctx, reply, chosen.split(":", 1)[1])
        if sig.option is None and (key := _booking_named(ctx)):
            # "quero banho pra luna sexta as 15h" read by the NLU as a date (0.45): the
            # service it names makes it a booking request all the same.
            return _menu_choice(ctx, reply, key)
        if sig.step == "menu" and sig.option is None:
            return misunderstood(ctx, reply)
        return greet(ctx, reply)
    handler = STEPS.get(sig.step)
    if handler is None:
        return greet(ctx, reply)
    handler(ctx, reply)


RULES = (
    _rule_menu_button, _rule_urgent, _rule_human, _rule_notice_reply, _rule_survey_reply,
    _rule_keyword,
    _rule_greeting,
    _rule_question, _rule_menu_intent, _rule_thanks, _rule_other_action,
)


# --------------------------------------------------------------------------- helpers


def match_option(options: list[list[str]], text: str) -> str | None:
    """Free text → one of the offered options: its number, its title, or a close match."""
    norm = normalize(text, keep_punctuation=True)
    if not norm or not options:
        return None
    digits = re.fullmatch(r"(?:opcao |opção |numero )?(\d{1,2})", norm)
    if digits:
        index = int(digits.group(1)) - 1
        return options[index][1] if 0 <= index < len(options) else None
    titles = [normalize(option[0], keep_punctuation=True) for option in options]
    values = [option[1] for option in options]
    for title, value in zip(titles, values, strict=True):
        if norm == title:
            return value
    contained = [value for title, value in zip(titles, values, strict=True)
                 if len(norm) >= 3 and (norm in title or (len(title) >= 3 and title in norm))]
    if len(contained) == 1:
        return contained[0]
    best, best_score = None, 0.0
    for title, value in zip(titles, values, strict=True):
        score = fuzz.WRatio(norm, title)
        if score > best_score:
            best, best_score = value, score
    return best if best_score >= 86 else None


def ask(ctx: Ctx, reply: Reply, step: str, response: str, buttons: list[dict] | None = None,
        **variables: Any) -> None:
    """Send a question and remember the step, its options and how to ask it again. A form's
    question is only remembered: the form asks it (see the module docstring). Its first
    question, reached outside the form with ``handover``, leaves ``start_form``: the action
    starts the form (tutor_form and pet_form only at their first question, FIRST_STEPS; the
    others at any of their steps, since what the tutor already wrote, or a single pet, skips
    the first ones)."""
    ctx.flow["step"] = step
    ctx.flow["options"] = options_of(buttons or [])
    ctx.flow["prompt"] = {"response": response, "vars": variables}
    form = form_of(ctx.flow)
    if form is not None and form == ctx.form_step:
        return
    if form is not None and ctx.handover and FIRST_STEPS.get(form, step) == step:
        if step == "tutor_name":
            ctx.flow["new_tutor"] = {}
        if step == "pet_name":
            ctx.flow["new_pet"] = {}
            ctx.flow["pet_questions"] = [PET_SLOTS[q] for q in pet_questions(ctx.settings, {})]
        ctx.flow["start_form"] = form
        return
    reply.say(response, buttons, **variables)


def form_prompt(flow: dict[str, Any]) -> dict[str, Any] | None:
    """The question the flow last recorded, as one message (action_ask_<slot>): the re-ask a
    misunderstanding chose, else the question with its options."""
    prompt = flow.get("prompt")
    if not prompt:
        return None
    reply = Reply()
    again = flow.get("ask_again")
    buttons = buttons_of(flow.get("options", [])) or None
    if again:
        reply.say(again, buttons)
    else:
        reply.say(prompt["response"], buttons, **prompt.get("vars", {}))
    return reply.messages[0]


def _reprompt(ctx: Ctx, reply: Reply) -> None:
    if ctx.form_active:
        return  # the form asks its question again
    prompt = ctx.flow.get("prompt")
    if prompt:
        buttons = buttons_of(ctx.flow.get("options", [])) or None
        reply.say(prompt["response"], buttons, **prompt.get("vars", {}))


def misunderstood(ctx: Ctx, reply: Reply, hint: str = "", again: str | None = None) -> None:
    """Count a misunderstanding (at the limit: :func:`offer_attendant`); say so with ``hint``
    and ask the question again, or send ``again`` (a response that re-asks it) with the step's
    options."""
    ctx.missed = True
    misses = int(ctx.flow.get("misses", 0)) + 1
    ctx.flow["misses"] = misses
    if misses >= max(1, ctx.settings.misunderstand_limit):
        return offer_attendant(ctx, reply)
    if again and ctx.form_step:
        ctx.flow["ask_again"] = again  # the form's action_ask_<slot> asks it this way
        return None
    if again:
        return reply.say(again, buttons_of(ctx.flow.get("options", [])) or None)
    if not hint:
        hint = ("Toque em uma das opções ou digite o número dela."
                if ctx.flow.get("options") else "Pode escrever de outro jeito?")
    reply.say("utter_not_understood", hint=hint)
    _reprompt(ctx, reply)


def offer_attendant(ctx: Ctx, reply: Reply) -> None:
    """The misunderstanding limit (spec/chatbot.md §4.8): the bot stops asking the same
    question and offers "Falar com atendente" first, then the rest of the menu; nothing is
    handed off until the tutor asks for a person (the hand-off then keeps this reason)."""
    tutor = ctx.tutor()
    buttons = [b for b in menu_buttons(ctx, tutor) if b["payload"] != _ATTENDANT_PAYLOAD]
    attendant = bot_menu.BY_KEY["falar_atendente"]
    buttons.insert(0, button(attendant.title, "menu:falar_atendente", attendant.description))
    reset_flow(ctx)
    ask(ctx, reply, "menu", "utter_offer_attendant", buttons)
    ctx.flow["attendant_offered"] = True


def _human_reason(ctx: Ctx) -> str:
    """Why a person is asked for: after the offer of :func:`offer_attendant`, the
    misunderstandings that led to it."""
    return MISUNDERSTOOD_REASON if ctx.flow.get("attendant_offered") else "pedido do tutor"


def understood(ctx: Ctx) -> None:
    ctx.flow["misses"] = 0
    ctx.flow.pop("ask_again", None)


def picked(ctx: Ctx, prefix: str) -> str | None:
    """The value the tutor chose at a list step: a tapped button or matching free text."""
    option = ctx.turn.option
    if option is None:
        option = match_option(ctx.flow.get("options", []), ctx.turn.text)
    if option and option.startswith(prefix + ":"):
        understood(ctx)
        return option.split(":", 1)[1]
    return None


def fill(template: str, **values: str) -> str:
    class _Keep(dict):
        def __missing__(self, key: str) -> str:
            return ""

    try:
        return template.format_map(_Keep(**values))
    except (ValueError, IndexError):
        return template


def reset_flow(ctx: Ctx) -> None:
    keep = {"tutor_id": ctx.flow.get("tutor_id")} if ctx.flow.get("tutor_id") else {}
    ctx.flow.clear()
    ctx.flow.update(keep)


# --------------------------------------------------------------------------- greeting and menu


def _menu_actions(ctx: Ctx) -> list[bot_menu.MenuAction]:
    """The shop's menu as the tutor may use it (``chatbot.menu.visible_actions``)."""
    return bot_menu.visible_actions(ctx.settings.menu, _segment_kinds(ctx))


def menu_buttons(ctx: Ctx, tutor: Tutor | None) -> list[dict]:
    buttons = []
    for action in _menu_actions(ctx):
        if action.key == "repetir_ultimo" and (tutor is None or not _has_history(ctx, tutor)):
            continue
        buttons.append(button(action.title, f"menu:{action.key}", action.description))
    return buttons


def _segment_kinds(ctx: Ctx) -> set[str]:
    return bot_menu.active_kinds(ctx.s, ctx.shop.id)


def _has_history(ctx: Ctx, tutor: Tutor) -> bool:
    return ctx.s.exec(select(Appointment.id).where(
        Appointment.tutor_id == tutor.id, Appointment.start < ctx.turn.now.astimezone(UTC)
    ).limit(1)).first() is not None


def greet(ctx: Ctx, reply: Reply) -> None:
    reset_flow(ctx)
    tutor = ctx.tutor()
    pets = ctx.pets(tutor)
    pet_names = _join([p.name for p in pets])
    if tutor is None:
        text = fill(ctx.settings.greeting_new, shop=ctx.shop.name, tutor="", pets="")
    else:
        text = fill(ctx.settings.greeting_known, shop=ctx.shop.name,
                    tutor=tutor.name.split()[0], pets=pet_names)
        if pet_names and "{pets}" not in ctx.settings.greeting_known:
            text += f" Como estão {pet_names}?" if len(pets) > 1 else f" Como está {pet_names}?"
    show_menu(ctx, reply, greeting=text)


def _menu_response(greeting: str) -> str:
    """The menu under a greeting that already asks "como posso ajudar?" does not ask it again."""
    return "utter_menu_asked" if "como posso ajudar" in normalize(greeting) else "utter_menu"


def show_menu(ctx: Ctx, reply: Reply, greeting: str | None = None, again: bool = False) -> None:
    tutor = ctx.tutor()
    buttons = menu_buttons(ctx, tutor)
    keep = {"tutor_id": ctx.flow.get("tutor_id")} if ctx.flow.get("tutor_id") else {}
    ctx.flow.clear()
    ctx.flow.update(keep)
    if greeting is not None:
        ask(ctx, reply, "menu", _menu_response(greeting), buttons, greeting=greeting)
        # Asked again (after a misunderstanding), the menu comes without the introduction.
        ctx.flow["prompt"] = {"response": "utter_menu_reask", "vars": {}}
    else:
        ask(ctx, reply, "menu", "utter_menu_again", buttons)


def _join(names: list[str]) -> str:
    if not names:
        return ""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " e " + names[-1]


def keyword_action(ctx: Ctx, text: str) -> str | None:
    """The menu action a shop-defined keyword trigger sends this message to (when the menu
    shows that action), see :mod:`scheduler_core.chatbot.triggers`."""
    action = triggers.first_match(ctx.settings.triggers or [], text)
    return action if action in {a.key for a in _menu_actions(ctx)} else None


def _menu_choice(ctx: Ctx, reply: Reply, key: str) -> None:
    reason = _human_reason(ctx)
    reset_flow(ctx)
    understood(ctx)
    if key == "falar_atendente":
        return handoff(ctx, reply, reason)
    if key == "agendar_creche" and key in {a.key for a in _menu_actions(ctx)}:
        if SegmentKind.CRECHE not in _segment_kinds(ctx):
            # Hotel only: staff book the stay (scheduler_core.chatbot.menu).
            reply.text(bot_menu.CRECHE_HANDOFF_TEXT)
            return handoff(ctx, reply, "agendamento de creche/hotel")
        ctx.flow["kind"] = SegmentKind.CRECHE
        ctx.flow["mode"] = "creche"
        return start_booking(ctx, reply)
    if key in MENU_SEGMENT:
        ctx.flow["kind"] = MENU_SEGMENT[key]
        ctx.flow["mode"] = "book"
        _remember_request(ctx)
        return start_booking(ctx, reply)
    if key == "meus_agendamentos":
        return list_upcoming(ctx, reply)
    if key in ("cancelar", "remarcar"):
        return list_upcoming(ctx, reply, wants=key)
    if key == "repetir_ultimo":
        ctx.flow["mode"] = "repeat"
        ctx.flow["kind"] = "pet_shop"
        _remember_request(ctx)
        return start_booking(ctx, reply)
    greet(ctx, reply)


def _booking_named(ctx: Ctx) -> str | None:
    """The menu's booking action ("agendar_banho_tosa", "agendar_clinica") of the one kind
    whose bot services the typed text names, None when it names none (or both kinds)."""
    from scheduler_core.catalog.offers import list_services

    text = ctx.turn.text
    if not text or len(text) > 300:
        return None
    visible = {a.key for a in _menu_actions(ctx)}
    kinds = _segment_kinds(ctx)
    found = []
    for key, kind in MENU_SEGMENT.items():
        if key not in visible or kind not in kinds:
            continue
        catalog = list_services(ctx.s, ctx.shop.id, segment_kind=kind, channel="bot")
        offers = [(f"combo:{c.id}", c.name) for c in catalog.combos]
        offers += [(f"svc:{o.id}", o.name) for o in catalog.services]
        if request.named_offer(text, offers) is not None:
            found.append(key)
    return found[0] if len(found) == 1 else None


def _remember_request(ctx: Ctx) -> None:
    """A typed request ("quero banho pro thor sexta as 15h") keeps what it already says: the
    pet and the service are read from it when asked (:func:`ask_pet`, :func:`ask_service`),
    the day, period and time go to the slot search now."""
    if ctx.turn.option is not None or not ctx.turn.text:
        return
    ctx.flow["asked"] = ctx.turn.text[:300]
    _take_when(ctx, request.when_asked(ctx.turn.text, ctx.today))


def _take_when(ctx: Ctx, when: request.When) -> None:
    """The day (not a past one), period and time a message asked for, for :func:`show_slots`."""
    if when.day is not None and when.day >= ctx.today:
        ctx.flow["date"] = when.day.isoformat()
    if when.period:
        ctx.flow["period"] = when.period
    if when.at is not None:
        ctx.flow["time"] = when.at.strftime("%H:%M")


# --------------------------------------------------------------------------- hand-off


def handoff(ctx: Ctx, reply: Reply, reason: str) -> None:
    is_open = open_now.is_shop_open_now(ctx.s, ctx.shop.id, ctx.turn.now)
    reply.text(ctx.settings.msg_in_hours if is_open else ctx.settings.msg_out_hours)
    reply.messages.append({"custom": {"handoff": {"reason": reason}}})
    reply.handoff = reason


def urgent_handoff(ctx: Ctx, reply: Reply) -> None:
    """A pet emergency: say what to do now, then a person takes over. The shop's address only
    when its clinic is open; otherwise the nearest emergency vet."""
    is_open = open_now.is_shop_open_now(ctx.s, ctx.shop.id, ctx.turn.now)
    if is_open and SegmentKind.CLINICA in _segment_kinds(ctx):
        reply.say("utter_urgencia", address=shop_info.address_text(ctx.shop))
    else:
        reply.say("utter_urgencia_elsewhere")
    handoff(ctx, reply, "urgência")


# --------------------------------------------------------------------------- questions


def answer_question(ctx: Ctx, reply: Reply, intent: str) -> None:
    if intent == "horario_funcionamento":
        reply.say("utter_hours", hours=shop_info.opening_hours_text(ctx.s, ctx.shop.id))
    elif intent == "endereco":
        reply.say("utter_address", address=shop_info.address_text(ctx.shop))
    elif intent == "formas_pagamento":
        reply.say("utter_payment", methods=shop_info.payment_methods_text(ctx.shop))
    elif intent == "leva_e_traz_info":
        zones = leva_e_traz.leva_e_traz_text(ctx.s, ctx.shop)
        if zones is None:
            reply.say("utter_no_leva_e_traz")
        else:
            reply.say("utter_leva_e_traz_info", zones=zones)
    elif intent == "preco_servico":
        answer_prices(ctx, reply)
    elif intent == "minhas_faturas":
        answer_statement(ctx, reply)


def answer_statement(ctx: Ctx, reply: Reply) -> None:
    """"Quanto devo?", "minhas faturas", "meu saldo": the tutor's open invoices with their
    public links and the tutor's credit (scheduler_core.billing.queries.tutor_statement)."""
    from scheduler_core.billing.queries import tutor_statement

    tutor = ctx.tutor()
    if tutor is None:
        return reply.say("utter_statement_unknown")
    statement = tutor_statement(ctx.s, tutor.id, secret=ctx.secret)
    lines = []
    for item in statement.open_invoices:
        view = item.view
        due = f" · vence {view.due_date:%d/%m}" if view.due_date else ""
        late = " (vencida)" if view.status == "vencida" else ""
        pet = f" – {view.pet_name}" if view.pet_name else ""
        lines.append(f"• {view.label} {view.kind_label}{pet}: "
                     f"{format_brl(view.totals.open_cents)}{due}{late}\n  {ctx.link(item.token)}")
    credit = format_brl(statement.credit_cents)
    if not lines:
        return reply.say("utter_statement_none", credit=credit)
    reply.say("utter_statement", invoices="\n".join(lines),
              total=format_brl(statement.open_cents), credit=credit)


def answer_prices(ctx: Ctx, reply: Reply) -> None:
    """Prices for the pet in the conversation, or the tutor's only pet; several pets and none
    chosen: one short line per pet. No pet yet (a new tutor, or a pet still being registered):
    the shop's price table by porte — decision: a price is answered at once, never held back
    until the tutor registers a pet."""
    from scheduler_core.catalog.offers import services_for_pet

    tutor = ctx.tutor()
    pets = ctx.pets(tutor)
    pet = ctx.pet()
    if pet is None and (not pets or "new_pet" in ctx.flow):
        return answer_price_table(ctx, reply)
    pet = pet or (pets[0] if len(pets) == 1 else None)
    wanted = ctx.turn.text
    lines = []
    if pet is None and len(pets) > 1:
        # Several pets: one price list per pet, shortest form.
        for one in pets:
            catalog = services_for_pet(ctx.s, ctx.shop.id, one.id, channel="bot")
            offers = _filter_named(list(catalog.services) + list(catalog.addons), wanted)
            lines.append(f"*{one.name}*: " + "; ".join(
                f"{o.name} {_price_label(ctx, o)}" for o in offers[:6]))
        reply.say("utter_prices_all", prices="\n".join(lines))
        return
    catalog = services_for_pet(ctx.s, ctx.shop.id, pet.id if pet else None, channel="bot")
    offers = _filter_named(list(catalog.services) + list(catalog.addons), wanted)
    for offer in offers[:12]:
        lines.append(f"• {offer.name}: {_price_label(ctx, offer)}")
    if pet is not None:
        reply.say("utter_prices", **ctx.pet_words(pet), prices="\n".join(lines))
    else:
        reply.say("utter_prices_all", prices="\n".join(lines))


def answer_price_table(ctx: Ctx, reply: Reply) -> None:
    """The price question with no pet to price for: each service's range per porte."""
    from scheduler_core.catalog.offers import price_table_by_porte

    rows = _filter_named(list(price_table_by_porte(ctx.s, ctx.shop.id, channel="bot")),
                         ctx.turn.text)[:12]
    mode = ctx.settings.price_display
    if mode == "oculto" or not rows:
        lines = [f"• {row.name}: valor sob consulta" for row in rows]
        return reply.say("utter_prices_all", prices="\n".join(lines))
    from_only = mode != "exato"
    lines = [f"• *{row.name}*: {row.label(from_only)}" for row in rows]
    if ctx.shop.billing_mode == "raca":
        response = "utter_prices_by_breed"
    else:
        response = "utter_prices_by_porte_from" if from_only else "utter_prices_by_porte"
    reply.say(response, prices="\n".join(lines))


def _filter_named(offers: list, text: str | None) -> list:
    """The offers the question names ("quanto custa a tosa?"), else all of them."""
    norm = " " + normalize(text) + " "
    names = {o.id: normalize(o.name) for o in offers}
    named = [o for o in offers if f" {names[o.id]} " in norm]
    if not named:
        named = [o for o in offers if f" {names[o.id].split()[0]} " in norm]
    return named or offers


def _price_label(ctx: Ctx, offer) -> str:
    """The price as the shop wants it shown: from (a partir de) / exact / hidden."""
    mode = ctx.settings.price_display
    if mode == "oculto":
        return "valor sob consulta"
    price = offer.price_cents if offer.price_cents is not None else offer.min_price_cents
    if price is None:
        return "sob consulta"
    if mode == "exato" and offer.price_cents is not None:
        return format_brl(offer.price_cents)
    return "a partir de " + format_brl(price)


# --------------------------------------------------------------------------- booking: who


def start_booking(ctx: Ctx, reply: Reply) -> None:
    tutor = ctx.tutor()
    if tutor is None:
        return ask_tutor_name(ctx, reply)
    return ask_pet(ctx, reply)


def ask_tutor_name(ctx: Ctx, reply: Reply) -> None:
    """Ask the new tutor's name; the WhatsApp profile name, when it reads as a name, is offered
    as a one-tap answer (typing another name still works)."""
    profile = names.read_person_name(ctx.turn.profile_name or "").name
    if not profile:
        return ask(ctx, reply, "tutor_name", "utter_ask_tutor_name")
    ctx.flow["profile_name"] = profile
    ask(ctx, reply, "tutor_name", "utter_ask_tutor_name_profile",
        [button("Sim, é esse", "nome:perfil")], profile=profile)


def ask_pet(ctx: Ctx, reply: Reply) -> None:
    tutor = ctx.tutor()
    pets = ctx.pets(tutor)
    exclude = set(ctx.flow.get("done_pets", []))
    pets = [p for p in pets if p.id not in exclude]
    if not pets:
        if not ctx.settings.allow_pet_registration:
            reply.say("utter_registration_disabled")
            return handoff(ctx, reply, "cadastro de pet pelo robô desativado")
        return ask(ctx, reply, "pet_name", "utter_ask_pet_name")
    if ctx.flow.get("mode") == "repeat":
        from scheduler_core.scheduling import appointments

        pets = [p for p in pets if appointments.last_visit_services(ctx.s, p.id, ctx.turn.now)]
        named = request.named_one(ctx.flow.get("asked", ""), [(p.id, p.name) for p in pets])
        if len(pets) == 1 or named is not None:
            ctx.flow["pet_id"] = named if named is not None else pets[0].id
            return after_pet(ctx, reply)
        if not pets:
            reply.say("utter_no_history_any")
            ctx.flow["mode"] = "book"
            return ask_pet(ctx, reply)
        buttons = [button(p.name, f"pet:{p.id}", _pet_description(ctx, p)) for p in pets[:10]]
        return ask(ctx, reply, "pick_pet", "utter_ask_pet", buttons)
    named = request.named_one(ctx.flow.get("asked", ""), [(p.id, p.name) for p in pets])
    if named is not None:
        ctx.flow["pet_id"] = named
        return after_pet(ctx, reply)
    buttons = [button(p.name, f"pet:{p.id}", _pet_description(ctx, p)) for p in pets[:9]]
    if ctx.settings.allow_pet_registration:
        buttons.append(button("Outro pet", "pet:novo", "Cadastrar um novo pet"))
    ask(ctx, reply, "pick_pet", "utter_ask_pet", buttons)


def _pet_description(ctx: Ctx, pet: Pet) -> str:
    breed = ctx.s.get(Breed, pet.breed_id) if pet.breed_id else None
    return ", ".join(x for x in [breed.name if breed else "", pet.porte or ""] if x)


def step_tutor_name(ctx: Ctx, reply: Reply) -> None:
    profile = ctx.flow.get("profile_name")
    use_profile = picked(ctx, "nome") == "perfil" or (
        profile and ctx.turn.option is None and ctx.turn.intent == "afirmar"
        and ctx.turn.confidence >= 0.6
    )
    reading = names.read_person_name(ctx.turn.text)
    name = profile if use_profile and profile else reading.name
    if not name:
        return not_a_name(ctx, reply, reading.refusal)
    ctx.flow.pop("profile_name", None)
    understood(ctx)
    ctx.flow["new_tutor"] = {"name": name}
    if ctx.settings.ask_cpf:
        return ask(ctx, reply, "tutor_cpf", "utter_ask_tutor_cpf",
                   [button("Prefiro não informar", "cpf:pular")])
    save_tutor(ctx, reply)


def step_tutor_cpf(ctx: Ctx, reply: Reply) -> None:
    """The CPF (A3), checked by its check digits (kernel.cpf); "Prefiro não informar" (or a
    plain "não") registers the tutor without it: a shop that asks for the CPF still gets the
    booking, and staff complete the record later."""
    from scheduler_core.kernel.cpf import InvalidCPF, normalize_cpf

    typed = _CPF_TYPED.search(ctx.turn.text)
    skip = picked(ctx, "cpf") == "pular" or (
        ctx.turn.option is None and ctx.turn.intent == "negar" and ctx.turn.confidence >= 0.6
        and typed is None)
    if not skip:
        try:
            cpf = normalize_cpf(typed.group(0) if typed else ctx.turn.text)
        except InvalidCPF as exc:
            return misunderstood(ctx, reply, str(exc))
        ctx.flow["new_tutor"]["cpf"] = cpf
    understood(ctx)
    save_tutor(ctx, reply)


def _completes_form(ctx: Ctx, *forms: str) -> bool:
    """In a turn of one of ``forms`` (its validation), the answer completes the form: the flow
    is left at the form's done step, for its finishing action (:func:`finish_form`)."""
    if ctx.form_step not in forms:
        return False
    ctx.flow["step"] = DONE_STEPS[ctx.form_step]
    ctx.flow["options"] = []
    return True


def save_tutor(ctx: Ctx, reply: Reply) -> None:
    """Register the new tutor (``people.create_tutor``: the name, the CPF when given, the
    sender's WhatsApp) and go on to the pet; in a tutor_form turn the form is only marked
    complete (``tutor_done``): action_save_tutor registers (:func:`finish_form`). A CPF that
    another tutor of the shop has goes to a person (the same tutor on another number, most
    likely), nothing registered."""
    from scheduler_core.kernel.errors import CoreError
    from scheduler_core.people import registry as people

    if _completes_form(ctx, TUTOR_FORM):
        return
    new = ctx.flow.pop("new_tutor")
    for key in ("prompt", "ask_again"):
        ctx.flow.pop(key, None)
    tutor = ctx.tutor()  # a retried call: the sender is registered already
    if tutor is None:
        values: dict[str, Any] = {"name": new["name"]}
        if new.get("cpf"):
            values["cpf"] = new["cpf"]
        if ctx.turn.phone:
            values["whatsapp"] = ctx.turn.phone
        if ctx.turn.wa_user_id:
            values["wa_user_id"] = ctx.turn.wa_user_id
        try:
            tutor = people.create_tutor(ctx.s, ctx.shop.id, values, today=ctx.today)
        except CoreError as exc:
            if (exc.details or {}).get("field") == "cpf":
                reply.text(exc.message)
                return handoff(ctx, reply, "CPF já cadastrado em outro tutor")
            # A sender number the phone rules refuse: keep the tutor, without it.
            values.pop("whatsapp", None)
            tutor = people.create_tutor(ctx.s, ctx.shop.id, values, today=ctx.today)
        ctx.s.flush()
    ctx.flow["tutor_id"] = tutor.id
    reply.say("utter_tutor_saved", tutor=tutor.name.split()[0])
    ask_pet(ctx, reply)


def not_a_name(ctx: Ctx, reply: Reply, refusal: names.Refusal) -> None:
    """A reply to a name question that is no name (:mod:`scheduler_core.people.names`): answered in
    kind and the question asked again. Thanks and greetings are answered politely, a question
    the NLU is sure of is answered, "não" to the offered WhatsApp profile name drops the offer,
    "atendente" hands off; only the rest ("ok", "👍", "quero agendar") counts as a
    misunderstanding (two in a row offer a person and the menu, as everywhere)."""
    turn, step = ctx.turn, ctx.flow.get("step")
    sure = turn.option is None and turn.confidence >= CONFIDENT
    if refusal == names.Refusal.THANKS:
        reply.say("utter_name_thanks")
        return _reprompt(ctx, reply)
    if refusal == names.Refusal.GREETING:
        reply.say("utter_name_greeting")
        return _reprompt(ctx, reply)
    if sure and turn.intent == "falar_atendente":
        return handoff(ctx, reply, "pedido do tutor")
    if sure and turn.intent in QUESTION_INTENTS and refusal in (
        names.Refusal.QUESTION, names.Refusal.SENTENCE
    ):
        answer_question(ctx, reply, turn.intent)
        return _reprompt(ctx, reply)
    if refusal == names.Refusal.NO and step == "tutor_name" and ctx.flow.pop("profile_name", None):
        return ask(ctx, reply, "tutor_name", "utter_ask_tutor_name_after_no")
    misunderstood(ctx, reply, again="utter_ask_tutor_name_again" if step == "tutor_name"
                  else "utter_ask_pet_name_again")


def step_pick_pet(ctx: Ctx, reply: Reply) -> None:
    value = picked(ctx, "pet")
    if value is None:
        # A typed name of a pet not listed counts as a new pet when registration is allowed.
        return misunderstood(ctx, reply)
    if value == "novo":
        ctx.flow["new_pet"] = {}
        return ask(ctx, reply, "pet_name", "utter_ask_pet_name")
    pet = ctx.s.get(Pet, int(value))
    tutor = ctx.tutor()
    if pet is None or tutor is None or pet.tutor_id != tutor.id:
        return misunderstood(ctx, reply)
    ctx.flow["pet_id"] = pet.id
    return after_pet(ctx, reply)


def step_pet_name(ctx: Ctx, reply: Reply) -> None:
    reading, *others = names.read_pet_names(ctx.turn.text)
    if not reading.ok:
        return not_a_name(ctx, reply, reading.refusal)
    understood(ctx)
    ctx.flow["new_pet"] = {"name": reading.name}
    if others:  # "bob e nina": two pets, registered one after the other
        ctx.flow["more_pets"] = [o.name for o in others]
        reply.say("utter_pets_one_by_one", names=_join([reading.name, *ctx.flow["more_pets"]]),
                  **ctx.pet_words())
    # What was already said of the pet ("quero banho pra minha cachorra", "é a Mel") is not
    # asked again: the species when the shop serves it, the sex.
    species, sex = pet_answers.pet_hints(f"{ctx.flow.get('asked', '')} {ctx.turn.text}")
    if reading.sex or sex:
        ctx.flow["new_pet"]["sex"] = reading.sex or sex
    if species and species in _served_species(ctx):
        ctx.flow["new_pet"]["species"] = species
    return next_pet_question(ctx, reply)


def next_pet_question(ctx: Ctx, reply: Reply) -> None:
    """Ask the new pet's next question (:func:`pet_questions`); a question the shop skips takes
    its default (a dog; the breed's porte and pelagem; no sex, birth date or weight)."""
    new = ctx.flow["new_pet"]
    questions = pet_questions(ctx.settings, new)
    ctx.flow["pet_questions"] = [PET_SLOTS[q] for q in questions]
    for step, key in PET_KEYS.items():
        if key in new:
            continue
        if step in questions:
            return _ask_pet(ctx, reply, step, new["name"])
        new[key] = {"species": "cao", "porte": new.get("default_porte"),
                    "pelagem": new.get("default_pelagem")}.get(step)
    return save_pet(ctx, reply)


def _ask_pet(ctx: Ctx, reply: Reply, step: str, name: str) -> None:
    if step == "species":
        species = [(t, v) for t, v in SPECIES if v in _served_species(ctx)] or SPECIES
        return ask(ctx, reply, "species", "utter_ask_species",
                   [button(t, f"especie:{v}") for t, v in species], **ctx.pet_words())
    if step == "breed":
        return ask(ctx, reply, "breed", "utter_ask_breed", **ctx.pet_words())
    choices = {"porte": ("porte", PORTES), "pelagem": ("pelagem", PELAGENS),
               "sex": ("sexo", SEXES)}
    response = f"utter_ask_pet_{step}"
    if ctx.flow.get("new_pet", {}).get("sex") == "femea" and f"{response}:femea" in responses():
        response += ":femea"  # as the form picks its variation conditioned on pet_sex
    if step in choices:
        prefix, values = choices[step]
        return ask(ctx, reply, step, response,
                   [button(t, f"{prefix}:{v}") for t, v in values], pet_name=name)
    ask(ctx, reply, step, response, pet_name=name)


def _served_species(ctx: Ctx) -> set[str]:
    rows = ctx.s.exec(select(Segment.species).where(Segment.shop_id == ctx.shop.id)).all()
    return {s for row in rows for s in (row or [])}


def step_species(ctx: Ctx, reply: Reply) -> None:
    value = picked(ctx, "especie")
    if value is None:
        ent = ctx.turn.entities.get("especie") or pet_answers.pet_hints(ctx.turn.text)[0]
        if ent in ("cao", "gato"):  # the NLU's entity, or the words ("dog kkk", "uma gata")
            value = ent
            understood(ctx)
    if value is None:
        return misunderstood(ctx, reply)
    ctx.flow["new_pet"]["species"] = value
    next_pet_question(ctx, reply)


def step_breed(ctx: Ctx, reply: Reply) -> None:
    from scheduler_core.people.breeds import match_breeds, srd_breed

    new = ctx.flow["new_pet"]
    option = ctx.turn.option
    if option is None and ctx.flow.get("options"):
        option = match_option(ctx.flow["options"], ctx.turn.text)
    if option and option.startswith("raca:"):
        understood(ctx)
        return _breed_chosen(ctx, reply, int(option.split(":", 1)[1]))
    text = ctx.turn.text.strip()
    if not text or text.startswith("/"):
        return misunderstood(ctx, reply)
    if "?" in text and ctx.turn.intent in QUESTION_INTENTS and ctx.turn.confidence >= CONFIDENT:
        # "quanto custa o banho?" while the breed is asked: an answer, then the question again.
        answer_question(ctx, reply, ctx.turn.intent)
        return _reprompt(ctx, reply)
    matches = match_breeds(ctx.s, new["species"], text, limit=5)
    srd = srd_breed(ctx.s, new["species"])
    if matches and matches[0].score >= 100 and (len(matches) == 1 or matches[1].score < 90):
        understood(ctx)
        return _breed_chosen(ctx, reply, matches[0].id)
    buttons = [button(m.name, f"raca:{m.id}") for m in matches[:5]]
    if srd is not None and all(m.id != srd.id for m in matches[:5]):
        buttons.append(button("SRD — sem raça definida", f"raca:{srd.id}", "Vira-lata / mestiço"))
    understood(ctx)
    response = "utter_pick_breed" if matches else "utter_breed_not_found"
    ask(ctx, reply, "breed", response, buttons, **ctx.pet_words())


def _breed_chosen(ctx: Ctx, reply: Reply, breed_id: int) -> None:
    new = ctx.flow["new_pet"]
    breed = ctx.s.get(Breed, breed_id)
    if breed is None:
        return misunderstood(ctx, reply)
    refusal = acceptance.pet_refusal(ctx.s, ctx.shop, breed_id=breed.id)
    if refusal is not None:
        reply.text(refusal)
        return handoff(ctx, reply, f"raça não aceita: {breed.name}")
    new["breed_id"] = breed.id
    new["breed_name"] = breed.name
    new["default_porte"] = breed.default_porte
    new["default_pelagem"] = breed.default_pelagem
    next_pet_question(ctx, reply)


def step_porte(ctx: Ctx, reply: Reply) -> None:
    value = picked(ctx, "porte")
    typed = ctx.turn.entities.get("porte") or pet_answers.porte_of(ctx.turn.text)
    if value is None and typed in dict(PORTES).values():  # "média, uns 12 kg"
        value = typed
        understood(ctx)
    if value is None:
        return misunderstood(ctx, reply)
    refusal = acceptance.pet_refusal(ctx.s, ctx.shop, porte=value)
    if refusal is not None:
        reply.text(refusal)
        return handoff(ctx, reply, f"porte não aceito: {value}")
    ctx.flow["new_pet"]["porte"] = value
    next_pet_question(ctx, reply)


def step_pelagem(ctx: Ctx, reply: Reply) -> None:
    value = picked(ctx, "pelagem")
    typed = {"medio": "media"}.get(ctx.turn.entities.get("pelagem", ""),
                                   ctx.turn.entities.get("pelagem"))
    typed = typed or pet_answers.pelagem_of(ctx.turn.text)  # "curtinha"
    if value is None and typed in dict(PELAGENS).values():
        value = typed
        understood(ctx)
    if value is None:
        return misunderstood(ctx, reply)
    ctx.flow["new_pet"]["pelagem"] = value
    next_pet_question(ctx, reply)


def step_sex(ctx: Ctx, reply: Reply) -> None:
    value = picked(ctx, "sexo") or (
        pet_answers.sex_of(ctx.turn.text) if ctx.turn.option is None else None)
    if value is None:
        return misunderstood(ctx, reply)
    ctx.flow["new_pet"]["sex"] = value
    next_pet_question(ctx, reply)


def step_birth_date(ctx: Ctx, reply: Reply) -> None:
    born = parse_birth_date_ptbr(ctx.turn.text, ctx.today)
    if born is None:
        return misunderstood(ctx, reply, hint="Escreva a data assim: 25/03/2022.")
    understood(ctx)
    ctx.flow["new_pet"]["birth_date"] = born.isoformat()
    next_pet_question(ctx, reply)


def step_weight(ctx: Ctx, reply: Reply) -> None:
    from scheduler_core.people.registry import parse_weight_grams

    grams = parse_weight_grams(ctx.turn.text)
    if grams is None:
        return misunderstood(ctx, reply, hint="Escreva só o peso em kg, por exemplo: 8,5.")
    understood(ctx)
    ctx.flow["new_pet"]["weight_grams"] = grams
    next_pet_question(ctx, reply)


def save_pet(ctx: Ctx, reply: Reply) -> None:
    """Save the new pet (``people.create_pet``) and go on; in a pet_form turn the form is only
    marked complete (``pet_done``): action_save_pet saves it (:func:`finish_form`)."""
    from scheduler_core.people import registry as people

    if _completes_form(ctx, PET_FORM):
        return
    new = ctx.flow.pop("new_pet")
    for key in ("prompt", "pet_questions", "ask_again"):
        ctx.flow.pop(key, None)
    values = {"name": new["name"], "species": new.get("species") or "cao"}
    if new.get("breed_id"):
        values["breed_id"] = new["breed_id"]
    for key in ("porte", "pelagem", "sex", "birth_date", "weight_grams"):
        if new.get(key):
            values[key] = new[key]
    pet = people.create_pet(ctx.s, ctx.flow["tutor_id"], values, shop_id=ctx.shop.id,
                            today=ctx.today)
    ctx.s.flush()
    ctx.flow["pet_id"] = pet.id
    reply.say("utter_pet_saved", **ctx.pet_words(pet))
    more = ctx.flow.get("more_pets") or []
    if more:  # the next pet named in the same reply ("bob e nina"), asked by the steps
        ctx.flow.setdefault("first_new_pet", pet.id)
        ctx.flow["more_pets"] = more[1:]
        ctx.flow["new_pet"] = {"name": more[0]}
        reply.say("utter_next_pet", **ctx.pet_words())
        return next_pet_question(ctx, reply)
    ctx.flow.pop("more_pets", None)
    # Several new pets: the booking goes on for the first; the others are offered after it.
    ctx.flow["pet_id"] = ctx.flow.pop("first_new_pet", None) or pet.id
    after_pet(ctx, reply)


def after_pet(ctx: Ctx, reply: Reply) -> None:
    mode = ctx.flow.get("mode")
    if mode == "repeat":
        return offer_repeat(ctx, reply)
    if mode == "same_other_pet":
        return ask_leva_e_traz(ctx, reply)
    if mode == "prices":
        answer_prices(ctx, reply)
        return show_menu(ctx, reply, again=True)
    return ask_service(ctx, reply)


# --------------------------------------------------------------------------- booking: what


def _catalog(ctx: Ctx):
    from scheduler_core.catalog.offers import services_for_pet

    return services_for_pet(ctx.s, ctx.shop.id, ctx.flow["pet_id"],
                            segment_kind=ctx.flow.get("kind"), channel="bot")


def ask_service(ctx: Ctx, reply: Reply) -> None:
    pet = ctx.pet()
    catalog = _catalog(ctx)
    buttons = []
    for combo in catalog.combos:
        buttons.append(button(combo.name, f"combo:{combo.id}", _offer_description(ctx, combo)))
    for offer in catalog.services:
        buttons.append(button(offer.name, f"svc:{offer.id}", _offer_description(ctx, offer)))
    if not buttons:
        reply.say("utter_no_services", **ctx.pet_words(pet))
        return handoff(ctx, reply, "nenhum serviço disponível no robô para o pet")
    offers = [(f"combo:{c.id}", c.name) for c in catalog.combos]
    offers += [(f"svc:{o.id}", o.name) for o in catalog.services]
    named = request.named_offer(ctx.flow.pop("asked", ""), offers)
    if named is not None:
        return _choose_service(ctx, reply, named)
    ask(ctx, reply, "service", "utter_ask_service", buttons[:10], **ctx.pet_words(pet))


def _offer_description(ctx: Ctx, offer) -> str:
    price = "" if ctx.settings.price_display == "oculto" else _price_label(ctx, offer)
    desc = (offer.description or "").strip()
    return " · ".join(p for p in [price, desc] if p)


def step_service(ctx: Ctx, reply: Reply) -> None:
    value = ctx.turn.option or match_option(ctx.flow.get("options", []), ctx.turn.text)
    if not value or not (value.startswith("svc:") or value.startswith("combo:")):
        return misunderstood(ctx, reply)
    understood(ctx)
    _choose_service(ctx, reply, value)


def _choose_service(ctx: Ctx, reply: Reply, value: str) -> None:
    """``value`` ("svc:3", "combo:2") chosen, tapped or named: on to the add-ons."""
    catalog = _catalog(ctx)
    kind, raw_id = value.split(":", 1)
    if kind == "combo":
        combo = next((c for c in catalog.combos if c.id == int(raw_id)), None)
        if combo is None:
            return misunderstood(ctx, reply)
        ctx.flow["service_ids"] = list(combo.service_ids)
        ctx.flow["combo_id"] = combo.id
        ctx.flow["service_name"] = combo.name
    else:
        offer = next((o for o in catalog.services if o.id == int(raw_id)), None)
        if offer is None:
            return misunderstood(ctx, reply)
        ctx.flow["service_ids"] = [offer.id]
        ctx.flow["service_name"] = offer.name
    if ctx.flow.get("mode") == "creche":
        return ask_creche_days(ctx, reply)
    ask_addons(ctx, reply)


def ask_addons(ctx: Ctx, reply: Reply, added: str | None = None) -> None:
    if not ctx.settings.addons_enabled:
        return ask_leva_e_traz(ctx, reply)
    catalog = _catalog(ctx)
    chosen = set(ctx.flow.get("service_ids", []))
    remaining = [a for a in catalog.addons if a.id not in chosen]
    if not remaining:
        return ask_leva_e_traz(ctx, reply)
    buttons = [button("Não, obrigado" if not added else "Só isso", "addon:nenhum")]
    buttons += [button(a.name, f"addon:{a.id}", _offer_description(ctx, a)) for a in remaining[:9]]
    if added:
        ask(ctx, reply, "addons", "utter_ask_more_addons", buttons, addon=added)
    else:
        ask(ctx, reply, "addons", "utter_ask_addons", buttons)


def step_addons(ctx: Ctx, reply: Reply) -> None:
    value = picked(ctx, "addon")
    if value is None and ctx.turn.option is None and ctx.turn.intent == "negar" \
            and ctx.turn.confidence >= 0.6:
        value = "nenhum"
        understood(ctx)
    if value is None:
        return misunderstood(ctx, reply)
    if value == "nenhum":
        return ask_leva_e_traz(ctx, reply)
    service = ctx.s.get(Service, int(value))
    if service is None:
        return misunderstood(ctx, reply)
    ctx.flow.setdefault("service_ids", []).append(service.id)
    ctx.flow.setdefault("addon_names", []).append(service.name)
    ask_addons(ctx, reply, added=service.name)


def ask_leva_e_traz(ctx: Ctx, reply: Reply) -> None:
    if not leva_e_traz.offered_for(ctx.s, ctx.shop, ctx.flow.get("service_ids", [])):
        ctx.flow["leva"] = False
        return ask_employee(ctx, reply)
    buttons = [button("Sim, quero", "leva:sim"), button("Não, eu levo", "leva:nao")]
    ask(ctx, reply, "leva", "utter_ask_leva_e_traz", buttons, **ctx.pet_words(ctx.pet()),
        fee=leva_e_traz_fee_text(ctx), hours=ctx.shop.leva_e_traz_min_notice_hours)


def leva_e_traz_fee_text(ctx: Ctx) -> str:
    """The fee for this tutor's address (zone by bairro or CEP, else the flat fee); when the
    address matches no zone, the tutor is told the fee depends on the neighbourhood."""
    tutor = ctx.tutor()
    found = leva_e_traz_fee(
        ctx.s, ctx.shop.id,
        neighborhood=(tutor.neighborhood or "") if tutor else "",
        cep=(tutor.cep or "") if tutor else "",
    )
    if found is None:
        return "A taxa depende do bairro; a equipe confirma com você."
    fee, zone = found
    if not fee:
        return "Sem taxa para o seu endereço."
    where = f" – {zone.name}" if zone is not None else ""  # "Zona 1 (até 2 km)" has its own ()
    return f"Taxa: {format_brl(fee)}{where}."


def _yes_no(ctx: Ctx, prefix: str) -> str | None:
    value = picked(ctx, prefix)
    if value is None and ctx.turn.option is None and ctx.turn.confidence >= 0.6:
        if ctx.turn.intent in ("afirmar", "confirmar_agendamento"):
            value = "sim"
        elif ctx.turn.intent == "negar":
            value = "nao"
        if value:
            understood(ctx)
    return value


def step_leva(ctx: Ctx, reply: Reply) -> None:
    value = _yes_no(ctx, "leva")
    if value is None:
        return misunderstood(ctx, reply)
    ctx.flow["leva"] = value == "sim"
    ask_employee(ctx, reply)


def _eligible_employees(ctx: Ctx) -> list[Employee]:
    service_ids = ctx.flow.get("service_ids", [])
    main = ctx.s.get(Service, service_ids[0]) if service_ids else None
    if main is None:
        return []
    pet = ctx.pet()
    return team.employees_for(ctx.s, ctx.shop.id, main.category_id,
                              pet.species if pet is not None else None)


def ask_employee(ctx: Ctx, reply: Reply) -> None:
    if ctx.flow.get("emp_soft") or not ctx.settings.choose_employee:
        return show_slots(ctx, reply)
    employees = _eligible_employees(ctx)
    if len(employees) < 2:
        return show_slots(ctx, reply)
    buttons = [button("Tanto faz", "prof:qualquer", "O primeiro horário livre")]
    buttons += [button(e.name, f"prof:{e.id}") for e in employees[:9]]
    ask(ctx, reply, "employee", "utter_ask_employee", buttons)


def step_employee(ctx: Ctx, reply: Reply) -> None:
    value = picked(ctx, "prof")
    if value is None and ctx.turn.option is None and (
            ctx.turn.intent == "negar" or pet_answers.means_anyone(ctx.turn.text)):
        value = "qualquer"  # "não", "qualquer um", "tanto faz"
        understood(ctx)
    if value is None:
        return misunderstood(ctx, reply)
    if value != "qualquer":
        employee = ctx.s.get(Employee, int(value))
        service = ctx.s.get(Service, ctx.flow["service_ids"][0])
        if employee is None or service is None:
            return misunderstood(ctx, reply)
        ctx.flow["emp"] = {str(service.category_id): employee.id}
        ctx.flow["emp_name"] = employee.name
    show_slots(ctx, reply)


# --------------------------------------------------------------------------- booking: when


def _window(ctx: Ctx) -> tuple[date, date] | None:
    typed = ctx.flow.get("date")
    horizon = ctx.today + timedelta(days=ctx.settings.horizon_days)
    if typed:
        day = date.fromisoformat(typed)
        return (day, day) if day <= horizon else None
    from scheduler_core.scheduling.availability import bot_window
    from scheduler_core.scheduling.snapshot import bot_rules

    return bot_window(ctx.today, int(ctx.flow.get("page", 0)), bot_rules(ctx.settings))


def _search(ctx: Ctx, window: tuple[date, date], any_employee: bool = False):
    from scheduler_core.scheduling import booking

    emp = None if any_employee else ctx.flow.get("emp")
    moving = ctx.flow.get("mode") == "reschedule"
    if moving:
        emp = None  # the core prefers the appointment's professionals, then any other
    return booking.find_slots(
        ctx.engine,
        shop_id=ctx.shop.id,
        pet_id=ctx.flow["pet_id"],
        service_ids=list(ctx.flow["service_ids"]),
        date_from=window[0],
        date_to=window[1],
        channel="bot",
        now=ctx.turn.now,
        secret=ctx.secret,
        employee_by_category={int(k): v for k, v in emp.items()} if emp else None,
        moving_appointment_id=ctx.flow.get("appt_id") if moving else None,
        # A combo is priced (and stored on the booking) by the core through its token.
        combo_id=None if moving else ctx.flow.get("combo_id"),
        # Slots inside the Leva e Traz notice are dropped by the core, which says why.
        leva_e_traz=bool(ctx.flow.get("leva")),
    )


def show_slots(ctx: Ctx, reply: Reply) -> None:
    window = _window(ctx)
    if window is None:
        reply.say("utter_no_slots_window")
        return handoff(ctx, reply, "sem horários na janela do robô")
    try:
        offer = _search(ctx, window)
        if offer.leva_e_traz_refusal:
            # Every free time is too close for the pick-up: the same times without it.
            ctx.flow["leva"] = False
            reply.say("utter_leva_e_traz_too_soon", reason=offer.leva_e_traz_refusal)
            offer = _search(ctx, window)
        slots = list(offer.slots)
        if not slots and ctx.flow.get("emp_soft") and ctx.flow.get("emp"):
            offer = _search(ctx, window, any_employee=True)
            slots = list(offer.slots)
    except Exception as exc:  # fail closed into the "no times" branch
        from scheduler_core.kernel.errors import CoreError

        if isinstance(exc, CoreError) and not isinstance(exc, Busy):
            reply.text(exc.message)
            return handoff(ctx, reply, f"erro na busca de horários: {exc.code}")
        raise
    period = ctx.flow.get("period")
    if period:
        slots = [s for s in slots if (ctx.local(s.start).hour < 12) == (period == "manha")]
    if not slots:
        message = getattr(offer, "message", "") or ""
        reason = getattr(offer, "reason", None)
        if str(reason or "") == "restriction" and message:
            reply.say("utter_restriction", message=message)
        if ctx.flow.get("date"):
            reply.say("utter_no_slots_day", day=ctx.fmt_day(window[0]))
            ctx.flow.pop("date", None)
            ctx.flow.pop("period", None)
            return _ask_date_only(ctx, reply)
        # Move the window on by itself until the horizon.
        ctx.flow["page"] = int(ctx.flow.get("page", 0)) + 1
        ctx.flow["auto_pages"] = int(ctx.flow.get("auto_pages", 0)) + 1
        if _window(ctx) is None:
            reply.say("utter_no_slots_window")
            return handoff(ctx, reply, "sem horários na janela do robô")
        return show_slots(ctx, reply)
    ctx.flow.pop("auto_pages", None)
    wanted = ctx.flow.pop("time", None)
    if wanted:
        exact = next((s for s in slots if f"{ctx.local(s.start):%H:%M}" == wanted), None)
        if exact is not None:
            ctx.flow["chosen"] = _slot_row(ctx, exact, offer)
            return show_summary(ctx, reply)
        reply.say("utter_time_not_free", time=wanted)
    if len(slots) > MAX_SLOT_ROWS and not period:
        days = sorted({ctx.local(s.start).date() for s in slots})
        label = ctx.fmt_day(days[0]) if len(days) == 1 else (
            f"{ctx.fmt_day(days[0])} e {ctx.fmt_day(days[-1])}")
        buttons = [button("Manhã", "periodo:manha"), button("Tarde", "periodo:tarde"),
                   button("Outra data", "data:outra")]
        return ask(ctx, reply, "period", "utter_ask_period", buttons, day=label)
    shown = slots[:MAX_SLOT_ROWS]
    ctx.flow["slots"] = [_slot_row(ctx, s, offer) for s in shown]
    buttons = []
    for index, slot in enumerate(shown):
        start = ctx.local(slot.start)
        names = _employee_names(ctx, [it.employee_id for it in slot.items])
        title = f"{WEEKDAY_SHORT_NAMES[start.weekday()].lower()} " \
                f"{start:%d/%m} às {start:%H:%M}"
        buttons.append(button(title, f"slot:{index}", names))
    buttons.append(button("Outra data", "data:outra", "Ver os próximos dias ou digite uma data"))
    days = sorted({ctx.local(s.start).date() for s in shown})
    label = ctx.fmt_day(days[0]) if len(days) == 1 else (
        f"{ctx.fmt_day(days[0])} a {ctx.fmt_day(days[-1])}")
    ask(ctx, reply, "slot", "utter_slots", buttons, when=label)


def _slot_row(ctx: Ctx, slot, offer) -> dict[str, Any]:
    """A found slot as the flow state keeps it (what the summary and the booking read)."""
    return {"token": slot.token, "start": ctx.local(slot.start).isoformat(),
            "total": slot.total_cents, "emp": [it.employee_id for it in slot.items],
            "seg": offer.segment_id,
            "prices": {str(it.service_id): it.price_cents for it in slot.items}}


def _employee_names(ctx: Ctx, ids: list[int]) -> str:
    names = []
    for emp_id in dict.fromkeys(ids):
        employee = ctx.s.get(Employee, emp_id)
        if employee:
            names.append(employee.name)
    return "com " + " e ".join(names) if names else ""


def _ask_date_only(ctx: Ctx, reply: Reply) -> None:
    buttons = [button("Outra data", "data:outra", "Ver os próximos dias")]
    ask(ctx, reply, "slot", "utter_ask_typed_date", buttons)


def _typed_date(ctx: Ctx) -> bool:
    """A typed date at the date steps jumps there; True when handled."""
    if ctx.turn.option is not None or parse_bare_period_ptbr(ctx.turn.text):
        return False  # "de tarde": the period of the days shown, read by the step
    typed = parse_date_ptbr(ctx.turn.text, ctx.today)
    if typed is None:
        return False
    understood(ctx)
    if typed.day < ctx.today:
        reply_day = typed.day
        ctx.flow["bad_date"] = reply_day.isoformat()
        return False
    ctx.flow.pop("period", None)
    _take_when(ctx, request.when_asked(ctx.turn.text, ctx.today))
    return True


def step_period(ctx: Ctx, reply: Reply) -> None:
    if _typed_date(ctx):
        return show_slots(ctx, reply)
    value = picked(ctx, "periodo") or _typed_period(ctx)
    if value in ("manha", "tarde"):
        understood(ctx)
        ctx.flow["period"] = value
        return show_slots(ctx, reply)
    if ctx.turn.option == "data:outra" or (ctx.turn.option is None and ctx.turn.intent ==
                                          "outra_data" and ctx.turn.confidence >= 0.6):
        return _next_page(ctx, reply)
    if _typed_time(ctx):
        return show_slots(ctx, reply)
    misunderstood(ctx, reply)


def _typed_period(ctx: Ctx) -> str | None:
    """A period typed at a date step: the NLU's "periodo" entity or a bare "de tarde" (the
    period of the days shown); None for a tap."""
    if ctx.turn.option is not None:
        return None
    return ctx.turn.entities.get("periodo") or parse_bare_period_ptbr(ctx.turn.text)


def _typed_time(ctx: Ctx) -> bool:
    """A typed time ("16h30", "às 10") at a date step: searched in the same days; True when
    the text holds one."""
    at = parse_time_ptbr(ctx.turn.text) if ctx.turn.option is None else None
    if at is None:
        return False
    understood(ctx)
    _take_when(ctx, request.at_time(at))
    return True


def _next_page(ctx: Ctx, reply: Reply) -> None:
    understood(ctx)
    if ctx.flow.get("date"):
        # From a typed date, "outra data" continues with the page after it.
        from scheduler_core.scheduling.snapshot import bot_rules

        step = max(1, bot_rules(ctx.settings).page_days)
        offset = (date.fromisoformat(ctx.flow.pop("date")) - ctx.today).days
        ctx.flow["page"] = max(1, (offset - 2) // step + 2)
    else:
        ctx.flow["page"] = int(ctx.flow.get("page", 0)) + 1
    ctx.flow.pop("period", None)
    show_slots(ctx, reply)


def step_slot(ctx: Ctx, reply: Reply) -> None:
    if _typed_date(ctx):
        return show_slots(ctx, reply)
    if ctx.flow.pop("bad_date", None):
        return misunderstood(ctx, reply, render("utter_hint_past_date"))
    if ctx.turn.option == "data:outra" or (ctx.turn.option is None and ctx.turn.intent ==
                                          "outra_data" and ctx.turn.confidence >= 0.6):
        return _next_page(ctx, reply)
    period = _typed_period(ctx)
    if period in ("manha", "tarde"):
        ctx.flow["period"] = period
        understood(ctx)
        return show_slots(ctx, reply)
    value = picked(ctx, "slot")
    if value is None:
        value = _slot_by_time(ctx)
    if value is None and _typed_time(ctx):
        # Free but not among the rows shown ("tem as 16h30?"): the same days searched again.
        return show_slots(ctx, reply)
    if value is None:
        return misunderstood(ctx, reply)
    slots = ctx.flow.get("slots", [])
    index = int(value)
    if not 0 <= index < len(slots):
        return misunderstood(ctx, reply)
    ctx.flow["chosen"] = slots[index]
    ctx.flow.pop("slots", None)  # keeps the tracker small: the list is searched again if needed
    return show_summary(ctx, reply)


def _slot_by_time(ctx: Ctx) -> str | None:
    """"às 14h", "14:30" → the listed slot at that time (first day that has it)."""
    if ctx.turn.option is not None:
        return None
    bare = normalize(ctx.turn.text)  # at the slot list a bare "14" is the hour too
    at = parse_time_ptbr(ctx.turn.text) or (
        parse_time_ptbr(f"{bare}h") if re.fullmatch(r"\d{1,2}", bare) else None)
    if at is None:
        return None
    for index, slot in enumerate(ctx.flow.get("slots", [])):
        start = datetime.fromisoformat(slot["start"])
        if (start.hour, start.minute) == (at.hour, at.minute):
            understood(ctx)
            return str(index)
    return None


def show_summary(ctx: Ctx, reply: Reply) -> None:
    chosen = ctx.flow["chosen"]
    start = datetime.fromisoformat(chosen["start"])
    pet = ctx.pet()
    service = ctx.flow.get("service_name", "")
    if ctx.flow.get("addon_names"):
        service += " + " + " + ".join(ctx.flow["addon_names"])
    extra = ""
    total = chosen["total"]
    if ctx.flow.get("leva"):
        extra = "\n🚗 Leva e Traz: sim"
    professional = _employee_names(ctx, chosen.get("emp", []))
    if professional:
        extra += f"\n👤 Profissional: {professional[4:]}"
    price = "valor sob consulta" if ctx.settings.price_display == "oculto" else \
        format_brl(total)
    if ctx.flow.get("mode") != "reschedule":
        price = _plan_price(ctx, chosen, start.date(), total) or price
    buttons = [button("Confirmar", "confirma:sim"), button("Outro horário", "confirma:outro"),
               button("Cancelar", "confirma:nao")]
    response = "utter_summary_reschedule" if ctx.flow.get("mode") == "reschedule" else \
        "utter_summary"
    ask(ctx, reply, "confirm", response, buttons, pet=pet.name, service=service,
        date=ctx.fmt_day(start.date()), time=f"{start:%H:%M}", price=price, extra=extra)


def _plan_price(ctx: Ctx, chosen: dict, day: date, total: int) -> str | None:
    """With an active plan covering the services: "incluso no seu plano — restam N …" (and the
    plan to book with, in ``flow["pet_plan_id"]``); used up: says so, at the normal price.
    None without a plan for these services."""
    from scheduler_core.plans.lifecycle import active_plan_for

    ctx.flow.pop("pet_plan_id", None)
    prices = {int(k): v for k, v in (chosen.get("prices") or {}).items()}
    offer = active_plan_for(ctx.s, ctx.flow["pet_id"], list(prices) or ctx.flow["service_ids"],
                            day, segment_id=chosen.get("seg"))
    if offer is None:
        return None
    ctx.flow["pet_plan_id"] = offer.pet_plan_id
    left = [s for s in offer.covered if offer.remaining.get(s, 0) > 0]
    if not left:
        names = ", ".join(offer.names.get(s, "") for s in offer.covered)
        return render("utter_plan_used_up", services=names, price=format_brl(total))
    rest = max(0, total - sum(prices.get(s, 0) for s in left))
    notes = "; ".join(_left_after(offer, s) for s in left)
    if rest == 0:
        return render("utter_plan_included", notes=notes)
    return render("utter_plan_partly", price=format_brl(rest), notes=notes)


def _left_after(offer, service_id: int) -> str:
    """"restam 2 sessões de Banho neste ciclo" after this booking takes one."""
    left = offer.remaining.get(service_id, 0) - 1
    where = "no pacote" if offer.is_package else "neste ciclo"
    name = offer.names.get(service_id, "")
    if left <= 0:
        return f"é a última sessão de {name} {where}"
    return f"{'resta' if left == 1 else 'restam'} {left} {'sessão' if left == 1 else 'sessões'} " \
           f"de {name} {where}"


def step_confirm(ctx: Ctx, reply: Reply) -> None:
    value = _yes_no(ctx, "confirma")
    if value is None and ctx.turn.option is None and ctx.turn.intent == "outra_data":
        value = "outro"
    if value is None:
        return misunderstood(ctx, reply)
    if value == "nao":
        reply.say("utter_booking_dropped")
        return show_menu(ctx, reply, again=True)
    if value == "outro":
        ctx.flow.pop("chosen", None)
        return show_slots(ctx, reply)
    if _completes_form(ctx, BOOKING_FORM, RESCHEDULE_FORM):
        return None  # its finishing action books or moves
    if ctx.flow.get("mode") == "reschedule":
        return do_reschedule(ctx, reply)
    return do_book(ctx, reply)


def _idempotency_key(ctx: Ctx, token: str, what: str) -> str:
    digest = hashlib.sha256(f"{ctx.turn.sender}|{what}|{token}".encode()).hexdigest()[:32]
    return f"bot:{digest}"


def do_book(ctx: Ctx, reply: Reply) -> None:
    from scheduler_core.kernel.errors import CoreError
    from scheduler_core.scheduling import booking

    chosen = ctx.flow["chosen"]
    pet = ctx.pet()
    try:
        appointment = booking.book(
            ctx.engine,
            token=chosen["token"],
            now=ctx.turn.now,
            secret=ctx.secret,
            origin="bot",
            actor="bot",
            idempotency_key=_idempotency_key(ctx, chosen["token"], "book"),
            leva_e_traz=bool(ctx.flow.get("leva")),
            pet_plan_id=ctx.flow.get("pet_plan_id"),
        )
    except Busy:
        raise  # the whole turn is retried, then the tutor is asked to send it again
    except CoreError as exc:
        reply.text(exc.message)
        if exc.code in ("pet_not_bookable", "action_disabled", "not_found"):
            return handoff(ctx, reply, f"agendamento recusado: {exc.code}")
        # Taken, expired, or refused for this time (e.g. the pet is busy then): other times.
        ctx.flow.pop("chosen", None)
        return show_slots(ctx, reply)
    start = datetime.fromisoformat(chosen["start"])
    service = ctx.flow.get("service_name", "")
    if ctx.flow.get("addon_names"):
        service += " + " + " + ".join(ctx.flow["addon_names"])
    ctx.flow["last_appt"] = getattr(appointment, "id", None)
    # With Leva e Traz the shop goes to the pet: no "Te esperamos!".
    reply.say("utter_booked_leva" if ctx.flow.get("leva") else "utter_booked",
              **ctx.pet_words(pet), service=service, date=ctx.fmt_day(start.date()),
              time=f"{start:%H:%M}")
    done = ctx.flow.setdefault("done_pets", [])
    done.append(pet.id)
    others = [p for p in ctx.pets(ctx.tutor()) if p.id not in done]
    if ctx.settings.same_service_other_pet and others:
        buttons = [button("Sim", "outro_pet:sim"), button("Não, obrigado", "outro_pet:nao")]
        return ask(ctx, reply, "ask_same_other_pet", "utter_ask_same_other_pet", buttons)
    show_menu(ctx, reply, again=True)


def step_same_other_pet(ctx: Ctx, reply: Reply) -> None:
    value = _yes_no(ctx, "outro_pet")
    if value is None:
        return misunderstood(ctx, reply)
    if value == "nao":
        reply.say("utter_thanks")
        return show_menu(ctx, reply, again=True)
    keep = {k: ctx.flow.get(k) for k in ("tutor_id", "kind", "service_ids", "service_name",
                                         "addon_names", "combo_id", "done_pets", "leva")}
    ctx.flow.clear()
    ctx.flow.update({k: v for k, v in keep.items() if v is not None})
    ctx.flow["mode"] = "same_other_pet"
    tutor = ctx.tutor()
    others = [p for p in ctx.pets(tutor) if p.id not in set(ctx.flow.get("done_pets", []))]
    buttons = [button(p.name, f"pet:{p.id}", _pet_description(ctx, p)) for p in others[:9]]
    ask(ctx, reply, "pick_pet", "utter_ask_pet", buttons)


# --------------------------------------------------------------------------- repeat last service


def offer_repeat(ctx: Ctx, reply: Reply) -> None:
    from scheduler_core.scheduling import appointments

    pet = ctx.pet()
    last = appointments.last_visit_services(ctx.s, pet.id, ctx.turn.now)
    rows = [ctx.s.get(Service, i) for i in (last.service_ids if last else ())]
    rows = [r for r in rows if r is not None and r.active and r.show_on_bot]
    if not rows:
        reply.say("utter_no_history", **ctx.pet_words(pet))
        ctx.flow["mode"] = "book"
        return ask_service(ctx, reply)
    main = [r for r in rows if not r.is_addon] or rows
    ctx.flow["service_ids"] = [r.id for r in rows]
    ctx.flow["service_name"] = main[0].name
    addons = [r.name for r in rows if r.id != main[0].id]
    if addons:
        ctx.flow["addon_names"] = addons
    segment = ctx.s.get(Segment, last.segment_id)
    ctx.flow["kind"] = segment.kind if segment else "pet_shop"
    # The same professional is preferred when choosing is allowed.
    if ctx.settings.choose_employee and last.employee_by_category:
        ctx.flow["emp_pref"] = {str(k): v for k, v in last.employee_by_category.items()}
    names = " + ".join([main[0].name, *addons])
    buttons = [button("Sim, agendar", "repetir:sim"), button("Ver outros serviços", "repetir:nao")]
    ask(ctx, reply, "repeat", "utter_repeat_offer", buttons, **ctx.pet_words(pet),
        service=names)


def step_repeat(ctx: Ctx, reply: Reply) -> None:
    value = _yes_no(ctx, "repetir")
    if value is None:
        return misunderstood(ctx, reply)
    if value == "nao":
        for key in ("service_ids", "service_name", "addon_names"):
            ctx.flow.pop(key, None)
        ctx.flow["mode"] = "book"
        return ask_service(ctx, reply)
    ctx.flow["mode"] = "book"
    if ctx.flow.get("emp_pref"):
        # One tap: the same professional(s) as last time, any other when they are busy.
        ctx.flow["emp"] = ctx.flow.pop("emp_pref")
        ctx.flow["emp_soft"] = True
    ask_leva_e_traz(ctx, reply)


# --------------------------------------------------------------------------- my appointments


def list_upcoming(ctx: Ctx, reply: Reply, wants: str | None = None) -> None:
    """The tutor's upcoming appointments. ``wants`` ("cancelar"/"remarcar", typed): the ones
    the message names ("o banho da nina de amanhã"); exactly one goes straight to the action."""
    from scheduler_core.scheduling import appointments

    tutor = ctx.tutor()
    rows = []
    for pet in ctx.pets(tutor):
        for appt in appointments.upcoming_for_pet(ctx.s, pet.id, ctx.turn.now) or []:
            rows.append((appt, pet))
    if not rows:
        reply.say("utter_no_upcoming")
        return show_menu(ctx, reply, again=True)
    rows.sort(key=lambda r: r[0].start)
    ctx.flow["mode"] = "appointments"
    if wants and _action_enabled(ctx, wants):
        ctx.flow["mode"] = WANTS_MODES[wants]
        candidates = [request.Candidate(appt.id, pet.name, tuple(_appt_service_names(ctx, appt)),
                                        ctx.local(appt.start).date()) for appt, pet in rows]
        meant = set(request.appointments_meant(ctx.turn.text, ctx.today, candidates))
        if len(meant) == 1:
            appt = next(appt for appt, _ in rows if appt.id in meant)
            ctx.flow["appt_id"] = appt.id
            return _appt_action(ctx, reply, appt, wants)
        rows = [r for r in rows if r[0].id in meant] or rows
    buttons = [_appt_button(ctx, appt, pet, "appt") for appt, pet in rows[:10]]
    ask(ctx, reply, "pick_appt", "utter_list_upcoming", buttons)



def _appt_button(ctx: Ctx, appt: Appointment, pet: Pet | None, prefix: str) -> dict[str, str]:
    """An appointment as a list row: pet, day and time; its services under it."""
    start = ctx.local(appt.start)
    title = f"{pet.name if pet else ''} {start:%d/%m} {start:%H:%M}".strip()
    return button(title, f"{prefix}:{appt.id}", _appt_services(ctx, appt))


def _appt_service_names(ctx: Ctx, appt: Appointment) -> list[str]:
    items = ctx.s.exec(select(AppointmentItem).where(AppointmentItem.appointment_id == appt.id)
                       .order_by(AppointmentItem.position)).all()
    names = []
    for item in items:
        service = ctx.s.get(Service, item.service_id)
        if service:
            names.append(service.name)
    return names


def _appt_services(ctx: Ctx, appt: Appointment) -> str:
    return " + ".join(_appt_service_names(ctx, appt))


def _appt_vars(ctx: Ctx, appt: Appointment) -> dict[str, str]:
    start = ctx.local(appt.start)
    pet = ctx.s.get(Pet, appt.pet_id)
    return {"pet": pet.name if pet else "", "service": _appt_services(ctx, appt),
            "date": ctx.fmt_day(start.date()), "time": f"{start:%H:%M}"}


def _own_appointment(ctx: Ctx, appt_id: int) -> Appointment | None:
    appt = ctx.s.get(Appointment, appt_id)
    tutor = ctx.tutor()
    if appt is None or tutor is None or appt.tutor_id != tutor.id:
        return None
    return appt


def _action_enabled(ctx: Ctx, action: str) -> bool:
    """Whether the shop lets the bot ``action`` ("cancelar"/"remarcar") an appointment."""
    if action == "cancelar":
        return ctx.settings.cancel_enabled
    return action == "remarcar" and ctx.settings.reschedule_enabled


def step_pick_appt(ctx: Ctx, reply: Reply) -> None:
    value = picked(ctx, "appt")
    appt = _own_appointment(ctx, int(value)) if value else None
    if appt is None:
        return misunderstood(ctx, reply)
    ctx.flow["appt_id"] = appt.id
    wants = next((w for w, mode in WANTS_MODES.items() if mode == ctx.flow.get("mode")), None)
    if wants:  # "quero cancelar" then the appointment picked: no second question
        return _appt_action(ctx, reply, appt, wants)
    buttons = [button(label, f"appt_acao:{action}")
               for label, action in (("Remarcar", "remarcar"), ("Cancelar", "cancelar"))
               if _action_enabled(ctx, action)]
    buttons.append(button("Voltar", "appt_acao:voltar"))
    ask(ctx, reply, "appt_action", "utter_appt_actions", buttons, **_appt_vars(ctx, appt))


def step_appt_action(ctx: Ctx, reply: Reply) -> None:
    value = picked(ctx, "appt_acao")
    if value is None and ctx.turn.option is None and ctx.turn.confidence >= 0.6:
        value = {"cancelar": "cancelar", "remarcar": "remarcar"}.get(ctx.turn.intent or "")
        if value:
            understood(ctx)
    if value is None:
        return misunderstood(ctx, reply)
    appt = _own_appointment(ctx, ctx.flow["appt_id"])
    if value == "voltar" or appt is None:
        return show_menu(ctx, reply, again=True)
    _appt_action(ctx, reply, appt, value)


def _appt_action(ctx: Ctx, reply: Reply, appt: Appointment, value: str) -> None:
    """Cancel (asked to confirm first) or reschedule ``appt`` (``flow["appt_id"]``), unless
    the core's minimum notice refuses it."""
    refusal = notice.change_refusal(ctx.settings, value, ctx.local(appt.start), ctx.turn.now)
    if refusal is not None:
        # Shown before asking anything: the words the core raises when it acts.
        reply.text(refusal)
        return handoff(ctx, reply, "antecedência mínima não atendida")
    if value == "cancelar":
        ctx.flow["mode"] = "cancel"
        buttons = [button("Sim, cancelar", "cancela:sim"), button("Não", "cancela:nao")]
        return ask(ctx, reply, "confirm_cancel", "utter_confirm_cancel", buttons,
                   **_appt_vars(ctx, appt))
    return start_reschedule(ctx, reply, appt)


def step_confirm_cancel(ctx: Ctx, reply: Reply) -> None:
    value = _yes_no(ctx, "cancela")
    if value is None:
        return misunderstood(ctx, reply)
    if value == "nao":
        return show_menu(ctx, reply, again=True)
    if _completes_form(ctx, CANCEL_FORM):
        return None  # its finishing action cancels
    do_cancel(ctx, reply)


def do_cancel(ctx: Ctx, reply: Reply) -> None:
    """Cancel the appointment ``flow["appt_id"]`` through the core; a paid one (or one the
    core refuses) goes to a person with the core's words."""
    from scheduler_core.agenda.models import AppointmentStatus
    from scheduler_core.kernel.errors import CoreError
    from scheduler_core.scheduling import visit_status

    appt = _own_appointment(ctx, ctx.flow["appt_id"])
    if appt is None:
        return show_menu(ctx, reply, again=True)
    if appt.status == AppointmentStatus.CANCELADO:
        # A retried action: the cancellation already happened.
        reply.say("utter_cancelled", **_appt_vars(ctx, appt))
        return show_menu(ctx, reply, again=True)
    try:
        visit_status.cancel(ctx.engine, appointment_id=appt.id, now=ctx.turn.now, actor="bot",
                            channel="bot", reason="cancelado pelo tutor no WhatsApp")
    except Busy:
        raise  # the whole turn is retried, then the tutor is asked to send it again
    except CoreError as exc:
        reply.text(exc.message)
        if exc.code == "paid_not_cancellable_by_bot":
            return handoff(ctx, reply, "cancelamento de agendamento pago")
        return handoff(ctx, reply, f"cancelamento recusado: {exc.code}")
    ctx.s.expire_all()
    reply.say("utter_cancelled", **_appt_vars(ctx, appt))
    show_menu(ctx, reply, again=True)


def start_reschedule(ctx: Ctx, reply: Reply, appt: Appointment) -> None:
    from scheduler_core.scheduling.snapshot import bot_rules  # noqa: F401 - fail early if missing

    items = ctx.s.exec(select(AppointmentItem).where(AppointmentItem.appointment_id == appt.id)
                       .order_by(AppointmentItem.position)).all()
    service_ids = [it.service_id for it in items]
    emp: dict[str, int] = {}
    for it in items:
        service = ctx.s.get(Service, it.service_id)
        if service is not None:
            emp.setdefault(str(service.category_id), it.employee_id)
    ctx.flow.update({
        "mode": "reschedule", "pet_id": appt.pet_id, "service_ids": service_ids,
        "service_name": _appt_services(ctx, appt), "emp": emp, "emp_soft": True, "page": 0,
        "leva": bool(appt.leva_e_traz),
    })
    show_slots(ctx, reply)


def do_reschedule(ctx: Ctx, reply: Reply) -> None:
    from scheduler_core.kernel.errors import CoreError
    from scheduler_core.scheduling import booking

    chosen = ctx.flow["chosen"]
    appt = _own_appointment(ctx, ctx.flow["appt_id"])
    start = datetime.fromisoformat(chosen["start"])
    if appt is None:
        return show_menu(ctx, reply, again=True)
    if ctx.local(appt.start) == start:
        # A retried action: the move already happened.
        reply.say("utter_rescheduled", date=ctx.fmt_day(start.date()), time=f"{start:%H:%M}")
        return show_menu(ctx, reply, again=True)
    try:
        booking.reschedule(ctx.engine, appointment_id=appt.id, token=chosen["token"],
                           now=ctx.turn.now, secret=ctx.secret, actor="bot", channel="bot")
    except Busy:
        raise  # the whole turn is retried, then the tutor is asked to send it again
    except CoreError as exc:
        reply.text(exc.message)
        if exc.code in ("slot_taken", "pet_busy", "token_expired", "token_invalid"):
            ctx.flow.pop("chosen", None)
            return show_slots(ctx, reply)
        return handoff(ctx, reply, f"remarcação recusada: {exc.code}")
    ctx.s.expire_all()
    reply.say("utter_rescheduled", date=ctx.fmt_day(start.date()), time=f"{start:%H:%M}")
    show_menu(ctx, reply, again=True)


# --------------------------------------------------------------------------- notification replies


def _appointment_entity(ctx: Ctx) -> int | None:
    """The appointment a notification's button names (``agendamento_id``); None when absent
    or not a plausible id (a forged payload)."""
    raw = str(ctx.turn.entities.get("agendamento_id") or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def _after_notice_reply(ctx: Ctx, reply: Reply, *, menu: bool) -> None:
    """Mid-flow, the question asked before the reply is asked again (in a form the form asks
    it); outside a flow the menu follows when ``menu``."""
    step = ctx.flow.get("step")
    if step and step != "menu":
        _reprompt(ctx, reply)
    elif menu:
        show_menu(ctx, reply, again=True)


def _release_snapshot(ctx: Ctx) -> None:
    """End the turn's transaction (only reads so far: nothing is pending) before a core
    service writes through its own session. On SQLite the turn's later write (the Robô record)
    would otherwise fail on the stale snapshot and run the whole turn again, which would then
    find its own confirmation done and answer as if nothing was waiting."""
    if not (ctx.s.new or ctx.s.dirty or ctx.s.deleted):
        ctx.s.commit()


def confirm_appointment(ctx: Ctx, reply: Reply, appt_id: int) -> None:
    """Confirmar (scheduling.confirmation.confirm_by_tutor): the visit is Confirmado; the
    core's sentence when it is not the tutor's, cancelled, past or started."""
    from scheduler_core.kernel.errors import CoreError
    from scheduler_core.scheduling import confirmation

    tutor = ctx.tutor()
    tutor_id = tutor.id if tutor else None
    if ctx.flow.get("step") == "pick_confirm":
        reset_flow(ctx)
    _release_snapshot(ctx)  # no read through ctx.s until the core's write is done
    try:
        done = confirmation.confirm_by_tutor(ctx.engine, appointment_id=appt_id,
                                             tutor_id=tutor_id, now=ctx.turn.now)
    except Busy:
        raise  # the whole turn is retried, then the tutor is asked to send it again
    except CoreError as exc:
        reply.text(exc.message)
        return _after_notice_reply(ctx, reply, menu=True)
    understood(ctx)
    # The same words when it was confirmed already: a second tap, or this turn run again
    # (handle retries a turn whose unit of work met a write from another session).
    reply.say("utter_appt_confirmed", **_appt_vars(ctx, done.appointment))
    _after_notice_reply(ctx, reply, menu=True)


def confirm_typed(ctx: Ctx, reply: Reply) -> None:
    """"Confirmo o horário" typed, no button: the one visit waiting for a confirmation, or the
    tutor picks among them (scheduling.confirmation.awaiting); none waiting: the visits
    already confirmed are listed."""
    from scheduler_core.scheduling import confirmation

    tutor = ctx.tutor()
    rows = confirmation.awaiting(ctx.s, tutor.id, ctx.turn.now) if tutor else []
    if not rows:
        # Nothing waiting: what is confirmed already, if anything (also the answer when this
        # turn runs again after confirming the only one).
        done = confirmation.confirmed_ahead(ctx.s, tutor.id, ctx.turn.now) if tutor else []
        if done:
            lines = "\n".join("• {service} · {pet} · {date} às {time}".format(
                **_appt_vars(ctx, appt)) for appt in done[:5])
            reply.say("utter_all_confirmed", appointments=lines)
        else:
            reply.say("utter_nothing_to_confirm")
        return show_menu(ctx, reply, again=True)
    if len(rows) == 1:
        return confirm_appointment(ctx, reply, rows[0].id)
    reset_flow(ctx)
    buttons = [_appt_button(ctx, appt, ctx.s.get(Pet, appt.pet_id), "confirmar")
               for appt in rows[:10]]
    ask(ctx, reply, "pick_confirm", "utter_ask_which_confirm", buttons)


def step_pick_confirm(ctx: Ctx, reply: Reply) -> None:
    value = picked(ctx, "confirmar")
    if value is None and _appointment_entity(ctx) is None:
        return misunderstood(ctx, reply)
    confirm_appointment(ctx, reply, int(value) if value else _appointment_entity(ctx))


def change_from_notice(ctx: Ctx, reply: Reply, appt_id: int, action: str) -> None:
    """Remarcar / Cancelar on a notification: the flows of "Meus agendamentos" for THAT
    appointment, without asking which one (the same notice and paid-visit checks)."""
    from scheduler_core.kernel.errors import CoreError
    from scheduler_core.scheduling import confirmation

    tutor = ctx.tutor()
    reset_flow(ctx)
    understood(ctx)
    try:
        appt = confirmation.open_for_tutor(ctx.s, appointment_id=appt_id,
                                           tutor_id=tutor.id if tutor else None,
                                           now=ctx.turn.now)
    except CoreError as exc:
        reply.text(exc.message)
        return show_menu(ctx, reply, again=True)
    enabled = ctx.settings.reschedule_enabled if action == "remarcar" else \
        ctx.settings.cancel_enabled
    if not enabled:
        reply.say("utter_change_needs_staff", action=action)
        return handoff(ctx, reply, f"{'remarcação' if action == 'remarcar' else 'cancelamento'}"
                                   " pelo robô desativado")
    ctx.flow["appt_id"] = appt.id
    _appt_action(ctx, reply, appt, action)


def switch_notifications(ctx: Ctx, reply: Reply, *, off: bool) -> None:
    """"Parar" / "voltar a receber": the tutor's notifications off or on
    (notifications.optout.set_opt_out); the bot itself keeps answering."""
    from scheduler_core.notifications.optout import set_opt_out

    tutor = ctx.tutor()
    if tutor is None:
        reply.say("utter_notifications_unknown")
    else:
        set_opt_out(ctx.s, tutor.id, off, now=ctx.turn.now)
        reply.say("utter_notifications_off" if off else "utter_notifications_on",
                  tutor=tutor.name.split()[0] if tutor.name else "")
    understood(ctx)
    _after_notice_reply(ctx, reply, menu=False)


# --------------------------------------------------------------------------- day care (creche)
# Menu "Creche e hotel" when the shop has a creche segment: the tutor and pet steps of a booking,
# the creche service, then a day or a range of days typed ("15/12", "de 15/12 a 19/12",
# "segunda a sexta"), a summary and one call to scheduling.day_care.book_days (all or nothing;
# full days named). Hotel stays (nights with check-in/check-out) stay with the staff: the days
# question says so and "atendente" hands off.


def ask_creche_days(ctx: Ctx, reply: Reply) -> None:
    hotel = SegmentKind.HOTEL in _segment_kinds(ctx)
    ask(ctx, reply, "creche_days", "utter_ask_creche_days_hotel" if hotel
        else "utter_ask_creche_days", **ctx.pet_words(ctx.pet()))


def step_creche_days(ctx: Ctx, reply: Reply) -> None:
    today = ctx.turn.now.astimezone(ZoneInfo(ctx.shop.timezone)).date()
    days = parse_day_range_ptbr(ctx.turn.text or "", today)
    if days is None:
        return misunderstood(ctx, reply)
    understood(ctx)
    first, last = days
    ctx.flow["creche_days"] = [first.isoformat(), last.isoformat()]
    when = f"{first:%d/%m}" if first == last else f"{first:%d/%m} a {last:%d/%m}"
    ask(ctx, reply, "creche_confirm", "utter_confirm_creche",
        [button("Confirmar", "creche:sim"), button("Mudar os dias", "creche:dias"),
         button("Cancelar", "creche:nao")],
        pet=ctx.pet().name, service=ctx.flow.get("service_name", "Creche"), days=when)


def step_creche_confirm(ctx: Ctx, reply: Reply) -> None:
    from scheduler_core.kernel.errors import CoreError
    from scheduler_core.scheduling import day_care

    value = _yes_no(ctx, "creche")
    if value is None:
        return misunderstood(ctx, reply)
    if value == "nao":
        reply.say("utter_booking_dropped")
        return show_menu(ctx, reply, again=True)
    if value == "dias":
        return ask_creche_days(ctx, reply)
    first, last = (date.fromisoformat(d) for d in ctx.flow["creche_days"])
    pet = ctx.pet()
    pet_id, pet_name, zone = pet.id, pet.name, ctx.shop.timezone
    # book_days writes through its own session: no read through ctx.s until it is done (an
    # expired attribute read would open a snapshot that the turn's own write then finds stale)
    _release_snapshot(ctx)
    try:
        result = day_care.book_days(ctx.engine, pet_id=pet_id,
                                    service_id=ctx.flow["service_ids"][0], first=first,
                                    last=last, now=ctx.turn.now, actor="bot", origin="bot")
    except Busy:
        raise
    except CoreError as exc:
        reply.text(exc.message)
        return ask_creche_days(ctx, reply)
    from scheduler_core.kernel.clock import from_utc_naive

    booked = [from_utc_naive(a.start, zone).date() for a in result.appointments]
    total = sum(a.total_cents for a in result.appointments)
    reply.say("utter_creche_booked", pet=pet_name, days=day_care.days_text(booked),
              count=plural(len(booked), "diária"), total=format_brl(total))
    if result.skipped:
        reply.say("utter_creche_skipped", days=day_care.days_text(list(result.skipped)))
    reset_flow(ctx)
    show_menu(ctx, reply, again=True)


STEPS = {
    "creche_days": step_creche_days,
    "creche_confirm": step_creche_confirm,
    "tutor_name": step_tutor_name,
    "tutor_cpf": step_tutor_cpf,
    "pick_pet": step_pick_pet,
    "pet_name": step_pet_name,
    "species": step_species,
    "breed": step_breed,
    "porte": step_porte,
    "pelagem": step_pelagem,
    "sex": step_sex,
    "birth_date": step_birth_date,
    "weight": step_weight,
    "service": step_service,
    "addons": step_addons,
    "leva": step_leva,
    "employee": step_employee,
    "period": step_period,
    "slot": step_slot,
    "confirm": step_confirm,
    "ask_same_other_pet": step_same_other_pet,
    "repeat": step_repeat,
    "pick_appt": step_pick_appt,
    "appt_action": step_appt_action,
    "confirm_cancel": step_confirm_cancel,
    "pick_confirm": step_pick_confirm,
}
