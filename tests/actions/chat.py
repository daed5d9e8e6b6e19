"""A tutor's conversation with the dialogue state machine called directly (no engine): what
the bot answers, its buttons, and taps on them. Shared by the unit-level conversation tests."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from sqlmodel import Session, select

from actions.flow import Turn, handle
from scheduler_core.people.models import Pet, PetStatus, Tutor

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
SECRET = "unit-secret"


class Driver:
    def __init__(self, engine, phone: str | None, now: datetime = NOW,
                 profile_name: str | None = None) -> None:
        self.engine, self.phone, self.flow, self.messages = engine, phone, {}, []
        self.now, self.profile_name = now, profile_name

    def say(self, text: str, intent: str | None = None, confidence: float = 1.0):
        option = None
        match = re.fullmatch(r"/(\w+)(\{.*\})?", text)
        if match:
            intent = match.group(1)
            option = json.loads(match.group(2) or "{}").get("opcao")
            text = ""
        turn = Turn(intent=intent, confidence=confidence, text=text, entities={}, option=option,
                    sender=self.phone or "x", phone=self.phone, wa_user_id=None,
                    profile_name=self.profile_name, shop_id=1, now=self.now)
        reply = handle(self.engine, turn, self.flow, SECRET)
        self.flow, self.messages = reply.flow, reply.messages
        return reply

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

    def to_slots(self) -> None:
        for _ in range(6):
            titles = self.titles
            if "Não, obrigado" in titles and "Sim" not in titles:
                self.tap("Não, obrigado")
            elif "Não, eu levo" in titles:
                self.tap("Não, eu levo")
            elif "Tanto faz" in titles:
                self.tap("Tanto faz")
            elif "Manhã" in titles:
                self.tap("Tarde")
            else:
                return


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
