"""Unverified payment notifications are counted per day with one sample; a per-minute count for the rate limit.

Revision ID: 0028_rejected_notifications
Revises: 0027_wechat_message_mode
Create Date: 2026-12-07 01:55:11.711073

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '0028_rejected_notifications'
down_revision = '0027_wechat_message_mode'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_rates',
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('minute', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('merchant_id', 'minute', name=op.f('pk_notification_rates'))
    )
    op.create_table('rejected_notifications',
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('endpoint', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('last_detail', sa.String(length=200), nullable=True),
    sa.Column('last_sample', sa.String(length=512), nullable=False),
    sa.Column('last_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("endpoint IN ('wechat_pay', 'wechat_refund', 'alipay')",
                       name=op.f('ck_rejected_notifications_endpoint_known')),
    sa.CheckConstraint("reason IN ('unknown_merchant', 'rate_limited', 'too_large', 'malformed', 'bad_signature', "
                       "'crashed')", name=op.f('ck_rejected_notifications_reason_known')),
    sa.PrimaryKeyConstraint('merchant_id', 'day', 'endpoint', 'reason', name=op.f('pk_rejected_notifications'))
    )


def downgrade():
    op.drop_table('rejected_notifications')
    op.drop_table('notification_rates')
