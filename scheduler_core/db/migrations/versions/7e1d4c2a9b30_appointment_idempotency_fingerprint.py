"""appointment idempotency fingerprint

Revision ID: 7e1d4c2a9b30
Revises: 5c93ab959589
Create Date: 2026-12-02 08:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '7e1d4c2a9b30'
down_revision = '5c93ab959589'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # What the request that used an appointment's idempotency key asked for (pet, slot,
    # options), so that reusing the key for another request is refused. NULL on older rows.
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('idempotency_fingerprint', sqlmodel.sql.sqltypes.AutoString(),
                      nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_column('idempotency_fingerprint')
