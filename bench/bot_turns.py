"""Bot pipeline throughput: N concurrent simulated tutors book through engine + actions.

Starts (unless --rasa-url is given) the action server and the Rasa engine on free loopback ports
over a temporary SQLite database seeded with the demo shop, then lets N tutors run the booking
flow at once (greeting → Banho e tosa → pet → service → add-ons → Leva e Traz → professional →
period → slot → confirm), each turn a POST to the REST channel as the WhatsApp gateway sends it.
Prints turns/s, p50/p95/max latency per turn, bookings made, the CPU each process spends per
turn under the load, the engine's and the action server's RSS, and the NLU-only latency
(/model/parse) to show where the time goes.

    .venv/bin/python bench/bot_turns.py [--tutors 16] [--rounds 2] [--redis]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tree(pid: int) -> list[int]:
    """A process and its children (the engine runs under scripts/run_engine.sh)."""
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        pids += [int(p) for p in children.stdout.split()]
    except OSError:
        pass
    return pids


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process and its children have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for one in _tree(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    for one in _tree(pid):
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def wait_http(url: str, proc: subprocess.Popen | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"process for {url} exited ({proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body = response.read()
                if response.status == 200 and (not url.endswith("/status")
                                               or json.loads(body).get("model_file")):
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} not ready after {timeout} s")


def seed_database(url: str) -> list[tuple[str, list[str]]]:
    from sqlmodel import Session, select

    from scheduler_core.db.engine import make_engine
    from scheduler_core.db.migrate import upgrade
    from scheduler_core.demo import load_demo
    from scheduler_core.people.models import Pet, PetStatus, Tutor

    upgrade(url)
    engine = make_engine(url)
    load_demo(engine, datetime.now(UTC))
    with Session(engine) as s:
        tutors = []
        for tutor in s.exec(select(Tutor).order_by(Tutor.id)).all():
            pets = s.exec(select(Pet).where(Pet.tutor_id == tutor.id,
                                            Pet.status != PetStatus.FALECIDO)).all()
            if tutor.whatsapp and tutor.allow_bot and pets:
                tutors.append((tutor.whatsapp, [p.name for p in pets]))
    engine.dispose()
    return tutors


class Tutor:
    def __init__(self, http: aiohttp.ClientSession, rasa_url: str, phone: str, pets: list[str],
                 rng: random.Random, latencies: list[float]) -> None:
        self.http, self.rasa_url, self.phone, self.pets = http, rasa_url, phone, pets
        self.rng, self.latencies = rng, latencies
        self.messages: list[dict] = []

    async def say(self, text: str) -> None:
        body = {"sender": self.phone, "message": text,
                "metadata": {"phone": self.phone, "wa_user_id": None, "profile_name": "Bench",
                             "shop_id": 1}}
        started = time.perf_counter()
        async with self.http.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body) as resp:
            self.messages = await resp.json()
        self.latencies.append(time.perf_counter() - started)

    @property
    def buttons(self) -> list[dict]:
        return [b for m in self.messages for b in m.get("buttons") or []]

    @property
    def text(self) -> str:
        return "\n".join(m.get("text", "") for m in self.messages)

    async def tap(self, title: str) -> bool:
        for b in self.buttons:
            if b["title"] == title:
                await self.say(b["payload"])
                return True
        return False

    async def book(self) -> bool:
        """One booking; True when the bot confirmed it."""
        await self.say("oi")
        await self.tap("Banho e tosa")
        await self.tap(self.pets[0])
        if not await self.tap("Banho"):
            return False
        for _ in range(12):
            titles = [b["title"] for b in self.buttons]
            if "Agendamento confirmado" in self.text:
                return True
            if "Confirmar" in titles:
                await self.tap("Confirmar")
            elif "Não, obrigado" in titles and "Sim" not in titles:
                await self.tap("Não, obrigado")
            elif "Não, eu levo" in titles:
                await self.tap("Não, eu levo")
            elif "Tanto faz" in titles:
                await self.tap("Tanto faz")
            elif "Manhã" in titles:
                await self.tap(self.rng.choice(["Manhã", "Tarde"]))
            elif any(" às " in t for t in titles):
                slots = [t for t in titles if " às " in t]
                await self.tap(self.rng.choice(slots))
            else:
                return False
        return "Agendamento confirmado" in self.text


async def run_load(rasa_urls: list[str], tutors: list[tuple[str, list[str]]], n: int, rounds: int,
                   seed: int) -> tuple[list[float], int, int, float]:
    latencies: list[float] = []
    rng = random.Random(seed)
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        people = [Tutor(http, rasa_urls[i % len(rasa_urls)], phone, pets,
                        random.Random(rng.random()), latencies)
                  for i, (phone, pets) in enumerate(tutors[:n])]

        async def one(person: Tutor) -> int:
            done = 0
            for _ in range(rounds):
                done += await person.book()
            return done

        started = time.perf_counter()
        results = await asyncio.gather(*(one(p) for p in people))
        elapsed = time.perf_counter() - started
    return latencies, sum(results), len(people) * rounds, elapsed


async def nlu_latency(rasa_url: str, samples: int = 100) -> list[float]:
    texts = ["oi", "quero agendar um banho", "sexta à tarde", "qual o endereço?", "Thor"]
    out = []
    async with aiohttp.ClientSession() as http:
        for i in range(samples):
            started = time.perf_counter()
            async with http.post(f"{rasa_url}/model/parse", json={"text": texts[i % 5]}) as r:
                await r.read()
            out.append(time.perf_counter() - started)
    return out


def action_latency(action_url: str, tracker: dict, samples: int = 40) -> list[float]:
    """The action server alone: one greeting turn with the given tracker, sequentially."""
    tracker = dict(tracker)
    tracker["latest_message"] = {**(tracker.get("latest_message") or {}), "text": "oi",
                                 "intent": {"name": "cumprimentar", "confidence": 1.0},
                                 "entities": []}
    body = json.dumps({"next_action": "action_petbot", "sender_id": tracker["sender_id"],
                       "tracker": tracker, "domain": {}, "version": "3.6.21"}).encode()
    out = []
    for _ in range(samples):
        request = urllib.request.Request(f"{action_url}/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        started = time.perf_counter()
        with urllib.request.urlopen(request) as response:
            response.read()
        out.append(time.perf_counter() - started)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tutors", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="bookings per tutor")
    parser.add_argument("--redis", action="store_true", help="Redis tracker/lock stores "
                        "(REDIS_URL, default redis://127.0.0.1:6379/14)")
    parser.add_argument("--action-workers", type=int, default=1)
    parser.add_argument("--engines", type=int, default=1,
                        help="engine processes (>1 implies --redis: shared tracker/lock stores)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.engines > 1:
        args.redis = True

    tmp = Path(tempfile.mkdtemp(prefix="petbot-bench-"))
    db_url = f"sqlite:///{tmp / 'bench.db'}"
    tutors = seed_database(db_url)
    if len(tutors) < args.tutors:
        print(f"only {len(tutors)} demo tutors; using them all")
    model = subprocess.run(["bash", "scripts/train.sh"], cwd=ROOT, check=True,
                           stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1]
    action_port = free_port()
    rasa_ports = [free_port() for _ in range(args.engines)]
    rasa_port = rasa_ports[0]
    env = {**os.environ, "DATABASE_URL": db_url, "PETBOT_VAR": str(tmp), "SECRET_KEY": "bench",
           "SANIC_HOST": "127.0.0.1", "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
           "RASA_PORT": str(rasa_port), "PETBOT_MODEL": model, "RASA_TELEMETRY_ENABLED": "false",
           "ACTION_SERVER_SANIC_WORKERS": str(args.action_workers)}
    env.pop("PETBOT_FAKE_NOW", None)
    if args.redis:
        env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    else:
        env.pop("REDIS_URL", None)
    log = (tmp / "servers.log").open("wb")
    actions = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "rasa_sdk", "--actions",
                                "actions", "-p", str(action_port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    started = time.monotonic()
    engines = [subprocess.Popen(["bash", "scripts/run_engine.sh"], cwd=ROOT,
                                env={**env, "RASA_PORT": str(port)}, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
               for port in rasa_ports]
    rasa_urls = [f"http://127.0.0.1:{port}" for port in rasa_ports]
    rasa_url = rasa_urls[0]
    try:
        wait_http(f"http://127.0.0.1:{action_port}/health", actions, 60)
        for url, proc in zip(rasa_urls, engines, strict=True):
            wait_http(f"{url}/status", proc, 400)
        load_s = time.monotonic() - started
        rss_idle = sum(rss_mb(e.pid) for e in engines)
        # Warm-up: one tutor, one booking (first TensorFlow calls are slow).
        asyncio.run(run_load([rasa_url], tutors[-1:], 1, 1, args.seed))
        single, _, _, _ = asyncio.run(run_load([rasa_url], tutors[-2:-1], 1, 1, args.seed))
        cpu_before = [sum(cpu_s(e.pid) for e in engines), cpu_s(actions.pid)]
        latencies, booked, attempted, elapsed = asyncio.run(
            run_load(rasa_urls, tutors, args.tutors, args.rounds, args.seed))
        cpu_engine = sum(cpu_s(e.pid) for e in engines) - cpu_before[0]
        cpu_actions = cpu_s(actions.pid) - cpu_before[1]
        rss_busy = sum(rss_mb(e.pid) for e in engines)
        nlu = asyncio.run(nlu_latency(rasa_url))
        with urllib.request.urlopen(f"{rasa_url}/conversations/{tutors[0][0]}/tracker") as resp:
            raw = resp.read()
        tracker = json.loads(raw)
        events = len(tracker["events"])
        action_url = f"http://127.0.0.1:{action_port}"
        action_long = action_latency(action_url, tracker)
        action_short = action_latency(action_url, {**tracker, "events": tracker["events"][-8:]})
        stores = "Redis" if args.redis else "in-memory"
        print(f"engine start → model loaded: {load_s:.1f} s; {args.engines} engine process(es); "
              f"stores: {stores}; load average {os.getloadavg()[0]:.1f}")
        print(f"1 tutor:   {len(single)} turns, p50 {pct(single, .5) * 1000:.0f} ms, "
              f"p95 {pct(single, .95) * 1000:.0f} ms")
        print(f"{args.tutors} tutors × {args.rounds} bookings: {len(latencies)} turns in "
              f"{elapsed:.1f} s = {len(latencies) / elapsed:.1f} turns/s; "
              f"p50 {pct(latencies, .5) * 1000:.0f} ms, p95 {pct(latencies, .95) * 1000:.0f} ms, "
              f"max {max(latencies) * 1000:.0f} ms; bookings {booked}/{attempted}")
        print(f"CPU per turn under load: engine {cpu_engine / len(latencies) * 1000:.0f} ms, "
              f"action server {cpu_actions / len(latencies) * 1000:.0f} ms "
              f"(both busy {(cpu_engine + cpu_actions) / elapsed:.2f} of 2 cores)")
        print(f"NLU only (/model/parse, 1 client): p50 {statistics.median(nlu) * 1000:.0f} ms; "
              f"tracker after {args.rounds} bookings: {events} events, {len(raw) / 1024:.0f} KB")
        print(f"action server alone (greeting, 1 client): p50 "
              f"{statistics.median(action_short) * 1000:.0f} ms with a short tracker, "
              f"{statistics.median(action_long) * 1000:.0f} ms with the {events}-event one")
        print(f"engine RSS: {rss_idle:.0f} MB idle, {rss_busy:.0f} MB after the load; "
              f"action server RSS: {rss_mb(actions.pid):.0f} MB")
    finally:
        for proc in (*engines, actions):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in (*engines, actions):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
