"""Schema follow-ups for benefit cards (empty when none were needed)

Revision ID: 0008_benefit_cards
Revises: 0007_gift_cards
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0008_benefit_cards'
down_revision = '0007_gift_cards'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
