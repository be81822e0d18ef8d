"""The member card in WeChat's card package: the merchant's card, the cards members hold, and the sandbox's cards.

Revision ID: 0044_wechat_member_card
Revises: 0043_points_lookup
Create Date: 2026-12-08 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '0044_wechat_member_card'
down_revision = '0043_points_lookup'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'wechat_member_cards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=27), nullable=False),
        sa.Column('brand_name', sa.String(length=36), nullable=False),
        sa.Column('color', sa.String(length=16), nullable=False),
        sa.Column('notice', sa.String(length=48), nullable=False),
        sa.Column('prerogative', sa.Text(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('supply_balance', sa.Boolean(), nullable=False),
        sa.Column('supply_bonus', sa.Boolean(), nullable=False),
        sa.Column('cells', sa.JSON(), nullable=False),
        sa.Column('logo_data', sa.LargeBinary(), nullable=True),
        sa.Column('logo_url', sa.String(length=300), nullable=True),
        sa.Column('logo_version', sa.Integer(), nullable=False),
        sa.Column('logo_synced_version', sa.Integer(), nullable=False),
        sa.Column('card_id', sa.String(length=64), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('synced_version', sa.Integer(), nullable=False),
        sa.Column('sync_error', sa.String(length=300), nullable=True),
        sa.Column('synced_at', models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('merchant_id', sa.Integer(), nullable=False),
        sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('merchant_id'),
    )
    op.create_table(
        'wechat_card_holdings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('card_id', sa.String(length=64), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('openid', sa.String(length=128), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('merchant_id', sa.Integer(), nullable=False),
        sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('added', 'activated', 'deleted')", name='holding_state_known'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('merchant_id', 'card_id', 'code'),
    )
    with op.batch_alter_table('wechat_card_holdings', schema=None) as batch_op:
        batch_op.create_index('ix_wechat_card_holdings_member', ['merchant_id', 'member_id'], unique=False)
        batch_op.create_index('ix_wechat_card_holdings_openid', ['merchant_id', 'openid'], unique=False)
    op.create_table(
        'sandbox_cards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('app_id', sa.String(length=64), nullable=False),
        sa.Column('card_id', sa.String(length=64), nullable=False),
        sa.Column('card_type', sa.String(length=20), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('updates', sa.Integer(), nullable=False),
        sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('card_id'),
    )
    with op.batch_alter_table('sandbox_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_cards_app_id'), ['app_id'], unique=False)
    op.create_table(
        'sandbox_card_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('app_id', sa.String(length=64), nullable=False),
        sa.Column('card_id', sa.String(length=64), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('openid', sa.String(length=128), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('membership_number', sa.String(length=32), nullable=True),
        sa.Column('bonus', sa.BigInteger(), nullable=False),
        sa.Column('balance', sa.BigInteger(), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('updates', sa.Integer(), nullable=False),
        sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    with op.batch_alter_table('sandbox_card_codes', schema=None) as batch_op:
        batch_op.create_index('ix_sandbox_card_codes_user', ['app_id', 'openid'], unique=False)


def downgrade():
    with op.batch_alter_table('sandbox_card_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_sandbox_card_codes_user')
    op.drop_table('sandbox_card_codes')
    with op.batch_alter_table('sandbox_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_cards_app_id'))
    op.drop_table('sandbox_cards')
    with op.batch_alter_table('wechat_card_holdings', schema=None) as batch_op:
        batch_op.drop_index('ix_wechat_card_holdings_openid')
        batch_op.drop_index('ix_wechat_card_holdings_member')
    op.drop_table('wechat_card_holdings')
    op.drop_table('wechat_member_cards')
