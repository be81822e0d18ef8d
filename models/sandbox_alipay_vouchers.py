"""What the sandbox keeps when it plays Alipay's merchant vouchers (商家券): the activities apps created, the vouchers
in users' card packages with their state, and each request's answer by its out_biz_no, so a repeated out_biz_no gets
the first answer again as on Alipay (never a second voucher or a second use)."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin, UTCDateTime

SANDBOX_VOUCHER_STATES = ("AVAILABLE", "USED")


class SandboxAlipayVoucherActivity(CreatedAtMixin, Base):
    """An activity (ordervoucher.create) of one app: its terms as the app sent them, and whether it still sends."""

    __tablename__ = "sandbox_alipay_voucher_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(32), nullable=False, index=True)
    activity_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    activity_name: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    voucher_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # FIX_VOUCHER | DISCOUNT_VOUCHER
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="ACTIVE")  # ACTIVE | STOPPED
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)  # the biz_content of create


class SandboxAlipayVoucher(CreatedAtMixin, Base):
    """A voucher with the merchant's code in one Alipay user's card package; `uses` counts ordervoucher.use calls."""

    __tablename__ = "sandbox_alipay_vouchers"
    __table_args__ = (sa.UniqueConstraint("activity_id", "voucher_code"),
                      sa.Index("ix_sandbox_alipay_vouchers_user", "app_id", "user_id"),
                      sa.CheckConstraint(f"status IN {SANDBOX_VOUCHER_STATES!r}", name="sandbox_voucher_state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    activity_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    voucher_code: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    voucher_id: Mapped[str] = mapped_column(sa.String(32), nullable=False, unique=True)
    user_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="AVAILABLE")
    uses: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    used_at = mapped_column(UTCDateTime())


class SandboxAlipayVoucherRequest(CreatedAtMixin, Base):
    """The answer given to one out_biz_no of one app and method, with the request it answered (a fingerprint)."""

    __tablename__ = "sandbox_alipay_voucher_requests"
    __table_args__ = (sa.UniqueConstraint("app_id", "method", "out_biz_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    method: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    out_biz_no: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    answer: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
