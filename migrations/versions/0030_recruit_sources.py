"""Recruit sources (join codes, share links): changes beyond 0029.

Revision ID: 0030_recruit_sources
Revises: 0029_recruitment
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0030_recruit_sources'
down_revision = '0029_recruitment'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
