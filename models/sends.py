"""Sends (群发): one message to a frozen audience over WeChat mass messages and marketing SMS, and what each
member got; the monthly mass-message allowance per member; the merchant's messaging settings."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime

SEND_STATUSES = ("draft", "awaiting_confirm", "scheduled", "running", "waiting", "done", "cancelled", "failed")
CONTENT_KINDS = ("text", "news", "coupon")
CHANNELS = ("wechat", "sms", "best")
RECIPIENT_STATUSES = ("queued", "sent", "delivered", "skipped", "failed")
SKIP_REASONS = ("no_channel", "no_wechat", "no_phone", "quota", "opted_out", "quiet_hours", "duplicate",
                "cancelled")


class Send(TenantMixin, CreatedAtMixin, Base):
    """A mass message: content, channel choice, audience (frozen into send_recipients when it starts), progress
    counters and the report's figures."""

    __tablename__ = "sends"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'awaiting_confirm', 'scheduled', 'running', 'waiting', 'done', "
                           "'cancelled', 'failed')", name="send_status_known"),
        sa.CheckConstraint("content_kind IN ('text', 'news', 'coupon')", name="send_kind_known"),
        sa.CheckConstraint("channel IN ('wechat', 'sms', 'best')", name="send_channel_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(40), nullable=False)  # the merchant's own name for it
    audience_id: Mapped[int | None] = mapped_column(sa.ForeignKey("audiences.id", ondelete="SET NULL"))
    filters: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)  # the audience as chosen
    content_kind: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="text")
    channel: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="wechat")
    sms_fallback: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    quiet_skip: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)  # else wait for 08:00
    text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")  # WeChat text message
    news_title: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    news_summary: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    news_body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    cover: Mapped[str | None] = mapped_column(sa.String(80))  # file name under the upload folder
    link_url: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    news_media_id: Mapped[str | None] = mapped_column(sa.String(64))  # the article uploaded to WeChat for it
    coupon_template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("coupon_templates.id", ondelete="RESTRICT"))
    sms_body: Mapped[str] = mapped_column(sa.String(140), nullable=False, default="")
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="draft")
    scheduled_at = mapped_column(UTCDateTime())
    resume_at = mapped_column(UTCDateTime())  # a waiting send (SMS quiet hours) goes on then
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    confirmed_at = mapped_column(UTCDateTime())
    started_at = mapped_column(UTCDateTime())
    finished_at = mapped_column(UTCDateTime())
    worked_at = mapped_column(UTCDateTime())  # the last chunk done: a running send idle long after it lost its worker
    cancel_requested_at = mapped_column(UTCDateTime())
    frozen: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # Resume points: the last recipient row each phase handled. The next batch is read forward from here along
    # the primary key, so no index of the recipients' status is needed (each update would write into it).
    wechat_after: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    sms_after: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    alipay_after: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0, server_default="0")
    total: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    handled: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    wechat_total: Mapped[int | None] = mapped_column(sa.Integer)  # WeChat's own figures (MASSSENDJOBFINISH)
    wechat_sent: Mapped[int | None] = mapped_column(sa.Integer)
    wechat_errors: Mapped[int | None] = mapped_column(sa.Integer)
    sms_units: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)  # 条 used
    error: Mapped[str | None] = mapped_column(sa.String(500))


class SendRecipient(Base):
    """One member of a send's frozen audience: the channel picked, the address used, and what happened.

    A send writes up to a million of these in one INSERT … SELECT from members, so there are no foreign keys: a
    per-row check of the send alone doubles the freeze's time (6 s to 12 s for a million), and send, merchant and
    member all come from the rows of that same statement. Sends are never deleted (they are the record of what
    members were sent)."""

    __tablename__ = "send_recipients"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "send_id", "member_id", name="uq_send_recipient"),
        # a member's messages on their page (会员360); not sent_at, so marking a batch sent stays a HOT update
        sa.Index("ix_send_recipients_member", "merchant_id", "member_id"),
        # the report's coupons: only the rows whose member took the send's coupon
        sa.Index("ix_send_recipients_coupon", "merchant_id", "send_id", postgresql_where=sa.text(
            "coupon_code_id IS NOT NULL"), sqlite_where=sa.text("coupon_code_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    send_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    member_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    channel: Mapped[str | None] = mapped_column(sa.String(10))  # wechat | alipay | sms | None when skipped
    address: Mapped[str | None] = mapped_column(sa.String(128))  # openid, Alipay user_id or mobile
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="queued")
    reason: Mapped[str | None] = mapped_column(sa.String(20))
    batch: Mapped[int | None] = mapped_column(sa.Integer)  # the mass call (wechat_mass_calls.id) that carried it
    coupon_code_id: Mapped[int | None] = mapped_column(sa.Integer)  # the send's coupon, once the member took it
    sent_at = mapped_column(UTCDateTime())
    delivered_at = mapped_column(UTCDateTime())


class WechatMassCall(TenantMixin, CreatedAtMixin, Base):
    """One call of WeChat's mass API (at most 10,000 openids): its clientmsgid, WeChat's msg_id, and the figures
    of its MASSSENDJOBFINISH event."""

    __tablename__ = "wechat_mass_calls"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "client_msg_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    send_id: Mapped[int] = mapped_column(sa.ForeignKey("sends.id", ondelete="CASCADE"), nullable=False, index=True)
    client_msg_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    msg_id: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    recipients: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    reported_at = mapped_column(UTCDateTime())
    total_count: Mapped[int | None] = mapped_column(sa.Integer)
    sent_count: Mapped[int | None] = mapped_column(sa.Integer)
    error_count: Mapped[int | None] = mapped_column(sa.Integer)


class MassQuota(Base):
    """Mass messages a member received from this merchant in one natural month (merchant's timezone): taken by a
    conditional upsert, so two sends racing for a member at 3 of 4 never give 5."""

    __tablename__ = "mass_quota"
    __table_args__ = (sa.PrimaryKeyConstraint("merchant_id", "member_id", "month"),)

    merchant_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # no foreign keys: see the docstring
    member_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    month: Mapped[str] = mapped_column(sa.String(7), nullable=False)  # YYYY-MM
    used: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False, default=0)


class MessagingSettings(TenantMixin, CreatedAtMixin, Base):
    """How a merchant reaches members: the SMS signature, its own sensitive words, whether SMS stands in when
    WeChat cannot reach a member."""

    __tablename__ = "messaging_settings"
    __table_args__ = (sa.UniqueConstraint("merchant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sms_signature: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="")  # 【…】 without brackets
    own_words: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    sms_fallback: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    # the frequency cap across campaigns: marketing messages a member gets from campaigns in one week
    campaign_messages_per_week: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False, default=2,
                                                            server_default="2")
