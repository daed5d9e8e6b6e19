"""The outbox under two workers (real threads, SQLite and PostgreSQL) and across a restart:
every notification is sent once, none twice, none lost."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlmodel import Session

from scheduler_core.db.engine import make_engine
from scheduler_core.notifications import service
from scheduler_core.notifications.outbox import Planned, plan_rows, record_receipts
from tests.scheduler_core.factories import NOW, build_shop
from tests.scheduler_core.notifications.helpers import FakeChannel, rows

COUNT = 40


def _plan(engine, shop_id, tutor_id, count=COUNT, due=NOW) -> None:
    with Session(engine) as s:
        new = plan_rows(s, shop_id, [Planned(
            kind="aniversario_tutor", event_key=f"test:{i}", recipient=f"+551190000{i:04d}",
            due_at=due, tutor_id=tutor_id, values={"NOME_TUTOR": f"T{i}"})
            for i in range(count)], NOW)
        again = plan_rows(s, shop_id, [Planned(
            kind="aniversario_tutor", event_key="test:0", recipient="+5511900000000",
            due_at=due, tutor_id=tutor_id)], NOW)
        s.commit()
    assert (new, again) == (count, 0)


class SharedChannel(FakeChannel):
    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def __call__(self, send):
        time.sleep(0.002)  # a send takes a moment: the workers interleave
        with self.lock:
            return super().__call__(send)


def test_two_workers_at_once_send_each_notification_once(db_engine) -> None:
    world = build_shop(db_engine)
    _plan(db_engine, world.shop_id, world.tutor_id)
    url = db_engine.url.render_as_string(hide_password=False)
    channel = SharedChannel()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        engine = make_engine(url)  # each worker its own pool, as separate processes
        try:
            barrier.wait()
            for _ in range(10):
                if not service.run_once(engine, NOW, channel):
                    break
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    ids = [s.row_id for s in channel.sent]
    assert len(ids) == COUNT and len(set(ids)) == COUNT
    assert {r.status for r in rows(db_engine)} == {"enviada"}


def test_restart_mid_schedule_resends_nothing_and_loses_nothing(db_engine) -> None:
    world = build_shop(db_engine)
    _plan(db_engine, world.shop_id, world.tutor_id, count=6)
    url = db_engine.url.render_as_string(hide_password=False)
    # process A: claims 3, sends 2, dies while sending the third
    first = make_engine(url)
    channel_a = FakeChannel()
    claimed = service.plan_and_claim(first, NOW, limit=3)
    for row_id in claimed[:2]:
        send = service.decide(first, row_id, NOW)
        service.record(first, row_id, channel_a(send), NOW)
    service.decide(first, claimed[2], NOW)  # … and the process is gone before the answer
    first.dispose()
    # process B: new state, same database, a minute later
    second = make_engine(url)
    channel_b = FakeChannel()
    later = NOW + timedelta(minutes=1)
    for _ in range(5):
        service.run_once(second, later, channel_b)
    sent_a = {s.row_id for s in channel_a.sent}
    sent_b = {s.row_id for s in channel_b.sent}
    assert len(sent_a) == 2 and len(sent_b) == 3 and not sent_a & sent_b
    assert [r.status for r in rows(db_engine) if r.id == claimed[2]] == ["enviando"]
    # ten minutes on, the interrupted one is recorded as failed, never resent
    service.run_once(second, NOW + timedelta(minutes=11), channel_b)
    [stuck] = [r for r in rows(db_engine) if r.id == claimed[2]]
    assert stuck.status == "falhou" and "interrompido" in stuck.reason
    assert len(channel_b.sent) == 3 and len(rows(db_engine)) == 6
    second.dispose()


def test_receipts_move_status_up_and_131047_goes_back_as_template(db_engine) -> None:
    world = build_shop(db_engine)
    _plan(db_engine, world.shop_id, world.tutor_id, count=2)
    channel = FakeChannel()
    service.run_once(db_engine, NOW, channel)
    first, second = rows(db_engine)
    with Session(db_engine) as s:
        record_receipts(s, [(first.wa_message_id, "read", ""),
                            (first.wa_message_id, "delivered", ""),
                            (second.wa_message_id, "failed", "131047 Re-engagement message")],
                        NOW)
        s.commit()
    first, second = rows(db_engine)
    assert first.status == "lida"
    assert (second.status, second.sent_as) == ("planejada", "modelo")
    service.run_once(db_engine, NOW + timedelta(minutes=1), channel)
    assert channel.sent[-1].row_id == second.id and channel.sent[-1].template_only
