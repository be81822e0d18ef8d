"""Physical card stock and counter top-up: changes beyond 0029.

Revision ID: 0035_card_stock_counter
Revises: 0034_paid_membership
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0035_card_stock_counter'
down_revision = '0034_paid_membership'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
