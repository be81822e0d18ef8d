"""Sends (群发): frozen recipients, WeChat mass calls, the monthly mass allowance, messaging settings, SMS opt-out;
the sandbox's mass messages and media

Revision ID: 0022_sends
Revises: 0021_coupon_notice
Create Date: 2026-12-06 20:14:58.234852

"""
import sqlalchemy as sa
from alembic import op

import models.base


# revision identifiers, used by Alembic.
revision = '0022_sends'
down_revision = '0021_coupon_notice'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sandbox_mass_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('client_msg_id', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('preview', sa.Boolean(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('reported_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_mass_messages')),
    sa.UniqueConstraint('app_id', 'client_msg_id', name=op.f('uq_sandbox_mass_messages_app_id_client_msg_id'))
    )
    op.create_table('sandbox_media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('media_id', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_media')),
    sa.UniqueConstraint('media_id', name=op.f('uq_sandbox_media_media_id'))
    )
    op.create_table('messaging_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sms_signature', sa.String(length=12), nullable=False),
    sa.Column('own_words', sa.JSON(), nullable=False),
    sa.Column('sms_fallback', sa.Boolean(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_messaging_settings_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messaging_settings')),
    sa.UniqueConstraint('merchant_id', name=op.f('uq_messaging_settings_merchant_id'))
    )
    op.create_table('sandbox_mass_recipients',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('openid', sa.String(length=128), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('delivered', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['sandbox_mass_messages.id'], name=op.f('fk_sandbox_mass_recipients_message_id_sandbox_mass_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_mass_recipients'))
    )
    with op.batch_alter_table('sandbox_mass_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_mass_recipients_message_id'), ['message_id'], unique=False)
        batch_op.create_index('ix_sandbox_mass_recipients_openid', ['app_id', 'openid', 'month'], unique=False)

    op.create_table('mass_quota',
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('used', sa.SmallInteger(), nullable=False),
    sa.PrimaryKeyConstraint('merchant_id', 'member_id', 'month', name=op.f('pk_mass_quota'))
    )
    op.create_table('sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=40), nullable=False),
    sa.Column('audience_id', sa.Integer(), nullable=True),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('content_kind', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('sms_fallback', sa.Boolean(), nullable=False),
    sa.Column('quiet_skip', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('news_title', sa.String(length=64), nullable=False),
    sa.Column('news_summary', sa.String(length=120), nullable=False),
    sa.Column('news_body', sa.Text(), nullable=False),
    sa.Column('cover', sa.String(length=80), nullable=True),
    sa.Column('link_url', sa.String(length=500), nullable=False),
    sa.Column('news_media_id', sa.String(length=64), nullable=True),
    sa.Column('coupon_template_id', sa.Integer(), nullable=True),
    sa.Column('sms_body', sa.String(length=140), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('scheduled_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resume_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('worked_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancel_requested_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.Column('wechat_after', sa.BigInteger(), nullable=False),
    sa.Column('sms_after', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('handled', sa.Integer(), nullable=False),
    sa.Column('wechat_total', sa.Integer(), nullable=True),
    sa.Column('wechat_sent', sa.Integer(), nullable=True),
    sa.Column('wechat_errors', sa.Integer(), nullable=True),
    sa.Column('sms_units', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('wechat', 'sms', 'best')", name=op.f('ck_sends_send_channel_known')),
    sa.CheckConstraint("content_kind IN ('text', 'news', 'coupon')", name=op.f('ck_sends_send_kind_known')),
    sa.CheckConstraint("status IN ('draft', 'awaiting_confirm', 'scheduled', 'running', 'waiting', 'done', 'cancelled', 'failed')", name=op.f('ck_sends_send_status_known')),
    sa.ForeignKeyConstraint(['audience_id'], ['audiences.id'], name=op.f('fk_sends_audience_id_audiences'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['staff.id'], name=op.f('fk_sends_confirmed_by_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['coupon_template_id'], ['coupon_templates.id'], name=op.f('fk_sends_coupon_template_id_coupon_templates'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_sends_created_by_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_sends_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sends'))
    )
    with op.batch_alter_table('sends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sends_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('send_recipients',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('send_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=True),
    sa.Column('address', sa.String(length=128), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('batch', sa.Integer(), nullable=True),
    sa.Column('coupon_code_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_send_recipients')),
    sa.UniqueConstraint('merchant_id', 'send_id', 'member_id', name='uq_send_recipient')
    )
    op.create_index('ix_send_recipients_coupon', 'send_recipients', ['merchant_id', 'send_id'], unique=False,
                    postgresql_where=sa.text('coupon_code_id IS NOT NULL'),
                    sqlite_where=sa.text('coupon_code_id IS NOT NULL'))

    op.create_table('wechat_mass_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('send_id', sa.Integer(), nullable=False),
    sa.Column('client_msg_id', sa.String(length=64), nullable=False),
    sa.Column('msg_id', sa.String(length=40), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('reported_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('total_count', sa.Integer(), nullable=True),
    sa.Column('sent_count', sa.Integer(), nullable=True),
    sa.Column('error_count', sa.Integer(), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_wechat_mass_calls_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['send_id'], ['sends.id'], name=op.f('fk_wechat_mass_calls_send_id_sends'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wechat_mass_calls')),
    sa.UniqueConstraint('merchant_id', 'client_msg_id', name=op.f('uq_wechat_mass_calls_merchant_id_client_msg_id'))
    )
    with op.batch_alter_table('wechat_mass_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wechat_mass_calls_msg_id'), ['msg_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wechat_mass_calls_send_id'), ['send_id'], unique=False)

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_opt_out_at', models.base.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('sms_opt_out_at')

    with op.batch_alter_table('wechat_mass_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wechat_mass_calls_send_id'))
        batch_op.drop_index(batch_op.f('ix_wechat_mass_calls_msg_id'))

    op.drop_table('wechat_mass_calls')

    op.drop_index('ix_send_recipients_coupon', table_name='send_recipients')
    op.drop_table('send_recipients')
    with op.batch_alter_table('sends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sends_merchant_id'))

    op.drop_table('sends')
    op.drop_table('mass_quota')
    with op.batch_alter_table('sandbox_mass_recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_sandbox_mass_recipients_openid')
        batch_op.drop_index(batch_op.f('ix_sandbox_mass_recipients_message_id'))

    op.drop_table('sandbox_mass_recipients')
    op.drop_table('messaging_settings')
    op.drop_table('sandbox_media')
    op.drop_table('sandbox_mass_messages')
