"""Stored value and points reports (placeholder until they need a change).

Revision ID: 0041_reports_money
Revises: 0040_reports_members
Create Date: 2026-12-07 08:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0041_reports_money'
down_revision = '0040_reports_members'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
