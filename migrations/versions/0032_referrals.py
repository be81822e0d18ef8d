"""Member referral links and rewards: changes beyond 0029.

Revision ID: 0032_referrals
Revises: 0031_guides
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0032_referrals'
down_revision = '0031_guides'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
