"""Schema follow-ups for the JSON API and the staff page (empty when none were needed)

Revision ID: 0010_api_staff
Revises: 0009_coupon_extras
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0010_api_staff'
down_revision = '0009_coupon_extras'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
