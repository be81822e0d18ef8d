"""Schema follow-ups for count and timed cards (empty when none were needed)

Revision ID: 0006_count_timed
Revises: 0005_cards_api
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0006_count_timed'
down_revision = '0005_cards_api'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
