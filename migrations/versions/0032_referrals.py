"""Member referral links and rewards: what each invitee's join and first payment gave each referrer (or why
nothing was given); the coupon channel 'referral'.

Revision ID: 0032_referrals
Revises: 0031_guides
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '0032_referrals'
down_revision = '0031_guides'
branch_labels = None
depends_on = None

OLD_CHANNELS = ("follow_gift", "menu", "poster_qr", "receipt_qr", "staff", "mass_message", "template_message",
                "shop_qr", "points_exchange", "purchase", "h5", "bulk", "friend", "campaign")
NEW_CHANNELS = OLD_CHANNELS + ("referral",)
CHANNEL_TABLES = ("coupon_codes", "coupon_claim_links", "coupon_bulk_issues", "cards")


def _channels(channels):
    for table in CHANNEL_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint("channel_known", type_="check")
            batch.create_check_constraint("channel_known", f"channel IN {channels!r}")


def upgrade():
    op.create_table('referral_rewards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('invitee_id', sa.Integer(), nullable=False),
    sa.Column('referrer_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('coupon_template_id', sa.Integer(), nullable=True),
    sa.Column('coupon_code_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("event IN ('join', 'first_payment')", name=op.f('ck_referral_rewards_event_known')),
    sa.CheckConstraint("outcome IN ('given', 'skipped', 'refused')", name=op.f('ck_referral_rewards_outcome_known')),
    sa.CheckConstraint('level BETWEEN 1 AND 3 AND points >= 0', name=op.f('ck_referral_rewards_level_points_in_range')),
    sa.ForeignKeyConstraint(['coupon_code_id'], ['coupon_codes.id'], name=op.f('fk_referral_rewards_coupon_code_id_coupon_codes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['coupon_template_id'], ['coupon_templates.id'], name=op.f('fk_referral_rewards_coupon_template_id_coupon_templates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invitee_id'], ['members.id'], name=op.f('fk_referral_rewards_invitee_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_referral_rewards_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referrer_id'], ['members.id'], name=op.f('fk_referral_rewards_referrer_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_rewards')),
    sa.UniqueConstraint('merchant_id', 'key', name=op.f('uq_referral_rewards_merchant_id_key'))
    )
    with op.batch_alter_table('referral_rewards', schema=None) as batch_op:
        batch_op.create_index('ix_referral_rewards_merchant_invitee', ['merchant_id', 'invitee_id'], unique=False)
        batch_op.create_index('ix_referral_rewards_merchant_referrer', ['merchant_id', 'referrer_id'], unique=False)
    _channels(NEW_CHANNELS)


def downgrade():
    op.execute("UPDATE coupon_codes SET channel = 'h5' WHERE channel = 'referral'")  # the code stays the member's
    _channels(OLD_CHANNELS)
    with op.batch_alter_table('referral_rewards', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_rewards_merchant_referrer')
        batch_op.drop_index('ix_referral_rewards_merchant_invitee')
    op.drop_table('referral_rewards')
