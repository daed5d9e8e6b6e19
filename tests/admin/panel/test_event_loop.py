"""A slow panel request does not hold up WhatsApp's webhook acknowledgements.

The panel, the API and the gateway share one event loop; a panel view runs its database work
through ``db`` (app.offload), on the staff pool. Here a staff save really waits ~1.5 s: on
PostgreSQL another transaction holds the row lock of the tutor being saved (a long report,
another attendant's unit of work). While that save is in flight, Meta's webhook POST must still
get its 200 within a few hundred milliseconds. (On SQLite a held write lock would stop the
gateway's own store of the webhook too, so the lock-holding case is PostgreSQL's.)
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request

import pytest
from sqlmodel import Session, select

from app.offload import STAFF_DB_THREADS, db
from bot import simulator as sim
from scheduler_core.demo import load_demo
from scheduler_core.kernel import settings as settings_mod
from scheduler_core.people.models import Tutor
from scheduler_core.shop.models import Shop
from tests.bot.conftest import Clock, FakeRasa, _start_fake_rasa, start_wa, stop_wa

from .conftest import csrf_of

HOLD_S = 1.5


def _meta_posts(url: str, body: bytes, signature: str, delay_s: float, out: dict) -> None:
    """Play Meta from outside the app's loop: wait ``delay_s``, POST the webhook, time the
    answer."""
    time.sleep(delay_s)
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature})
    sent = time.monotonic()
    with urllib.request.urlopen(request, timeout=10) as response:
        out["status"] = response.status
    out["ack_s"] = time.monotonic() - sent


def _hold_row_lock(engine, tutor_id: int, locked: threading.Event) -> None:
    """Lock the tutor's row (SELECT … FOR UPDATE) for HOLD_S seconds, then commit."""
    with Session(engine) as session:
        session.exec(select(Tutor).where(Tutor.id == tutor_id).with_for_update()).one()
        locked.set()
        time.sleep(HOLD_S)
        session.commit()


@pytest.mark.postgres
async def test_webhook_ack_is_not_delayed_by_a_panel_save_waiting_on_a_lock(
        pg_engine, pg_url, tmp_path, monkeypatch):
    monkeypatch.setattr(settings_mod, "VAR", tmp_path)
    clock = Clock()
    load_demo(pg_engine, clock())
    with Session(pg_engine) as session:
        shop_id = session.exec(select(Shop).order_by(Shop.id)).first().id
        tutor = session.exec(select(Tutor).where(Tutor.shop_id == shop_id,
                                                 Tutor.allow_bot.is_(True))).first()
    fake = FakeRasa()
    rasa = await _start_fake_rasa(fake)
    wa = await start_wa(pg_engine, pg_url, fake, clock, shop_id=shop_id)
    holder = None
    try:
        staff = wa.staff_headers()
        page = await wa.session.get(f"{wa.url}/admin/tutores/{tutor.id}", headers=staff)
        assert page.status == 200
        csrf = csrf_of(await page.text())

        locked = threading.Event()
        holder = threading.Thread(target=_hold_row_lock, args=(pg_engine, tutor.id, locked))
        holder.start()
        assert locked.wait(5)
        started = time.monotonic()
        save = asyncio.ensure_future(wa.session.post(
            f"{wa.url}/admin/tutores/{tutor.id}/robo", headers=staff, allow_redirects=False,
            data={"csrf_token": csrf, "allow_bot": "0"}))
        # Meta posts 0.3 s later, when the save is waiting on the row lock.
        body = json.dumps(sim.text_message("+5511955550123", "oi", name="Rita")).encode()
        meta: dict = {}
        await asyncio.get_running_loop().run_in_executor(
            None, _meta_posts, wa.webhook, body, sim.sign(body, wa.secret), 0.3, meta)
        assert meta["status"] == 200
        assert meta["ack_s"] < 0.5, \
            f"webhook answered in {meta['ack_s']:.2f} s while a panel save waited on a lock"
        assert not save.done(), "the panel save should still be waiting on the lock"

        response = await save
        saved_s = time.monotonic() - started
        assert response.status == 303
        assert response.headers["Location"] == f"/admin/tutores/{tutor.id}"
        assert saved_s >= HOLD_S - 0.2, f"the save did not wait on the lock ({saved_s:.2f} s)"
        with Session(pg_engine) as session:
            assert session.get(Tutor, tutor.id).allow_bot is False
        await wa.settle()
        assert [m.text for m in wa.phone_view("+5511955550123")] == ["eco: oi"]
    finally:
        if holder is not None:
            holder.join(5)
        await stop_wa(wa)
        await rasa.cleanup()


async def test_staff_database_work_runs_on_its_own_bounded_pool():
    """db() uses the staff pool: at most STAFF_DB_THREADS calls at once, on its own threads
    (not the loop's default executor, nor the gateway's database thread)."""
    lock = threading.Lock()
    state = {"running": 0, "peak": 0, "threads": set()}

    def work() -> None:
        with lock:
            state["running"] += 1
            state["peak"] = max(state["peak"], state["running"])
            state["threads"].add(threading.current_thread().name)
        time.sleep(0.1)
        with lock:
            state["running"] -= 1

    await asyncio.gather(*(db(None, work) for _ in range(3 * STAFF_DB_THREADS)))
    assert state["peak"] == STAFF_DB_THREADS
    assert all(name.startswith("petbot-staff-db") for name in state["threads"])
