"""Points look-up and exchange at the counter (placeholder until they need a change).

Revision ID: 0043_points_lookup
Revises: 0042_reports_coupons
Create Date: 2026-12-07 08:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0043_points_lookup'
down_revision = '0042_reports_coupons'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
