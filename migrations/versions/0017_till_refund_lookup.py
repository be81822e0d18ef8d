"""Index the till refunds by the refund number the channel's notification names

Revision ID: 0017_till_refund_lookup
Revises: 0016_till_channels
Create Date: 2026-11-24 10:45:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017_till_refund_lookup'
down_revision = '0016_till_channels'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checkout_refunds', schema=None) as batch_op:
        batch_op.create_index('ix_checkout_refunds_out_refund_no', ['merchant_id', 'out_refund_no'], unique=False)


def downgrade():
    with op.batch_alter_table('checkout_refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_checkout_refunds_out_refund_no')
