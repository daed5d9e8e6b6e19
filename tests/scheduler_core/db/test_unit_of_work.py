"""The unit of work (scheduler_core.db.engine.transaction) under real concurrency, on SQLite and
PostgreSQL: read-then-write units from many threads all commit (none lost, no "database is
locked"), a unit that cannot get the database within its budget ends in ``Busy`` (pt-BR), and a
failed unit leaves nothing behind."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from scheduler_core.db.engine import is_sqlite, make_engine, transaction, write_session
from scheduler_core.kernel.errors import Busy
from scheduler_core.people import registry as people
from scheduler_core.people.models import Tutor
from tests.scheduler_core.factories import NOW, build_shop

THREADS = 12
UNITS_PER_THREAD = 4


def _tutor_count(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Tutor)).one()


def _race(calls):
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call(), None
        except Exception as exc:  # the test reports every failure
            return None, exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_threads_reading_then_creating_tutors_all_commit(db_engine):
    world = build_shop(db_engine)
    before = _tutor_count(db_engine)

    def worker(n: int):
        def unit(session: Session) -> int:
            # The bot's shape: look the sender up first, then register them.
            phone = f"+55119{n:04d}0000"
            found = people.find_tutor_by_phone(session, world.shop_id, phone)
            assert found is None
            tutor = people.create_tutor(session, world.shop_id,
                                        {"name": f"Tutor {n}", "whatsapp": phone},
                                        today=NOW.date())
            return tutor.id

        return lambda: transaction(db_engine, unit)

    calls = [worker(t * UNITS_PER_THREAD + u) for t in range(THREADS)
             for u in range(UNITS_PER_THREAD)]
    outcomes = _race(calls)
    errors = [repr(e) for _, e in outcomes if e is not None]
    assert errors == []
    ids = [r for r, _ in outcomes]
    assert len(set(ids)) == len(calls)
    assert _tutor_count(db_engine) == before + len(calls)


def test_concurrent_increments_are_never_lost(db_engine):
    """Read a counter, write it back plus one: a lost update would show as a smaller total.
    On PostgreSQL the units run REPEATABLE READ, so conflicts are serialization failures
    (40001) that the unit of work retries."""
    with db_engine.begin() as conn:
        conn.execute(text("CREATE TABLE uow_counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        conn.execute(text("INSERT INTO uow_counter (id, n) VALUES (1, 0)"))

    def unit(session: Session) -> None:
        if not is_sqlite(db_engine):
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        n = session.execute(text("SELECT n FROM uow_counter WHERE id = 1")).scalar_one()
        time.sleep(0.002)  # widen the window between the read and the write
        session.execute(text("UPDATE uow_counter SET n = :n WHERE id = 1"), {"n": n + 1})

    calls = [lambda: transaction(db_engine, unit, retries=40) for _ in range(THREADS)] * 2
    outcomes = _race(calls)
    assert [repr(e) for _, e in outcomes if e is not None] == []
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM uow_counter")).scalar_one() == len(calls)


def _hold_write_lock(engine, seconds: float, held: threading.Event) -> None:
    """Another writer that keeps the database (SQLite) or the tutor table (PostgreSQL) locked."""
    with write_session(engine) as s:
        if is_sqlite(engine):
            s.execute(text("UPDATE shop SET name = name"))
        else:
            s.execute(text("LOCK TABLE tutor IN EXCLUSIVE MODE"))
        held.set()
        time.sleep(seconds)


def test_unit_that_never_gets_the_lock_ends_in_busy(db_engine):
    world = build_shop(db_engine)
    short = make_engine(db_engine.url.render_as_string(hide_password=False), lock_wait_s=0.3)
    before = _tutor_count(db_engine)
    held = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db_engine, 3.0, held))
    holder.start()
    attempts = []
    try:
        assert held.wait(10)

        def unit(session: Session) -> None:
            attempts.append(1)
            if not is_sqlite(short):
                session.execute(text("SET LOCAL lock_timeout = '100ms'"))
            people.create_tutor(session, world.shop_id, {"name": "Sem Vez"}, today=NOW.date())

        started = time.monotonic()
        with pytest.raises(Busy) as info:
            transaction(short, unit)
        elapsed = time.monotonic() - started
    finally:
        holder.join()
        short.dispose()
    assert info.value.message == "O sistema está ocupado agora. Tente de novo em alguns segundos."
    assert info.value.http_status == 503
    assert elapsed < 2.5  # gave up within its budget, not after the other writer finished
    assert _tutor_count(db_engine) == before
    assert len(attempts) >= 1


def test_failed_unit_rolls_back_everything_and_is_not_retried(db_engine):
    world = build_shop(db_engine)
    before = _tutor_count(db_engine)
    attempts = []

    def unit(session: Session) -> None:
        attempts.append(1)
        people.create_tutor(session, world.shop_id, {"name": "Primeiro"}, today=NOW.date())
        people.create_tutor(session, world.shop_id, {"name": "Segundo"}, today=NOW.date())
        raise ValueError("falhou no meio")

    with pytest.raises(ValueError):
        transaction(db_engine, unit)
    assert attempts == [1]
    assert _tutor_count(db_engine) == before
