"""Staff performance and commission: changes beyond 0029.

Revision ID: 0033_commission
Revises: 0032_referrals
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0033_commission'
down_revision = '0032_referrals'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
