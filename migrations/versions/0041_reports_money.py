"""Stored value and points reports: the index a merchant's stored-value journal of one day is read by (the points
ledger's is 0043's).

Revision ID: 0041_reports_money
Revises: 0040_reports_members
Create Date: 2026-12-07 08:00:00

"""
from alembic import op
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0041_reports_money'
down_revision = '0040_reports_members'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wallet_transactions', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_transactions_merchant_created', ['merchant_id', 'created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('wallet_transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_transactions_merchant_created')
