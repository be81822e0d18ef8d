"""Points look-up (积分查询): a merchant's points changes read newest first, paged by (created_at, id).

Revision ID: 0043_points_lookup
Revises: 0042_reports_coupons
Create Date: 2026-12-07 08:00:00

"""
from alembic import op
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0043_points_lookup'
down_revision = '0042_reports_coupons'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('points_transactions', schema=None) as batch_op:
        batch_op.create_index('ix_points_transactions_merchant_created', ['merchant_id', 'created_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('points_transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_points_transactions_merchant_created')
