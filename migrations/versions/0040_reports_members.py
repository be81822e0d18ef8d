"""Members report: indexes a day's follows, unfollows and level changes are read by (merchant first, then time),
and the checkouts' merchant-and-time index carries the member, so a month's paying members are read from it alone.

The level changes' index of merchant_id alone is dropped: the new one begins with it and serves its look-ups.

Revision ID: 0040_reports_members
Revises: 0039_report_rollups
Create Date: 2026-12-07 08:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0040_reports_members'
down_revision = '0039_report_rollups'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fans', schema=None) as batch_op:
        batch_op.create_index('ix_fans_merchant_subscribed', ['merchant_id', 'subscribed_at'], unique=False)
        batch_op.create_index('ix_fans_merchant_unsubscribed', ['merchant_id', 'unsubscribed_at'], unique=False)

    with op.batch_alter_table('level_changes', schema=None) as batch_op:
        batch_op.create_index('ix_level_changes_merchant_created', ['merchant_id', 'created_at'], unique=False)
        batch_op.drop_index('ix_level_changes_merchant_id')

    # the wider index is built before the narrower goes, so a day's sales are never read without one
    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.create_index('ix_checkouts_merchant_created_member', ['merchant_id', 'created_at', 'member_id'],
                              unique=False)
        batch_op.drop_index('ix_checkouts_merchant_created')


def downgrade():
    with op.batch_alter_table('checkouts', schema=None) as batch_op:
        batch_op.create_index('ix_checkouts_merchant_created', ['merchant_id', 'created_at'], unique=False)
        batch_op.drop_index('ix_checkouts_merchant_created_member')

    with op.batch_alter_table('level_changes', schema=None) as batch_op:
        batch_op.create_index('ix_level_changes_merchant_id', ['merchant_id'], unique=False)
        batch_op.drop_index('ix_level_changes_merchant_created')

    with op.batch_alter_table('fans', schema=None) as batch_op:
        batch_op.drop_index('ix_fans_merchant_unsubscribed')
        batch_op.drop_index('ix_fans_merchant_subscribed')
