"""The Rasa engine fixtures (a seeded database, the action server and the engine).

Registered once for the whole suite by tests/conftest.py, so tests/bot and tests/whatsapp share
one engine per test session.

``bot`` (session scope) migrates a temporary SQLite database, loads the demo shop at a fixed
"now" (``NOW``, also given to the action server through PETBOT_FAKE_NOW), trains the model when
its inputs changed (scripts/train.sh), starts the action server and ``rasa run --enable-api`` on
free loopback ports with Redis tracker and lock stores (REDIS_URL, db 15), waits for both, and
stops them at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from scheduler_core.db.engine import make_engine
from scheduler_core.db.migrate import upgrade
from scheduler_core.people.models import Tutor

ROOT = Path(__file__).resolve().parents[2]
# A Tuesday, 10:00 in São Paulo: the shop is open, today and tomorrow are working days.
NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
# Redis database 15 (14, 13, … for the other pytest-xdist workers: the engine fixture flushes it).
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = os.environ.get("PETBOT_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - _WORKER}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited ({proc.returncode}); log:\n"
                               + log.read_text()[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout} s; log:\n" + log.read_text()[-3000:])


def train_model() -> str:
    out = subprocess.run(["bash", "scripts/train.sh"], cwd=ROOT, check=True,
                         stdout=subprocess.PIPE, text=True)
    return out.stdout.strip().splitlines()[-1]


@dataclass
class Bot:
    rasa_url: str
    action_url: str
    db_url: str
    engine: object
    engine_pid: int
    load_s: float

    def send(self, sender: str, message: str, phone: str | None = None,
             wa_user_id: str | None = None, profile_name: str | None = None) -> list[dict]:
        body = json.dumps({
            "sender": sender,
            "message": message,
            "metadata": {"phone": phone, "wa_user_id": wa_user_id,
                         "profile_name": profile_name, "shop_id": 1},
        }).encode()
        request = urllib.request.Request(f"{self.rasa_url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def session(self) -> Session:
        return Session(self.engine)

    def tracker(self, sender: str) -> dict:
        """The engine's tracker of ``sender`` (slots, active loop, events)."""
        with urllib.request.urlopen(f"{self.rasa_url}/conversations/{sender}/tracker",
                                    timeout=30) as response:
            return json.loads(response.read())


class Chat:
    """One tutor talking to the bot; keeps the last buttons so tests can tap by title."""

    def __init__(self, bot: Bot, phone: str | None, wa_user_id: str | None = None,
                 profile_name: str | None = None) -> None:
        self.bot = bot
        self.profile_name = profile_name
        self.phone = phone
        self.wa_user_id = wa_user_id
        self.sender = wa_user_id or phone or f"anon-{uuid.uuid4().hex[:8]}"
        self.last: list[dict] = []
        self.transcript: list[tuple[str, list[dict]]] = []

    def say(self, text: str) -> list[dict]:
        self.last = self.bot.send(self.sender, text, self.phone, self.wa_user_id,
                                  self.profile_name)
        self.transcript.append((text, self.last))
        return self.last

    @property
    def log(self) -> str:
        """The conversation so far, for assertion messages."""
        return "\n".join(f"{said!r} -> {[m.get('text', '')[:70] for m in got]}"
                         for said, got in self.transcript)

    @property
    def texts(self) -> list[str]:
        return [m.get("text", "") for m in self.last if "text" in m]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def buttons(self) -> list[dict]:
        return [b for m in self.last for b in m.get("buttons") or []]

    @property
    def titles(self) -> list[str]:
        return [b["title"] for b in self.buttons]

    @property
    def customs(self) -> list[dict]:
        return [m["custom"] for m in self.last if "custom" in m]

    def tap(self, title: str) -> list[dict]:
        for b in self.buttons:
            if b["title"] == title:
                return self.say(b["payload"])
        raise AssertionError(f"no button {title!r}; buttons: {self.titles}; text: {self.text}")

    def bath_for(self, pet_name: str) -> list[dict]:
        """"oi", the menu's "Banho e tosa", then the pet: at the service question."""
        self.say("oi")
        self.tap("Banho e tosa")
        return self.tap(pet_name)

    def tap_index(self, index: int) -> list[dict]:
        return self.say(self.buttons[index]["payload"])


@pytest.fixture(scope="session")
def bot(tmp_path_factory):
    import redis

    tmp = tmp_path_factory.mktemp("bot")
    db_url = f"sqlite:///{tmp / 'bot.db'}"
    upgrade(db_url)
    engine = make_engine(db_url)
    from scheduler_core.demo import load_demo

    load_demo(engine, NOW)
    with Session(engine) as s:
        _DEMO_TUTORS.update(s.exec(select(Tutor.id)).all())
    redis.Redis.from_url(REDIS_URL).flushdb()
    model = train_model()
    action_port, rasa_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "SECRET_KEY": "test-secret",
        "PETBOT_VAR": str(tmp),
        "PETBOT_FAKE_NOW": NOW.isoformat(),
        "SANIC_HOST": "127.0.0.1",
        "ACTION_PORT": str(action_port),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
        "RASA_PORT": str(rasa_port),
        "PETBOT_MODEL": model,
        "REDIS_URL": REDIS_URL,
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
    }
    action_log, engine_log = tmp / "actions.log", tmp / "engine.log"
    actions = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-m", "rasa_sdk", "--actions", "actions",
         "-p", str(action_port)],
        cwd=ROOT, env=env, stdout=action_log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started = time.monotonic()
    rasa = subprocess.Popen(
        ["bash", "scripts/run_engine.sh"], cwd=ROOT, env=env,
        stdout=engine_log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{action_port}/health", actions, 60, action_log)
        wait_http(f"http://127.0.0.1:{rasa_port}/status", rasa, 400, engine_log)
        load_s = time.monotonic() - started
        # /status answers before the model is loaded: wait until it reports a model.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{rasa_port}/status") as response:
                if json.loads(response.read()).get("model_file"):
                    break
            time.sleep(0.5)
        load_s = time.monotonic() - started
        print(f"\n[bot] engine up and model loaded in {load_s:.1f} s")
        yield Bot(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}", db_url,
                  engine, rasa.pid, load_s)
    finally:
        for proc in (rasa, actions):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in (rasa, actions):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        engine.dispose()


@pytest.fixture
def chat_with(bot):
    """A factory of chats: ``chat_with(phone)`` or ``chat_with(None, wa_user_id=...)``."""

    def make(phone: str | None, wa_user_id: str | None = None,
             profile_name: str | None = None) -> Chat:
        return Chat(bot, phone, wa_user_id, profile_name)

    return make


def tutor_with_pets(bot: Bot, n_pets: int = 1, history: bool = False):
    """A demo tutor with exactly ``n_pets`` living pets (and past visits when ``history``),
    not used by another test (each test takes a different one); when none is left, a fresh one.

    Never a tutor another test registered through the bot: its conversation is that test's,
    left wherever it stopped (e.g. at "Qual serviço você quer para o Thor?", where "quanto custa
    o banho?" picks Banho instead of answering), so the test would depend on which tests ran
    before it and how many demo tutors they took."""
    from scheduler_core.agenda.models import Appointment
    from scheduler_core.people.models import Pet, PetStatus

    with bot.session() as s:
        for tutor in s.exec(select(Tutor).order_by(Tutor.id)).all():
            if (tutor.id in _TAKEN or tutor.id not in _DEMO_TUTORS or not tutor.whatsapp
                    or not tutor.allow_bot):
                continue
            pets = s.exec(select(Pet).where(Pet.tutor_id == tutor.id,
                                            Pet.status != PetStatus.FALECIDO)).all()
            if len(pets) != n_pets:
                continue
            past = s.exec(select(Appointment).where(Appointment.tutor_id == tutor.id,
                                                    Appointment.start < NOW)).first()
            if history and past is None:
                continue
            _TAKEN.add(tutor.id)
            return tutor, list(pets)
        if history:
            raise LookupError("no demo tutor with past visits left")
        return _new_tutor(s, n_pets)


def _new_tutor(s, n_pets: int):
    """When the demo's tutors of that shape are all taken: a fresh tutor whose pets copy a demo
    dog (same breed, porte and pelagem, so the demo's prices apply)."""
    from scheduler_core.people.models import Pet

    model = s.exec(select(Pet).where(Pet.species == "cao", Pet.porte.is_not(None),
                                     Pet.pelagem.is_not(None)).order_by(Pet.id)).first()
    first = s.exec(select(Tutor).order_by(Tutor.id)).first()
    k = len(_TAKEN)
    tutor = Tutor(shop_id=first.shop_id, name=f"Tutor Extra {k}", whatsapp=f"+551197700{k:04d}")
    s.add(tutor)
    s.flush()
    pets = [Pet(tutor_id=tutor.id, name=name, species="cao", breed_id=model.breed_id,
                porte=model.porte, pelagem=model.pelagem)
            for name in ["Bidu", "Nina", "Faísca"][:n_pets]]
    s.add_all(pets)
    s.commit()
    for pet in pets:
        s.refresh(pet)
    s.refresh(tutor)
    _TAKEN.add(tutor.id)
    return tutor, pets


_TAKEN: set[int] = set()
_DEMO_TUTORS: set[int] = set()  # the demo's tutors, read when the ``bot`` fixture loads it
