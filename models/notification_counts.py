"""Payment notifications that were not kept in full: counted per merchant, day, endpoint and reason, with one
truncated sample; and the per-minute counts behind the notification rate limit when there is no Redis.

Neither table has a foreign key to merchants: merchant_id 0 is the one bucket for notifications addressed to a
slug that names no merchant (so junk sent to made-up slugs adds one row a day per reason, not one per slug), and
the rate rows live for two minutes.
"""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime

NOTIFICATION_ENDPOINTS = ("wechat_pay", "wechat_refund", "alipay")
REJECTION_REASONS = ("unknown_merchant", "rate_limited", "too_large", "malformed", "bad_signature", "crashed")
UNKNOWN_MERCHANT_BUCKET = 0


class RejectedNotification(Base):
    """How many notifications of one kind a merchant's endpoint refused unverified on one (local) day, and the
    latest of them, truncated: a flood of forged or junk posts is one row, however long it lasts."""

    __tablename__ = "rejected_notifications"
    __table_args__ = (
        sa.PrimaryKeyConstraint("merchant_id", "day", "endpoint", "reason"),
        sa.CheckConstraint(f"endpoint IN {NOTIFICATION_ENDPOINTS!r}", name="endpoint_known"),
        sa.CheckConstraint(f"reason IN {REJECTION_REASONS!r}", name="reason_known"),
    )

    merchant_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # 0: the slug named no merchant
    day = mapped_column(sa.Date, nullable=False)  # in the merchant's timezone (Asia/Shanghai for bucket 0)
    endpoint: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    last_detail: Mapped[str | None] = mapped_column(sa.String(200))
    last_sample: Mapped[str] = mapped_column(sa.String(512), nullable=False, default="")  # first 512 bytes
    last_at = mapped_column(UTCDateTime(), nullable=False)


class NotificationRate(Base):
    """Notifications a merchant's endpoints received in one clock minute, when the rate limit counts in the
    database (no Redis); a merchant's older minutes are deleted when its next minute starts."""

    __tablename__ = "notification_rates"
    __table_args__ = (sa.PrimaryKeyConstraint("merchant_id", "minute"),)

    merchant_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    minute: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # epoch seconds // 60
    count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
