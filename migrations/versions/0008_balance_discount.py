"""储值折上折 rules

Revision ID: 0008_balance_discount
Revises: 0007_stored_value
"""
from alembic import op
import sqlalchemy as sa

import models.base

revision = '0008_balance_discount'
down_revision = '0007_stored_value'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'balance_discount_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('min_balance', sa.BigInteger(), nullable=False),
        sa.Column('discount_percent', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=True),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('merchant_id', sa.Integer(), nullable=False),
        sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('min_balance > 0', name=op.f('ck_balance_discount_rules_min_balance_positive')),
        sa.CheckConstraint('discount_percent BETWEEN 1 AND 99', name=op.f('ck_balance_discount_rules_discount_range')),
        sa.CheckConstraint('(starts_on IS NULL) = (ends_on IS NULL) AND (starts_on IS NULL OR starts_on <= ends_on)',
                           name=op.f('ck_balance_discount_rules_period_valid')),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'],
                                name=op.f('fk_balance_discount_rules_merchant_id_merchants'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_balance_discount_rules')),
    )
    with op.batch_alter_table('balance_discount_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_balance_discount_rules_merchant_id'), ['merchant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('balance_discount_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_balance_discount_rules_merchant_id'))
    op.drop_table('balance_discount_rules')
