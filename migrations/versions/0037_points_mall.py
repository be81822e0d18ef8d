"""Points mall (积分商城): gifts, their per-level prices and exchanges with pick-up codes.

Revision ID: 0037_points_mall
Revises: 0036_members_created_index
Create Date: 2026-12-07 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '0037_points_mall'
down_revision = '0036_members_created_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('points_gifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('photo_path', sa.String(length=200), nullable=True),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('exchanged', sa.Integer(), server_default='0', nullable=False),
    sa.Column('points_prices', sa.JSON(), nullable=False),
    sa.Column('per_member_limit', sa.Integer(), nullable=False),
    sa.Column('pickup_days', sa.Integer(), server_default='30', nullable=False),
    sa.Column('starts_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ends_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('per_member_limit >= 0', name=op.f('ck_points_gifts_limit_nonneg')),
    sa.CheckConstraint('stock >= 0', name=op.f('ck_points_gifts_stock_nonneg')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_points_gifts_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_gifts')),
    sa.UniqueConstraint('merchant_id', 'number', name=op.f('uq_points_gifts_merchant_id_number'))
    )
    op.create_table('gift_exchanges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gift_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('gift_name', sa.String(length=40), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('pickup_code', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=False),
    sa.Column('expires_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('handed_over_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('verification_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'handed_over', 'cancelled', 'expired')", name=op.f('ck_gift_exchanges_state_known')),
    sa.CheckConstraint('points > 0', name=op.f('ck_gift_exchanges_points_positive')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['staff.id'], name=op.f('fk_gift_exchanges_cancelled_by_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['gift_id'], ['points_gifts.id'], name=op.f('fk_gift_exchanges_gift_id_points_gifts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_gift_exchanges_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_gift_exchanges_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_gift_exchanges_staff_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_gift_exchanges_store_id_stores'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['verification_id'], ['verifications.id'], name=op.f('fk_gift_exchanges_verification_id_verifications'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_exchanges')),
    sa.UniqueConstraint('merchant_id', 'idempotency_key', name=op.f('uq_gift_exchanges_merchant_id_idempotency_key')),
    sa.UniqueConstraint('merchant_id', 'pickup_code', name=op.f('uq_gift_exchanges_merchant_id_pickup_code'))
    )
    with op.batch_alter_table('gift_exchanges', schema=None) as batch_op:
        batch_op.create_index('ix_gift_exchanges_member_gift', ['member_id', 'gift_id'], unique=False)
        batch_op.create_index('ix_gift_exchanges_merchant_created', ['merchant_id', 'created_at'], unique=False)
    # A handed-over gift is a verification like a coupon's, with the store that handed it over.
    with op.batch_alter_table('verifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_verifications_instrument_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_verifications_instrument_known'), "instrument_type IN ('coupon', 'count_card', 'timed_card', 'gift_card', 'benefit_card', 'gift_exchange')")


def downgrade():
    with op.batch_alter_table('verifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_verifications_instrument_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_verifications_instrument_known'), "instrument_type IN ('coupon', 'count_card', 'timed_card', 'gift_card', 'benefit_card')")
    with op.batch_alter_table('gift_exchanges', schema=None) as batch_op:
        batch_op.drop_index('ix_gift_exchanges_merchant_created')
        batch_op.drop_index('ix_gift_exchanges_member_gift')
    op.drop_table('gift_exchanges')
    op.drop_table('points_gifts')
