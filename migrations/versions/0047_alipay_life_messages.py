"""Messages through the merchant's Alipay life account (生活号): notices and sends to members who use Alipay only.

Revision ID: 0047_alipay_life_messages
Revises: 0046_alipay_member_card
Create Date: 2026-12-07 11:30:00

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '0047_alipay_life_messages'
down_revision = '0046_alipay_member_card'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alipay_life_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('notify_points', sa.Boolean(), nullable=False),
    sa.Column('notify_balance', sa.Boolean(), nullable=False),
    sa.Column('notify_coupon', sa.Boolean(), nullable=False),
    sa.Column('template_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_alipay_life_settings_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alipay_life_settings')),
    sa.UniqueConstraint('merchant_id', name=op.f('uq_alipay_life_settings_merchant_id'))
    )
    op.create_table('sandbox_life_follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('following', sa.Boolean(), nullable=False),
    sa.Column('changed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_life_follows')),
    sa.UniqueConstraint('app_id', 'user_id', name=op.f('uq_sandbox_life_follows_app_id_user_id'))
    )
    op.create_table('sandbox_life_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('to_user_id', sa.String(length=32), nullable=False),
    sa.Column('method', sa.String(length=64), nullable=False),
    sa.Column('msg_id', sa.String(length=64), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_life_messages')),
    sa.UniqueConstraint('msg_id', name=op.f('uq_sandbox_life_messages_msg_id'))
    )
    with op.batch_alter_table('sandbox_life_messages', schema=None) as batch_op:
        batch_op.create_index('ix_sandbox_life_messages_user', ['app_id', 'to_user_id'], unique=False)

    with op.batch_alter_table('notice_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=10), server_default='wechat', nullable=False))
        batch_op.create_check_constraint('channel_known', "channel IN ('wechat', 'alipay')")

    with op.batch_alter_table('sends', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alipay_after', sa.BigInteger(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('sends', schema=None) as batch_op:
        batch_op.drop_column('alipay_after')

    with op.batch_alter_table('notice_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint('channel_known', type_='check')
        batch_op.drop_column('channel')

    with op.batch_alter_table('sandbox_life_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_sandbox_life_messages_user')

    op.drop_table('sandbox_life_messages')
    op.drop_table('sandbox_life_follows')
    op.drop_table('alipay_life_settings')
