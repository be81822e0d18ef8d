"""Members report (placeholder until it needs a change).

Revision ID: 0040_reports_members
Revises: 0039_report_rollups
Create Date: 2026-12-07 08:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0040_reports_members'
down_revision = '0039_report_rollups'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
