"""Staff performance and commission: changes beyond 0029 (a refund finds the commission its order or checkout earned).

Revision ID: 0033_commission
Revises: 0032_referrals
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0033_commission'
down_revision = '0032_referrals'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('commission_entries', schema=None) as batch_op:
        batch_op.create_index('ix_commission_entries_merchant_reference',
                              ['merchant_id', 'reference_kind', 'reference_id'], unique=False)


def downgrade():
    with op.batch_alter_table('commission_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_commission_entries_merchant_reference')
