"""Alipay merchant vouchers (支付宝商家券): the activity a coupon template became in Alipay, and each code of it
deposited into a member's Alipay card package, with how far Alipay has followed the code's uses and undos."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime

ACTIVITY_STATES = ("pending", "active", "failed", "stopped")
DEPOSIT_STATES = ("pending", "deposited", "used", "refunded")


class AlipayVoucherActivity(TenantMixin, CreatedAtMixin, Base):
    """One per coupon template synced to Alipay: Alipay's activity_id once created (out_biz_no makes a repeated
    create return the same activity), and Alipay's refusal in words when it refused."""

    __tablename__ = "alipay_voucher_activities"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "template_id"),
                      sa.UniqueConstraint("merchant_id", "out_biz_no"),
                      sa.CheckConstraint(f"state IN {ACTIVITY_STATES!r}", name="activity_state_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("coupon_templates.id", ondelete="CASCADE"), nullable=False)
    out_biz_no: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    activity_id: Mapped[str | None] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    sync_error: Mapped[str | None] = mapped_column(sa.String(300))
    synced_at = mapped_column(UTCDateTime())

    template = relationship("CouponTemplate")


class AlipayVoucherDeposit(TenantMixin, CreatedAtMixin, Base):
    """One coupon code in one member's Alipay card package. `out_biz_no` is the deposit's (a retry never deposits
    twice); `uses` counts the uses Alipay accepted, which names each later use and refund (`U<id>N<n>`,
    `R<id>N<n>`), so a retried call repeats its own out_biz_no and never doubles."""

    __tablename__ = "alipay_voucher_deposits"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "code_id"),
                      sa.UniqueConstraint("merchant_id", "out_biz_no"),
                      sa.CheckConstraint(f"state IN {DEPOSIT_STATES!r}", name="deposit_state_known"),
                      sa.Index("ix_alipay_voucher_deposits_template", "merchant_id", "template_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("coupon_templates.id", ondelete="CASCADE"), nullable=False)
    code_id: Mapped[int] = mapped_column(sa.ForeignKey("coupon_codes.id", ondelete="CASCADE"), nullable=False)
    alipay_user_id: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    out_biz_no: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    uses: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    updated_at = mapped_column(UTCDateTime())
