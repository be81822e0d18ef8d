"""Guides and staff-assisted join: no schema change beyond 0029 (guide_changes, members.guide_bound_at and notes are there).

Revision ID: 0031_guides
Revises: 0030_recruit_sources
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0031_guides'
down_revision = '0030_recruit_sources'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
