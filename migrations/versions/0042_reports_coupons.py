"""Coupons and cards reports: indexes by merchant and time for a day's codes, uses, cards and refunds.

Each day query of the coupons and cards report families reads one day of a raw table through an index that begins
with merchant_id and the row's time; the holder lists page through a merchant's cards of one kind in id order.

Revision ID: 0042_reports_coupons
Revises: 0041_reports_money
Create Date: 2026-12-07 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0042_reports_coupons'
down_revision = '0041_reports_money'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('coupon_codes', schema=None) as batch_op:
        batch_op.create_index('ix_coupon_codes_merchant_created', ['merchant_id', 'created_at'], unique=False)
        batch_op.create_index('ix_coupon_codes_merchant_ends', ['merchant_id', 'ends_at'], unique=False)

    with op.batch_alter_table('verifications', schema=None) as batch_op:
        batch_op.create_index('ix_verifications_merchant_undone', ['merchant_id', 'undone_at'], unique=False,
                              postgresql_where=sa.text('undone_at IS NOT NULL'),
                              sqlite_where=sa.text('undone_at IS NOT NULL'))

    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.create_index('ix_cards_merchant_created', ['merchant_id', 'created_at'], unique=False)
        batch_op.create_index('ix_cards_merchant_activated', ['merchant_id', 'activated_at'], unique=False,
                              postgresql_where=sa.text('batch_id IS NOT NULL'),
                              sqlite_where=sa.text('batch_id IS NOT NULL'))
        batch_op.create_index('ix_cards_merchant_kind', ['merchant_id', 'kind', 'id'], unique=False)

    with op.batch_alter_table('card_refunds', schema=None) as batch_op:
        batch_op.create_index('ix_card_refunds_merchant_created', ['merchant_id', 'created_at'], unique=False)

    with op.batch_alter_table('order_refunds', schema=None) as batch_op:
        batch_op.create_index('ix_order_refunds_merchant_created', ['merchant_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('order_refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_order_refunds_merchant_created')

    with op.batch_alter_table('card_refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_card_refunds_merchant_created')

    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_index('ix_cards_merchant_kind')
        batch_op.drop_index('ix_cards_merchant_activated')
        batch_op.drop_index('ix_cards_merchant_created')

    with op.batch_alter_table('verifications', schema=None) as batch_op:
        batch_op.drop_index('ix_verifications_merchant_undone')

    with op.batch_alter_table('coupon_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_coupon_codes_merchant_ends')
        batch_op.drop_index('ix_coupon_codes_merchant_created')
