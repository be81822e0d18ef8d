"""Schema follow-ups for gift cards (empty when none were needed)

Revision ID: 0007_gift_cards
Revises: 0006_count_timed
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0007_gift_cards'
down_revision = '0006_count_timed'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
