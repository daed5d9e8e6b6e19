"""plan template breeds, price table and fixed-slot weekday and time

Revision ID: 17663cd1e240
Revises: 8606b21689e8
Create Date: 2026-12-02 19:29:35.403541
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '17663cd1e240'
down_revision = '8606b21689e8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('plantemplate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('breed_ids', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('price_table', sa.JSON(), nullable=False, server_default='{}'))

    with op.batch_alter_table('plantemplateservice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weekday', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('start_time', sqlmodel.sql.sqltypes.AutoString(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('plantemplateservice', schema=None) as batch_op:
        batch_op.drop_column('start_time')
        batch_op.drop_column('weekday')

    with op.batch_alter_table('plantemplate', schema=None) as batch_op:
        batch_op.drop_column('price_table')
        batch_op.drop_column('breed_ids')

