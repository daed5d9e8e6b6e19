"""A tutor's conversation with the dialogue state machine called directly (no engine): what
the bot answers, its buttons, and taps on them. Shared by the unit-level conversation tests."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from sqlmodel import Session, select

from actions.flow import (
    DONE_STEPS,
    PET_FORM,
    Turn,
    finish_form,
    form_of,
    form_prompt,
    form_turn,
    handle,
    responses,
)
from scheduler_core.people.models import Pet, PetStatus, Tutor

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
SECRET = "unit-secret"


def said(text: str, response: str) -> bool:
    """Whether ``text`` holds one of the variations of ``response`` (one without variables)."""
    return any(variation in text for variation in responses()[response])


def turn_of(text: str, intent: str | None, confidence: float, *, phone: str | None,
            now: datetime, shop_id: int = 1, profile_name: str | None = None) -> Turn:
    """What the action server gets for a message: typed text with the NLU's reading given, or
    a tapped payload ("/informar{"opcao":"pet:3"}": its intent, the option, the entities)."""
    option, entities = None, {}
    match = re.fullmatch(r"/(\w+)(\{.*\})?", text)
    if match:
        intent, confidence, text = match.group(1), 1.0, ""
        entities = {k: str(v) for k, v in json.loads(match.group(2) or "{}").items()}
        option = entities.pop("opcao", None)
    return Turn(intent=intent, confidence=confidence, text=text, entities=entities,
                option=option, sender=phone or "x", phone=phone, wa_user_id=None,
                profile_name=profile_name, shop_id=shop_id, now=now)


class Conversation:
    """The bot's last answer (``messages``) as a tutor reads it, and taps on its buttons."""

    messages: list[dict]

    def say(self, text: str, intent: str | None = None, confidence: float = 1.0): ...

    @property
    def text(self) -> str:
        return "\n".join(m.get("text", "") for m in self.messages)

    @property
    def titles(self) -> list[str]:
        return [b["title"] for m in self.messages for b in m.get("buttons") or []]

    def tap(self, title: str):
        for m in self.messages:
            for b in m.get("buttons") or []:
                if b["title"] == title:
                    return self.say(b["payload"])
        raise AssertionError(f"no {title!r} in {self.titles}: {self.text}")


class Driver(Conversation):
    """The state machine alone (action_petbot's turn), one tutor."""

    def __init__(self, engine, phone: str | None, now: datetime = NOW,
                 profile_name: str | None = None, *, shop_id: int = 1) -> None:
        self.engine, self.phone, self.flow, self.messages = engine, phone, {}, []
        self.now, self.profile_name, self.shop_id = now, profile_name, shop_id
        self.handoff = None

    def say(self, text: str, intent: str | None = None, confidence: float = 1.0):
        turn = turn_of(text, intent, confidence, phone=self.phone, now=self.now,
                       shop_id=self.shop_id, profile_name=self.profile_name)
        reply = handle(self.engine, turn, self.flow, SECRET)
        self.flow, self.messages, self.handoff = reply.flow, reply.messages, reply.handoff
        return reply

    def to_slots(self, period: str | None = "Tarde") -> None:
        """Past the add-ons (none), Leva e Traz (no), the professional (any) and the period
        (``period``; None stops at that question) to the times."""
        for _ in range(6):
            titles = self.titles
            if "Não, obrigado" in titles and "Sim" not in titles:
                self.tap("Não, obrigado")
            elif "Não, eu levo" in titles:
                self.tap("Não, eu levo")
            elif "Tanto faz" in titles:
                self.tap("Tanto faz")
            elif "Manhã" in titles and period:
                self.tap(period)
            else:
                return


class FormDriver(Driver):
    """Plays Rasa's part: action_petbot (handle with handover) until it starts a form, then
    validate_<form> (form_turn) and the form's question; when the form ends, its finishing
    action (finish_form), which may start the next form (pet_form → booking_form)."""

    def __init__(self, engine, phone: str | None, now: datetime = NOW,
                 profile_name: str | None = None, *, shop_id: int = 1) -> None:
        super().__init__(engine, phone, now, profile_name, shop_id=shop_id)
        self.form: str | None = None

    @property
    def form_active(self) -> bool:
        """pet_form is active."""
        return self.form == PET_FORM

    def _turn(self, text: str, intent: str | None, confidence: float) -> Turn:
        return turn_of(text, intent, confidence, phone=self.phone, now=self.now,
                       shop_id=self.shop_id, profile_name=self.profile_name)

    def say(self, text: str, intent: str | None = None, confidence: float = 0.5):
        turn = self._turn(text, intent, confidence)
        self.messages, self.interrupted = [], False
        if self.form:
            reply = form_turn(self.engine, turn, self.flow, SECRET, form=self.form)
            if reply.interrupted:  # Rasa's rules give the turn to action_petbot
                self.interrupted = True
                return self._petbot(turn, form_active=True)
            self._take(reply)
            if form_of(self.flow) == self.form and self.flow["step"] not in DONE_STEPS.values():
                self._ask()
            else:  # the form ended: its finishing action (data/rules.yml)
                self.form = None
                self._take(finish_form(self.engine, turn, self.flow, SECRET))
                self._start()
            return reply
        return self._petbot(turn, form_active=False)

    def _petbot(self, turn: Turn, form_active: bool):
        reply = handle(self.engine, turn, self.flow, SECRET, handover=True,
                       form_active=form_active)
        self._take(reply)
        if self._start():
            pass
        elif form_of(self.flow) != self.form:
            self.form = None
        elif form_active:
            self._ask()  # an FAQ answered: the form asks again
        return reply

    def _start(self) -> bool:
        form = self.flow.pop("start_form", None)
        if form:
            self.form = form
            self._ask()
        return bool(form)

    def _take(self, reply) -> None:
        self.flow = reply.flow
        self.messages += reply.messages
        self.handoff = self.handoff or reply.handoff

    def _ask(self) -> None:
        message = form_prompt(self.flow)
        if message is not None:
            self.messages.append(message)
        self.flow.pop("ask_again", None)


def tutor_with_pets(engine, n_pets: int) -> tuple[Tutor, list[Pet]]:
    """The first demo tutor on WhatsApp, bot allowed, with ``n_pets`` living pets of distinct
    names (a pet named in a message must point at one)."""
    with Session(engine) as s:
        for tutor in s.exec(select(Tutor).order_by(Tutor.id)).all():
            pets = s.exec(select(Pet).where(Pet.tutor_id == tutor.id,
                                            Pet.status != PetStatus.FALECIDO)).all()
            if len(pets) == n_pets and len({p.name for p in pets}) == n_pets \
                    and tutor.whatsapp and tutor.allow_bot:
                return tutor, list(pets)
    raise AssertionError(f"the demo shop has no tutor with {n_pets} pets")


def new_tutor_at(bot: Driver, step: str) -> None:
    """A brand-new tutor walked from "quero agendar" to ``step`` of the registration."""
    moves = {
        "tutor_name": lambda: bot.say("Carla Dias", "informar", 0.5),
        "pet_name": lambda: bot.say("Rex", "informar", 0.5),
        "species": lambda: bot.tap("Cão"),
        "breed": lambda: (bot.say("poodle"), bot.tap("Poodle")),
        "porte": lambda: bot.tap("Pequeno"),
    }
    bot.say("quero agendar um banho", "agendar_banho_tosa", 0.99)
    while bot.flow["step"] != step:
        moves[bot.flow["step"]]()
