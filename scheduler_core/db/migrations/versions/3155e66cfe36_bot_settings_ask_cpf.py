"""bot settings ask_cpf: the bot asks a new tutor's CPF after the name (off for every shop)

Revision ID: 3155e66cfe36
Revises: 1e49149a8747
Create Date: 2026-12-07 14:13:29.369022
"""
import sqlalchemy as sa
from alembic import op

revision = '3155e66cfe36'
down_revision = '1e49149a8747'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('botsettings', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('ask_cpf', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('botsettings', schema=None) as batch_op:
        batch_op.drop_column('ask_cpf')
