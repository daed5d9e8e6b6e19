"""WhatsApp timestamps as 64-bit integers (PostgreSQL's INTEGER ends in 2038; SQLite's
INTEGER is already 64-bit, its column type is changed too so the schema matches the models)

Revision ID: 35720c63d485
Revises: 17663cd1e240
Create Date: 2026-12-03 06:25:41.350642
"""
from alembic import op
import sqlalchemy as sa


revision = '35720c63d485'
down_revision = '17663cd1e240'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('wainbound', schema=None) as batch_op:
        batch_op.alter_column('wa_timestamp',
               existing_type=sa.INTEGER(),
               type_=sa.BigInteger(),
               existing_nullable=False)

    with op.batch_alter_table('wastatusevent', schema=None) as batch_op:
        batch_op.alter_column('wa_timestamp',
               existing_type=sa.INTEGER(),
               type_=sa.BigInteger(),
               existing_nullable=False)



def downgrade() -> None:
    with op.batch_alter_table('wastatusevent', schema=None) as batch_op:
        batch_op.alter_column('wa_timestamp',
               existing_type=sa.BigInteger(),
               type_=sa.INTEGER(),
               existing_nullable=False)

    with op.batch_alter_table('wainbound', schema=None) as batch_op:
        batch_op.alter_column('wa_timestamp',
               existing_type=sa.BigInteger(),
               type_=sa.INTEGER(),
               existing_nullable=False)

