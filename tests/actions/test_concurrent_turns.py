"""Nine new tutors answer the name question at the same moment (issue 8, finding 1): through the
real custom action (``ActionPetbot.run`` → ``actions.flow.handle`` in a worker thread), each in
its own thread, on SQLite and PostgreSQL. Every tutor is registered and gets the next question
(the pet's name, asked by pet_form, which the action starts); nobody gets "Desculpe, tive um
problema aqui"."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import text
from sqlmodel import Session, select

import actions.actions as action_module
from actions.flow import Turn, handle, render
from scheduler_core.db.engine import make_engine, write_session
from scheduler_core.demo import load_demo
from scheduler_core.people.models import Tutor

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
SECRET = "unit-secret"
TUTORS = 9
NAMES = ["Mariana Souza", "Pedro Alves", "Juliana Costa", "Rafael Lima", "Camila Rocha",
         "Bruno Dias", "Larissa Melo", "Thiago Nunes", "Patrícia Gomes"]


def _phone(n: int) -> str:
    return f"+55119880000{n:02d}"


def _asked_name(engine, phone: str) -> dict:
    """A new tutor asks for a bath: the bot asks for the name (the flow state to answer it)."""
    turn = Turn(intent="agendar_banho_tosa", confidence=0.99, text="quero agendar um banho",
                entities={}, option=None,
                sender=phone, phone=phone, wa_user_id=None, profile_name=None, shop_id=1,
                now=NOW)
    reply = handle(engine, turn, {}, SECRET)
    assert reply.flow.get("step") == "tutor_name", reply.messages
    return reply.flow


def _tracker(phone: str, text: str, flow: dict) -> Tracker:
    latest = {"text": text, "intent": {"name": "informar", "confidence": 0.6}, "entities": [],
              "metadata": {"phone": phone, "shop_id": 1}}
    return Tracker(phone, {"flow": flow}, latest, [], False, None, {}, "action_listen")


def _answer_together(engine, flows: list[dict]) -> list[list[str]]:
    """All tutors send their name at once; each gets what the action would send."""
    barrier = threading.Barrier(len(flows))

    def one(n: int) -> list[str]:
        dispatcher = CollectingDispatcher()
        tracker = _tracker(_phone(n), NAMES[n], flows[n])
        barrier.wait()
        events = asyncio.run(action_module.ActionPetbot().run(dispatcher, tracker, {}))
        # The pet's name is pet_form's first question: the action starts the form.
        followups = [e["name"] for e in events if e.get("event") == "followup"]
        return [m.get("text") or "" for m in dispatcher.messages] + followups

    with ThreadPoolExecutor(max_workers=len(flows)) as pool:
        return list(pool.map(one, range(len(flows))))


@pytest.fixture
def shop(db_engine, monkeypatch):
    return _demo_shop(db_engine, monkeypatch)


@pytest.fixture
def sqlite_shop(sqlite_engine, monkeypatch):
    """SQLite only: a whole-database write lock is SQLite's (PostgreSQL locks rows)."""
    return _demo_shop(sqlite_engine, monkeypatch)


def _demo_shop(engine, monkeypatch):
    load_demo(engine, NOW)
    monkeypatch.setattr(action_module, "_engine_and_secret", lambda: (engine, SECRET))
    monkeypatch.setenv("PETBOT_FAKE_NOW", NOW.isoformat())
    return engine


def test_nine_tutors_answering_the_name_question_at_once_are_all_registered(shop):
    flows = [_asked_name(shop, _phone(n)) for n in range(TUTORS)]
    replies = _answer_together(shop, flows)
    for n, texts in enumerate(replies):
        assert texts == [render("utter_tutor_saved", tutor=NAMES[n].split()[0]),
                         "pet_form"], texts  # the form then asks render("utter_ask_pet_name")
    with Session(shop) as s:
        saved = {t.whatsapp: t.name for t in s.exec(select(Tutor)).all()}
    assert {_phone(n): NAMES[n] for n in range(TUTORS)}.items() <= saved.items()


def test_a_tutor_gets_the_busy_reply_and_keeps_the_step_when_the_database_stays_locked(
        sqlite_shop, monkeypatch):
    """The database held by another writer longer than the action's budget: the tutor is asked
    to send it again (never "tive um problema"), nothing is saved, the step stays the name."""
    shop = sqlite_shop
    flow = _asked_name(shop, _phone(0))
    short = make_engine(shop.url.render_as_string(hide_password=False), lock_wait_s=0.3)
    monkeypatch.setattr(action_module, "_engine_and_secret", lambda: (short, SECRET))
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with write_session(shop) as s:
            s.execute(text("UPDATE shop SET name = name"))
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action_module.ActionPetbot().run(
            dispatcher, _tracker(_phone(0), NAMES[0], flow), {}))
    finally:
        release.set()
        holder.join()
        short.dispose()
    assert [m["text"] for m in dispatcher.messages] == [render("utter_busy")]
    assert "problema" not in render("utter_busy")
    assert events == []  # the flow slot is kept: the same answer works next time
    with Session(shop) as s:
        assert s.exec(select(Tutor).where(Tutor.whatsapp == _phone(0))).first() is None
