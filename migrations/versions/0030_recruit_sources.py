"""Recruit sources (join codes, share links): a source found by its token alone (the short link /j/<token>),
invitation SMS batches and the numbers they reached, and phone numbers that replied T to a marketing SMS (members or
not).

Revision ID: 0030_recruit_sources
Revises: 0029_recruitment
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '0030_recruit_sources'
down_revision = '0029_recruitment'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recruit_sources', schema=None) as batch_op:
        batch_op.create_index('ix_recruit_sources_token', ['token'], unique=False)

    op.create_table('recruit_sms_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('asked', sa.Integer(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('skipped_member', sa.Integer(), nullable=False),
    sa.Column('skipped_opted_out', sa.Integer(), nullable=False),
    sa.Column('skipped_recent', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_recruit_sms_batches_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['recruit_sources.id'], name=op.f('fk_recruit_sms_batches_source_id_recruit_sources'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_recruit_sms_batches_staff_id_staff'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruit_sms_batches')),
    sa.UniqueConstraint('merchant_id', 'key', name=op.f('uq_recruit_sms_batches_merchant_id_key'))
    )
    op.create_table('recruit_sms_invitees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['recruit_sms_batches.id'], name=op.f('fk_recruit_sms_invitees_batch_id_recruit_sms_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_recruit_sms_invitees_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruit_sms_invitees')),
    sa.UniqueConstraint('merchant_id', 'batch_id', 'mobile', name=op.f('uq_recruit_sms_invitees_merchant_id_batch_id_mobile'))
    )
    with op.batch_alter_table('recruit_sms_invitees', schema=None) as batch_op:
        batch_op.create_index('ix_recruit_sms_invitees_merchant_mobile_created', ['merchant_id', 'mobile', 'created_at'], unique=False)

    op.create_table('sms_opt_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_sms_opt_outs_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_opt_outs')),
    sa.UniqueConstraint('merchant_id', 'mobile', name=op.f('uq_sms_opt_outs_merchant_id_mobile'))
    )


def downgrade():
    op.drop_table('sms_opt_outs')
    with op.batch_alter_table('recruit_sms_invitees', schema=None) as batch_op:
        batch_op.drop_index('ix_recruit_sms_invitees_merchant_mobile_created')

    op.drop_table('recruit_sms_invitees')
    op.drop_table('recruit_sms_batches')
    with op.batch_alter_table('recruit_sources', schema=None) as batch_op:
        batch_op.drop_index('ix_recruit_sources_token')
