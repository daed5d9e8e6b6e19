"""Shared fixtures: real databases.

``db_engine`` runs a test on SQLite (a fresh file) and on PostgreSQL (a fresh database on the
server in PG_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/test). Schema comes from the
Alembic migrations, run once per test process on each server: every fresh database is a copy of
that migrated one (a file copy; ``CREATE DATABASE … TEMPLATE``), which costs milliseconds where
running the whole chain again cost 0.5 s on SQLite and 1.5 s on PostgreSQL per test (about
11 minutes of the suite).

Engine tests (the ``bot`` fixture) start one Rasa engine per pytest-xdist worker that draws them:
pytest 9's node ids no longer carry xdist's group suffix, so ``--dist loadgroup`` cannot pin them
to one worker, and the two workers come out balanced (measured 2026-12-04: 1,073 s and 1,070 s of
tests each).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from scheduler_core.db.engine import make_engine
from scheduler_core.db.migrate import upgrade
from tests.actions.engine import bot, chat_with  # noqa: F401  (one engine per test process)

PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


_TEMPLATES: dict[str, str] = {}


def _pg_url_of(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _new_pg_database(template: str | None = None) -> str:
    name = f"petbot_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    return _pg_url_of(name)


def _pg_template() -> str:
    """The name of a PostgreSQL database migrated to head, made once per test process (no
    connection stays open on it, as ``CREATE DATABASE … TEMPLATE`` requires)."""
    if "pg" not in _TEMPLATES:
        url = _new_pg_database()
        upgrade(url)
        _TEMPLATES["pg"] = url.rsplit("/", 1)[1]
    return _TEMPLATES["pg"]


def _sqlite_template() -> Path:
    """A SQLite file migrated to head, made once per test process."""
    if "sqlite" not in _TEMPLATES:
        import tempfile

        path = Path(tempfile.mkdtemp(prefix="petbot-schema-")) / "schema.db"
        upgrade(f"sqlite:///{path}")
        _TEMPLATES["sqlite"] = str(path)
    return Path(_TEMPLATES["sqlite"])


def migrated_sqlite(url: str) -> None:
    """Give the (not yet existing) SQLite file of ``url`` the migrated schema."""
    template = _sqlite_template()
    target = Path(url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{template}{suffix}").exists():
            shutil.copyfile(f"{template}{suffix}", f"{target}{suffix}")


def cached_pg_copy(key: str, build) -> str:
    """A PostgreSQL database made once per test process by ``build(url)`` on a migrated copy
    (e.g. the demo shop loaded), then copied for each test: returns the new copy's URL (the
    caller drops it). Dropped with the templates at the end of the session."""
    if key not in _TEMPLATES:
        url = _new_pg_database(template=_pg_template())
        build(url)
        _TEMPLATES[key] = url.rsplit("/", 1)[1]
    return _new_pg_database(template=_TEMPLATES[key])


def pytest_sessionfinish(session) -> None:
    for key in [k for k in _TEMPLATES if k != "sqlite"]:
        _drop_pg_database(_pg_url_of(_TEMPLATES.pop(key)))


def drop_pg_database(url: str) -> None:
    _drop_pg_database(url)


def _drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'petbot.db'}"


@pytest.fixture
def sqlite_engine(sqlite_url):
    migrated_sqlite(sqlite_url)
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database, already migrated (a copy of the process's template)."""
    url = _new_pg_database(template=_pg_template())
    yield url
    _drop_pg_database(url)


@pytest.fixture
def pg_engine(pg_url):
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_engine(request):
    """The same test on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


_DEMO_FILES: dict[str, Path] = {}


def _demo_file(now) -> Path:
    """A migrated SQLite file holding the demo shop built at ``now``, made once per test run:
    loading the demo through the real services takes seconds, copying the file milliseconds."""
    key = now.isoformat()
    if key not in _DEMO_FILES:
        import tempfile

        from scheduler_core.demo import load_demo

        path = Path(tempfile.mkdtemp(prefix="petbot-demo-")) / "demo.db"
        url = f"sqlite:///{path}"
        migrated_sqlite(url)
        engine = make_engine(url)
        load_demo(engine, now)
        engine.dispose()
        _DEMO_FILES[key] = path
    return _DEMO_FILES[key]


@pytest.fixture
def demo_sqlite(tmp_path):
    """A fresh copy of the demo shop on SQLite: call it with the ``now`` the demo is built at;
    returns the engine (disposed at the end of the test)."""
    engines = []

    def make(now):
        path = tmp_path / "demo-copy.db"
        shutil.copyfile(_demo_file(now), path)
        engine = make_engine(f"sqlite:///{path}")
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()
