"""Database engine, sessions and the unit of work (SQLite by default, PostgreSQL through
DATABASE_URL).

Storage and concurrency — the one rule: **a transaction that may write takes the write lock
up front, or runs as a retried unit of work**. Everything that opens a session (the bot's
actions, the panel, the REST API, the WhatsApp gateway, the core services) goes through one of
the helpers below:

- :func:`read_session` — read-only work: a plain (deferred) transaction, no write lock. In WAL
  mode readers never wait for writers, and vice versa.
- :func:`write_session` — a unit that writes and commits at the end (rolls back on error). On
  SQLite its transaction is ``BEGIN IMMEDIATE``: the write lock is taken before the first read,
  so a read-then-write unit can never fail to upgrade its lock half-way. (A deferred ``BEGIN``
  that read first and then writes fails *at once* with "database is locked" when another
  writer committed meanwhile: SQLite's busy timeout does not apply to that upgrade. That was
  issue 8, finding 1.) On PostgreSQL it is an ordinary transaction; callers lock rows with
  ``SELECT ... FOR UPDATE``.
- :func:`locked_session` — the same write lock for code that commits by itself (the panel's
  form handlers): leaving the block without ``commit()`` rolls everything back, so a form that
  fails half-way keeps nothing.
- :func:`write_connection` — the same for Core statements (``engine.begin()`` with the lock up
  front): the gateway's bulk inserts and updates.
- :func:`transaction` — ``fn(session)`` as one unit of work, retried as a whole on SQLite
  "database is locked"/busy and on PostgreSQL serialization failure (40001), deadlock (40P01)
  or lock time-out (55P03), with short jittered exponential back-off. ``immediate=False`` runs
  it in a deferred transaction (optimistic: retried when the lock upgrade fails), for units
  that call services opening their own write sessions (the bot's turn books through
  :mod:`scheduler_core.scheduling.booking`), which a held SQLite write lock would block.

A unit that still finds the database busy after its retries (or after waiting ``lock_wait_s``
for the lock) raises :class:`~scheduler_core.kernel.errors.Busy` (HTTP 503, pt-BR "tente de novo").
The edges turn it into a 503 page with ``Retry-After`` (panel), a 503 JSON error with
``Retry-After`` (API) and "pode mandar de novo em instantes?" (bot): never a 500 or
"tive um problema". Tests: tests/scheduler_core/db/test_unit_of_work.py,
tests/actions/test_concurrent_turns.py,
tests/admin/panel/test_concurrent_saves.py (real threads; SQLite and PostgreSQL).
"""

from __future__ import annotations

import random
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from scheduler_core.kernel.errors import Busy

T = TypeVar("T")

# How long one statement waits for SQLite's write lock (its busy timeout), and the whole time
# budget of a retried unit of work. The panel runs its handlers on the event loop: keep it short.
LOCK_WAIT_S = 10.0
RETRIES = 8
BACKOFF_BASE_S = 0.02
BACKOFF_CAP_S = 0.4
RETRY_AFTER_S = 2  # what the edges put in Retry-After

_SQLITE_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (low byte of extended codes)
_SQLITE_BUSY_TEXT = ("database is locked", "database table is locked", "database is busy")
_PG_RETRY_STATES = {"40001", "40P01", "55P03"}  # serialization, deadlock, lock not available

_lock_wait: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, *, lock_wait_s: float = LOCK_WAIT_S, **kwargs: Any) -> Engine:
    """The engine for ``url``. ``lock_wait_s``: how long a SQLite statement waits for the write
    lock, and the time budget of :func:`transaction` (tests shorten it)."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": lock_wait_s}, **kwargs
        )
        _sqlite_setup(engine, int(lock_wait_s * 1000))
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=60, **kwargs)
    _lock_wait[engine] = lock_wait_s
    return engine


def _sqlite_setup(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, and explicit BEGIN so that IMMEDIATE transactions are possible."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _dialect(bind: Engine | Connection | Session) -> str:
    if isinstance(bind, Session):
        bind = bind.get_bind()
    return bind.dialect.name


def is_sqlite(bind: Engine | Connection | Session) -> bool:
    """SQLite: one write lock for the whole file (``locked_session`` takes it up front)."""
    return _dialect(bind) == "sqlite"


def is_postgres(bind: Engine | Connection | Session) -> bool:
    """PostgreSQL: row locks (FOR UPDATE) and ``ON CONFLICT`` of its own dialect."""
    return _dialect(bind) == "postgresql"


def lock_wait_s(engine: Engine) -> float:
    return _lock_wait.get(engine, LOCK_WAIT_S)


# --------------------------------------------------------------------------- busy errors


def is_busy_error(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what caused it) says the database is busy: worth retrying the
    whole unit. :class:`Busy` itself counts (a nested unit gave up)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, Busy):
            return True
        orig = getattr(exc, "orig", None) or exc
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _SQLITE_BUSY_CODES:
            return True
        if getattr(orig, "sqlstate", None) in _PG_RETRY_STATES:
            return True
        if type(orig).__name__ == "OperationalError" and any(
            text in str(orig).lower() for text in _SQLITE_BUSY_TEXT
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _as_busy(exc: BaseException) -> Busy:
    return exc if isinstance(exc, Busy) else Busy()


def backoff_s(attempt: int) -> float:
    """Jittered exponential back-off before retry number ``attempt`` (0-based)."""
    return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt) * random.uniform(0.5, 1.0)


# --------------------------------------------------------------------------- sessions


def _immediate(engine: Engine) -> Engine:
    """The engine whose every transaction is BEGIN IMMEDIATE on SQLite (same pool)."""
    return engine.execution_options(sqlite_immediate=True) if is_sqlite(engine) else engine


class _LockedSession(Session):
    """A Session that turns a busy database into :class:`Busy` when its block ends."""

    def __exit__(
        self,
        type_: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        super().__exit__(type_, value, traceback)
        if value is not None and not isinstance(value, Busy) and is_busy_error(value):
            raise Busy() from value


def locked_session(engine: Engine, *, expire_on_commit: bool = True) -> Session:
    """``with locked_session(engine) as session:`` — like ``Session(engine)`` (the caller
    commits; leaving the block uncommitted rolls back), but every transaction holds the write
    lock from its start, and a busy database ends the block with :class:`Busy`."""
    return _LockedSession(_immediate(engine), expire_on_commit=expire_on_commit)


def write_connection(engine: Engine) -> AbstractContextManager[Connection]:
    """``with write_connection(engine) as conn:`` — ``engine.begin()`` (Core statements, commit
    at the end) whose transaction holds the write lock from its start on SQLite."""
    return _immediate(engine).begin()


def read_session(engine: Engine, *, expire_on_commit: bool = True) -> Session:
    """``with read_session(engine) as session:`` — read-only work: a plain transaction, no
    write lock (WAL readers never wait). Do not write through it: use a write helper."""
    return Session(engine, expire_on_commit=expire_on_commit)


@contextmanager
def write_session(engine: Engine, *, expire_on_commit: bool = True) -> Iterator[Session]:
    """A session whose transaction serialises writers on SQLite (BEGIN IMMEDIATE).

    On PostgreSQL it is an ordinary transaction; callers lock rows with FOR UPDATE.
    Commits on success, rolls back on error; a busy database (the lock not obtained within
    ``lock_wait_s``) becomes :class:`Busy`. ``expire_on_commit=False`` keeps the objects
    loaded after the commit (the booking service returns them detached). Not retried: wrap
    the whole unit in :func:`transaction` for that.
    """
    with Session(_immediate(engine), expire_on_commit=expire_on_commit) as session:
        try:
            session.connection()  # BEGIN (IMMEDIATE) now, before any read
            yield session
            session.commit()
        except BaseException as exc:
            session.rollback()
            if not isinstance(exc, Busy) and is_busy_error(exc):
                raise Busy() from exc
            raise


def transaction(
    engine: Engine,
    fn: Callable[[Session], T],
    *,
    retries: int = RETRIES,
    immediate: bool = True,
    expire_on_commit: bool = True,
    budget_s: float | None = None,
) -> T:
    """Run ``fn(session)`` as one unit of work and commit; on a busy database roll back and run
    it again (at most ``retries`` more times, within ``budget_s``, default the engine's
    ``lock_wait_s``), then raise :class:`Busy`. Any other error rolls back and propagates.

    ``fn`` must be safe to run again: it gets a fresh session each time and should build its
    result from scratch (no state kept from a failed attempt).
    """
    deadline = time.monotonic() + (lock_wait_s(engine) if budget_s is None else budget_s)
    attempt = 0
    while True:
        bind = _immediate(engine) if immediate else engine
        try:
            with Session(bind, expire_on_commit=expire_on_commit) as session:
                try:
                    result = fn(session)
                    session.commit()
                    return result
                except BaseException:
                    session.rollback()
                    raise
        except Exception as exc:
            if not is_busy_error(exc):
                raise
            pause = backoff_s(attempt)
            if attempt >= retries or time.monotonic() + pause > deadline:
                raise _as_busy(exc) from exc
            attempt += 1
            time.sleep(pause)

