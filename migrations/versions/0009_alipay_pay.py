"""Schema for Alipay payments (empty when none was needed)

Revision ID: 0009_alipay_pay
Revises: 0008_wechat_pay
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0009_alipay_pay'
down_revision = '0008_wechat_pay'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
