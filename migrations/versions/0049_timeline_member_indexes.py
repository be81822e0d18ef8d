"""Indexes by member for the member's timeline (会员360): message recipients, verifications and card refunds.

Revision ID: 0049_timeline_member_indexes
Revises: 0048_alipay_vouchers
Create Date: 2026-12-07 14:12:28.128821

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0049_timeline_member_indexes'
down_revision = '0048_alipay_vouchers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('card_refunds', schema=None) as batch_op:
        batch_op.create_index('ix_card_refunds_merchant_member', ['merchant_id', 'member_id'], unique=False)

    with op.batch_alter_table('send_recipients', schema=None) as batch_op:
        batch_op.create_index('ix_send_recipients_member', ['merchant_id', 'member_id'], unique=False)

    with op.batch_alter_table('verifications', schema=None) as batch_op:
        batch_op.create_index('ix_verifications_merchant_member', ['merchant_id', 'member_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('verifications', schema=None) as batch_op:
        batch_op.drop_index('ix_verifications_merchant_member')

    with op.batch_alter_table('send_recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_send_recipients_member')

    with op.batch_alter_table('card_refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_card_refunds_merchant_member')

