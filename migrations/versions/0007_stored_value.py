"""Schema for stored value rules (empty when none was needed)

Revision ID: 0007_stored_value
Revises: 0006_payments
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0007_stored_value'
down_revision = '0006_payments'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
