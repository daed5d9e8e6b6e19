"""billing: line discounts, payment batches, invoice cancel, shop pix key

Revision ID: b2a718f3c5cf
Revises: 7e1d4c2a9b30
Create Date: 2026-12-02 14:27:52.928223
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'b2a718f3c5cf'
down_revision = '7e1d4c2a9b30'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Billing core (issue 11): a discount per invoice line, payment batches (one receipt that
    # settles several invoices, its change credited to the tutor), the invoice's cancellation and
    # the shop's Pix key. Server defaults fill the existing rows.
    with op.batch_alter_table('creditentry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_creditentry_batch'), ['batch'], unique=False)

    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))

    with op.batch_alter_table('invoiceitem', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_cents', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_payment_batch'), ['batch'], unique=False)

    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pix_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_column('pix_key')

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_batch'))
        batch_op.drop_column('batch')

    with op.batch_alter_table('invoiceitem', schema=None) as batch_op:
        batch_op.drop_column('discount_cents')

    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')

    with op.batch_alter_table('creditentry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_creditentry_batch'))
        batch_op.drop_column('batch')

