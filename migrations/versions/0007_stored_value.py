"""Stored value: settings per merchant (switch, guard rails) and top-up rules

Revision ID: 0007_stored_value
Revises: 0006_payments
"""
from alembic import op
import sqlalchemy as sa

import models.base

revision = '0007_stored_value'
down_revision = '0006_payments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_value_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('enabled_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('allow_custom_amount', sa.Boolean(), nullable=False),
    sa.Column('custom_min', sa.BigInteger(), nullable=False),
    sa.Column('custom_max', sa.BigInteger(), nullable=False),
    sa.Column('nudge_mode', sa.String(length=8), nullable=False),
    sa.Column('max_balance', sa.BigInteger(), nullable=False),
    sa.Column('anonymous_max_face', sa.BigInteger(), nullable=False),
    sa.Column('real_name_threshold', sa.BigInteger(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("nudge_mode IN ('off', 'once', 'every')", name=op.f('ck_stored_value_settings_nudge_mode_known')),
    sa.CheckConstraint('custom_min > 0 AND custom_max >= custom_min', name=op.f('ck_stored_value_settings_custom_range')),
    sa.CheckConstraint('max_balance > 0 AND anonymous_max_face > 0 AND real_name_threshold > 0', name=op.f('ck_stored_value_settings_guard_rails_positive')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_stored_value_settings_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_value_settings')),
    sa.UniqueConstraint('merchant_id', name=op.f('uq_stored_value_settings_merchant_id'))
    )
    with op.batch_alter_table('stored_value_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_value_settings_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('topup_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pay_amount', sa.BigInteger(), nullable=False),
    sa.Column('bonus', sa.BigInteger(), nullable=False),
    sa.Column('instalment_total', sa.BigInteger(), nullable=False),
    sa.Column('instalment_months', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('growth', sa.Integer(), nullable=False),
    sa.Column('coupons', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('pay_amount > 0', name=op.f('ck_topup_rules_pay_positive')),
    sa.CheckConstraint('bonus >= 0 AND points >= 0 AND growth >= 0', name=op.f('ck_topup_rules_gifts_not_negative')),
    sa.CheckConstraint('instalment_total >= 0 AND instalment_months >= 0 AND instalment_months <= 36', name=op.f('ck_topup_rules_instalments_in_range')),
    sa.CheckConstraint('(starts_on IS NULL) = (ends_on IS NULL) AND (starts_on IS NULL OR ends_on >= starts_on)', name=op.f('ck_topup_rules_period_complete')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_topup_rules_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topup_rules'))
    )
    with op.batch_alter_table('topup_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topup_rules_merchant_id'), ['merchant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('topup_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topup_rules_merchant_id'))
    op.drop_table('topup_rules')
    with op.batch_alter_table('stored_value_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_value_settings_merchant_id'))
    op.drop_table('stored_value_settings')
