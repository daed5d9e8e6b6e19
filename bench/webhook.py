"""Webhook benchmark: acknowledgement latency under load, zero loss, end-to-end turn latency.

    .venv/bin/python bench/webhook.py [--rate 500] [--seconds 30] [--turns 50]
                                      [--database-url URL] [--rasa-url URL]

1. Starts the app process (``python -m admin.server``) on a free loopback port with a fresh
   SQLite database (or DATABASE_URL), bot mode "off" (messages are stored and processed into
   conversations; nothing is sent).
2. Sends signed WhatsApp webhooks (one message each, distinct tutors) on an open-loop schedule
   of ``--rate`` per second for ``--seconds`` (bounded: at most 512 requests in flight), and
   prints the acknowledgement latency p50 / p99 / max.
3. Waits until every acknowledged message is processed and checks the database: one queue row
   and one stored tutor message per acknowledged message (zero loss).
4. Switches the bot to "simulation" and measures end-to-end turns through the simulator:
   tutor message posted to /simulador/api/enviar → gateway → engine (a local fake speaking
   Rasa's REST protocol, or ``--rasa-url``) → reply rendered and sent to the simulator → visible
   on the simulated phone. Prints p50 / p95.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import func
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import simulator as sim  # noqa: E402
from bot.models import Author, WaInbound, WaMessage  # noqa: E402
from scheduler_core.db import make_engine, write_session  # noqa: E402
from scheduler_core.migrate import upgrade  # noqa: E402
from scheduler_core.models import BotSettings, Shop  # noqa: E402

APP_SECRET = "bench-app-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def start_fake_rasa() -> tuple[web.AppRunner, str]:
    async def webhook(request: web.Request) -> web.Response:
        data = await request.json()
        return web.json_response([{
            "recipient_id": data["sender"],
            "text": "Olá! O que você quer agendar?",
            "buttons": [{"title": "Banho", "payload": "/banho"},
                        {"title": "Tosa", "payload": "/tosa"},
                        {"title": "Consulta", "payload": "/consulta"}],
        }])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def wait_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("app exited early")
            try:
                async with session.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("app did not start")


async def ack_phase(url: str, rate: int, seconds: int, run: str
                    ) -> tuple[list[float], int, int]:
    total = rate * seconds
    bodies = []
    for i in range(total):
        payload = sim.text_message(f"+55119{i:08d}", f"oi {i}", name="Bench",
                                   wa_id=f"wamid.BENCH{run}{i}", with_user_id=(i % 2 == 0))
        raw = json.dumps(payload).encode()
        bodies.append((raw, {"Content-Type": "application/json",
                             "X-Hub-Signature-256": sim.sign(raw, APP_SECRET)}))
    latencies: list[float] = []
    slow: list[tuple[float, float]] = []
    errors = 0
    in_flight = asyncio.Semaphore(512)
    connector = aiohttp.TCPConnector(limit=512)
    t0 = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(raw: bytes, headers: dict) -> None:
            nonlocal errors
            async with in_flight:
                started = time.perf_counter()
                try:
                    async with session.post(url + "/webhook/whatsapp", data=raw,
                                            headers=headers) as resp:
                        await resp.read()
                        ok = resp.status == 200
                except aiohttp.ClientError:
                    ok = False
                latencies.append((time.perf_counter() - started) * 1000)
                if latencies[-1] > 20:
                    slow.append((started - t0, latencies[-1]))
                if not ok:
                    errors += 1

        tasks: set[asyncio.Task] = set()
        # The load generator must not pause itself: its garbage collector would show up as
        # server latency. Freeze what exists, collect nothing until the phase ends.
        gc.collect()
        gc.freeze()
        gc.disable()
        t0 = time.perf_counter()
        for i, (raw, headers) in enumerate(bodies):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(raw, headers))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        while tasks:
            await asyncio.gather(*list(tasks))
        elapsed = time.perf_counter() - t0
        gc.enable()
        gc.unfreeze()
    print(f"  sent {total} webhooks in {elapsed:.1f} s ({total / elapsed:.0f}/s achieved)")
    if slow:
        seconds = sorted({int(t) for t, _ in slow})
        print(f"  {len(slow)} acks over 20 ms, in seconds {seconds[:20]}")
    return latencies, errors, total


def wait_processed(engine, expected: int, run: str, timeout: float = 300
                   ) -> tuple[int, int, float]:
    started = time.monotonic()
    mine = WaInbound.wa_id.like(f"wamid.BENCH{run}%")
    while True:
        with Session(engine) as s:
            queued = s.exec(select(func.count()).select_from(WaInbound).where(mine)).one()
            done = s.exec(select(func.count()).select_from(WaInbound)
                          .where(mine, WaInbound.processed_at.is_not(None))).one()
        if done >= expected or time.monotonic() - started > timeout:
            return queued, done, time.monotonic() - started
        time.sleep(0.5)


async def e2e_phase(url: str, turns: int) -> list[float]:
    latencies = []
    async with aiohttp.ClientSession() as session:
        for i in range(turns):
            phone = f"+55219{i:08d}"
            started = time.perf_counter()
            async with session.post(url + "/simulador/api/enviar",
                                    json={"telefone": phone, "nome": "Bench", "texto": "oi"}) as r:
                assert r.status == 200, await r.text()
            while True:
                async with session.get(url + "/simulador/api/conversa",
                                       params={"telefone": phone}) as r:
                    msgs = (await r.json())["mensagens"]
                if any(m["direction"] == "out" for m in msgs):
                    break
                await asyncio.sleep(0.002)
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--database-url")
    parser.add_argument("--rasa-url")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="petbot-bench-")
    db_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    upgrade(db_url)
    engine = make_engine(db_url)
    with write_session(engine) as s:
        shop = s.exec(select(Shop).order_by(Shop.id)).first()
        if shop is None:
            shop = Shop(name="Bench Pet Shop")
            s.add(shop)
            s.flush()
        settings = s.get(BotSettings, shop.id) or BotSettings(shop_id=shop.id)
        settings.mode = "off"
        s.add(settings)
        shop_id = shop.id
    runner, rasa_url = await start_fake_rasa()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": db_url, "PETBOT_VAR": tmp, "SECRET_KEY": "bench",
           "WHATSAPP_APP_SECRET": APP_SECRET, "RASA_URL": args.rasa_url or rasa_url,
           "PETBOT_PUBLIC_URL": url, "WHATSAPP_SHOP_ID": str(shop_id)}
    log = Path(tmp, "app.log").open("wb")  # noqa: SIM115  (kept open for the child)
    proc = subprocess.Popen([sys.executable, "-m", "admin.server", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    try:
        await wait_up(url, proc)
        print(f"app on {url}, database {db_url.split('://')[0]}, log {tmp}/app.log")
        print(f"[1] acknowledgement: {args.rate} webhooks/s for {args.seconds} s (bot mode off)")
        run = uuid.uuid4().hex[:6]
        lat, errors, total = await ack_phase(url, args.rate, args.seconds, run)
        print(f"  ack latency ms: p50 {pct(lat, 50):.2f}  p99 {pct(lat, 99):.2f}  "
              f"max {max(lat):.2f}  mean {statistics.mean(lat):.2f}  non-200: {errors}")
        acked = total - errors
        queued, done, waited = wait_processed(engine, acked, run)
        with Session(engine) as s:
            stored = s.exec(select(func.count()).select_from(WaMessage)
                            .where(WaMessage.author == Author.TUTOR,
                                   WaMessage.wa_id.like(f"wamid.BENCH{run}%"))).one()
        lost = acked - min(queued, stored)
        print(f"  zero-loss check: acknowledged {acked}, queued {queued}, processed {done} "
              f"(+{waited:.1f} s after the load), stored tutor messages {stored} → "
              f"{'ZERO LOSS' if lost == 0 and done == acked else f'LOST {lost}'}")
        with write_session(engine) as s:
            settings = s.get(BotSettings, shop_id)
            settings.mode = "simulation"
            s.add(settings)
        engine_name = args.rasa_url or "fake REST engine (instant reply)"
        print(f"[2] end-to-end turns through the simulator ({args.turns} turns, {engine_name})")
        e2e = await e2e_phase(url, args.turns)
        print(f"  turn latency ms: p50 {pct(e2e, 50):.1f}  p95 {pct(e2e, 95):.1f}  "
              f"max {max(e2e):.1f}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        await runner.cleanup()
        engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
