"""Schema for WeChat Pay (empty when none was needed)

Revision ID: 0008_wechat_pay
Revises: 0007_stored_value
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0008_wechat_pay'
down_revision = '0007_stored_value'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
