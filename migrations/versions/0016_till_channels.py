"""WeChat Pay and Alipay at the till (payment codes)

Revision ID: 0016_till_channels
Revises: 0015_self_pay
Create Date: 2026-11-24 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import models.base
import models.crypto


# revision identifiers, used by Alembic.
revision = '0016_till_channels'
down_revision = '0015_self_pay'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('out_trade_no', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('channel_trade_no', sa.String(length=64), nullable=True))
    with op.batch_alter_table('checkout_refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('out_refund_no', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('channel_refund_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('channel_state', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('channel_note', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('checkout_refunds', schema=None) as batch_op:
        batch_op.drop_column('channel_note')
        batch_op.drop_column('channel_state')
        batch_op.drop_column('channel_refund_id')
        batch_op.drop_column('out_refund_no')
    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.drop_column('channel_trade_no')
        batch_op.drop_column('out_trade_no')
