"""Shared fixtures: real databases.

``db_engine`` runs a test on SQLite (a fresh file) and on PostgreSQL (a fresh database on the
server in PG_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/test). Schema comes from the
Alembic migrations, so the migrations are exercised by every database test.
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
from tests.actions.engine import bot, chat_with  # noqa: F401  (one engine for the whole session)

PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _new_pg_database() -> str:
    name = f"petbot_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Under pytest-xdist (``--dist loadgroup``), every test of the one shared Rasa engine (the
    ``bot`` fixture) runs on the same worker, so the engine is started and trained once."""
    for item in items:
        if "bot" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("engine"))


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'petbot.db'}"


@pytest.fixture
def sqlite_engine(sqlite_url):
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url():
    url = _new_pg_database()
    yield url
    _drop_pg_database(url)


@pytest.fixture
def pg_engine(pg_url):
    upgrade(pg_url)
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
        upgrade(url)
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
