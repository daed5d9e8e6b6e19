"""Alembic environment: every table of the product lives in one migration history."""

from __future__ import annotations

import importlib

from alembic import context
from sqlmodel import SQLModel

from scheduler_core.db.engine import make_engine, normalize_url

# Each package that owns tables has a ``models`` module; importing registers its tables.
for module in ("scheduler_core.metadata", "bot.models", "admin.models"):
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise

target_metadata = SQLModel.metadata
config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=normalize_url(url).startswith("sqlite"),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
