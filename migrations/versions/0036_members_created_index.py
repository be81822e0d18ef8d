"""Members by merchant and join time: the channel report lists who joined in a period without scanning them all.

Revision ID: 0036_members_created_index
Revises: 0035_card_stock_counter
Create Date: 2026-12-07 06:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0036_members_created_index'
down_revision = '0035_card_stock_counter'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index('ix_members_merchant_created', ['merchant_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_merchant_created')
