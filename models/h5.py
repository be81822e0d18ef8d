"""Member-facing state: SMS verification codes and template-notice deliveries."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime

NOTICE_KINDS = ("points_changed", "balance_changed", "level_up", "coupon_received")
NOTICE_STATUSES = ("pending", "sent", "failed", "skipped")
NOTICE_CHANNELS = ("wechat", "alipay")  # a template notice, or the Alipay life account's (生活号)


class SmsCode(TenantMixin, CreatedAtMixin, Base):
    """A 6-digit code sent to a phone. Only its hash is kept; it dies after 5 minutes or 5 wrong tries."""

    __tablename__ = "sms_codes"
    __table_args__ = (sa.Index("ix_sms_codes_mobile_created", "merchant_id", "mobile", "created_at"),
                      sa.Index("ix_sms_codes_ip_created", "ip", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    purpose: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="join")
    code_hash: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    expires_at = mapped_column(UTCDateTime(), nullable=False)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    consumed_at = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(sa.String(45))


class NoticeDelivery(TenantMixin, CreatedAtMixin, Base):
    """A template notice to a member: queued, retried with backoff, recorded whatever happens."""

    __tablename__ = "notice_deliveries"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "idempotency_key"),
                      sa.CheckConstraint(f"kind IN {NOTICE_KINDS!r}", name="kind_known"),
                      sa.CheckConstraint(f"status IN {NOTICE_STATUSES!r}", name="status_known"),
                      sa.CheckConstraint(f"channel IN {NOTICE_CHANNELS!r}", name="channel_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    channel: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="wechat", server_default="wechat")
    openid: Mapped[str | None] = mapped_column(sa.String(128))  # the openid, or the Alipay user_id (channel alipay)
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    sent_at = mapped_column(UTCDateTime())
