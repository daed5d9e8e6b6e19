"""Autogenerate a migration: python scripts/new_migration.py "message".

Compares the models with a scratch SQLite database upgraded to head.
"""

import sys
import tempfile

from alembic import command

from scheduler_core.db.migrate import alembic_config, upgrade

with tempfile.TemporaryDirectory() as tmp:
    url = f"sqlite:///{tmp}/scratch.db"
    upgrade(url)
    command.revision(alembic_config(url), message=sys.argv[1], autogenerate=True)
