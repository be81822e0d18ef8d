"""Schema follow-ups for coupon sharing, receipt links, bulk issue, points exchange (empty when none were needed)

Revision ID: 0009_coupon_extras
Revises: 0008_benefit_cards
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0009_coupon_extras'
down_revision = '0008_benefit_cards'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
