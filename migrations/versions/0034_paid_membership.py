"""Paid membership: no schema change beyond 0029 (card_templates.membership and its two levels are there).

Revision ID: 0034_paid_membership
Revises: 0033_commission
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0034_paid_membership'
down_revision = '0033_commission'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
