"""Database engine and sessions (SQLite by default, PostgreSQL through DATABASE_URL).

Write transactions that must not interleave (booking) use :func:`write_session`:
on SQLite it turns the transaction into ``BEGIN IMMEDIATE`` (one writer at a time, readers
unaffected in WAL mode); on PostgreSQL it takes row locks with ``SELECT ... FOR UPDATE``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _sqlite_setup(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=60, **kwargs)


def _sqlite_setup(engine: Engine) -> None:
    """WAL, foreign keys, and explicit BEGIN so that IMMEDIATE transactions are possible."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_session(engine: Engine, *, expire_on_commit: bool = True) -> Iterator[Session]:
    """A session whose transaction serialises writers on SQLite (BEGIN IMMEDIATE).

    On PostgreSQL it is an ordinary transaction; callers lock rows with FOR UPDATE.
    Commits on success, rolls back on error. ``expire_on_commit=False`` keeps the objects
    loaded after the commit (the booking service returns them detached).
    """
    with Session(engine, expire_on_commit=expire_on_commit) as session:
        session.connection(execution_options={"sqlite_immediate": True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
