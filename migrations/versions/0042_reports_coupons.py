"""Coupons and cards reports (placeholder until they need a change).

Revision ID: 0042_reports_coupons
Revises: 0041_reports_money
Create Date: 2026-12-07 08:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0042_reports_coupons'
down_revision = '0041_reports_money'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
