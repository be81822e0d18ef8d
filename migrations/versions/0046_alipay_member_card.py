"""The member card in Alipay's card package: the merchant's template, the cards members opened, and the sandbox's.

Revision ID: 0046_alipay_member_card
Revises: 0045_card_package_pushes
Create Date: 2026-12-07 11:30:00

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '0046_alipay_member_card'
down_revision = '0045_card_package_pushes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sandbox_alipay_card_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.String(length=32), nullable=False),
    sa.Column('method', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_alipay_card_requests')),
    sa.UniqueConstraint('app_id', 'method', 'request_id', name=op.f('uq_sandbox_alipay_card_requests_app_id_method_request_id'))
    )
    op.create_table('sandbox_alipay_card_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.String(length=32), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('updates', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_alipay_card_templates')),
    sa.UniqueConstraint('template_id', name=op.f('uq_sandbox_alipay_card_templates_template_id'))
    )
    with op.batch_alter_table('sandbox_alipay_card_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_alipay_card_templates_app_id'), ['app_id'], unique=False)

    op.create_table('sandbox_alipay_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.String(length=32), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('biz_card_no', sa.String(length=32), nullable=False),
    sa.Column('external_card_no', sa.String(length=32), nullable=False),
    sa.Column('open_date', sa.String(length=19), nullable=False),
    sa.Column('valid_date', sa.String(length=19), nullable=False),
    sa.Column('point', sa.String(length=32), nullable=False),
    sa.Column('balance', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('updates', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_alipay_cards')),
    sa.UniqueConstraint('biz_card_no', name=op.f('uq_sandbox_alipay_cards_biz_card_no'))
    )
    with op.batch_alter_table('sandbox_alipay_cards', schema=None) as batch_op:
        batch_op.create_index('ix_sandbox_alipay_cards_user', ['app_id', 'user_id'], unique=False)

    op.create_table('alipay_card_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.String(length=32), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=True),
    sa.Column('synced_version', sa.Integer(), nullable=False),
    sa.Column('sync_error', sa.String(length=300), nullable=True),
    sa.Column('synced_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_alipay_card_templates_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alipay_card_templates')),
    sa.UniqueConstraint('merchant_id', name=op.f('uq_alipay_card_templates_merchant_id'))
    )
    op.create_table('alipay_card_holdings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('alipay_user_id', sa.String(length=64), nullable=False),
    sa.Column('out_serial_no', sa.String(length=64), nullable=False),
    sa.Column('biz_card_no', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('open', 'deleted')", name=op.f('ck_alipay_card_holdings_alipay_holding_state_known')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_alipay_card_holdings_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_alipay_card_holdings_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alipay_card_holdings')),
    sa.UniqueConstraint('merchant_id', 'biz_card_no', name=op.f('uq_alipay_card_holdings_merchant_id_biz_card_no')),
    sa.UniqueConstraint('merchant_id', 'out_serial_no', name=op.f('uq_alipay_card_holdings_merchant_id_out_serial_no'))
    )
    with op.batch_alter_table('alipay_card_holdings', schema=None) as batch_op:
        batch_op.create_index('ix_alipay_card_holdings_member', ['merchant_id', 'member_id'], unique=False)
        batch_op.create_index('uq_alipay_card_holdings_open', ['merchant_id', 'member_id'], unique=True, postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))



def downgrade():
    with op.batch_alter_table('alipay_card_holdings', schema=None) as batch_op:
        batch_op.drop_index('uq_alipay_card_holdings_open', postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))
        batch_op.drop_index('ix_alipay_card_holdings_member')

    op.drop_table('alipay_card_holdings')
    op.drop_table('alipay_card_templates')
    with op.batch_alter_table('sandbox_alipay_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_sandbox_alipay_cards_user')

    op.drop_table('sandbox_alipay_cards')
    with op.batch_alter_table('sandbox_alipay_card_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_alipay_card_templates_app_id'))

    op.drop_table('sandbox_alipay_card_templates')
    op.drop_table('sandbox_alipay_card_requests')
