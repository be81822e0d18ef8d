"""Saved audiences (人群)

No index of members.last_visit_at: every till payment writes it, and an index of it would turn each payment's
member update from a HOT update into one that writes every index of the row (the audience count of a million
members takes 79 ms without it).

Revision ID: 0020_audiences
Revises: 0019_merchant_indexes
Create Date: 2026-12-06 20:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0020_audiences'
down_revision = '0019_merchant_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audiences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("merchant_id", "name"),
    )


def downgrade():
    op.drop_table("audiences")
