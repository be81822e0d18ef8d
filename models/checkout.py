"""The till: the merchant's checkout settings, points multiplier days, and each member payment (checkout) with
its refunds. A checkout keeps its priced steps, so a receipt and a refund read what was charged, not a re-quote."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAtMixin, TenantMixin

TENDERS = ("balance", "wechat", "alipay", "cash", "card")
TENDER_LABELS = {"balance": "储值余额", "wechat": "微信支付", "alipay": "支付宝", "cash": "现金", "card": "银行卡"}
SOURCES = ("staff", "api", "h5")
EARN_BASES = ("paid", "amount")  # what was paid in money (balance + tender), or the order amount before discounts
CHECKOUT_STATES = ("paid", "refunded")


class CheckoutSettings(TenantMixin, Base):
    """One row per merchant: sharing rules, points deduction, 随机立减, points earning and referral shares."""

    __tablename__ = "checkout_settings"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id"),
        sa.CheckConstraint("points_per_yuan IS NULL OR points_per_yuan BETWEEN 1 AND 100000", name="deduct_rate"),
        sa.CheckConstraint("points_max_percent BETWEEN 0 AND 100", name="deduct_share"),
        sa.CheckConstraint("random_min >= 0 AND random_max >= random_min AND random_max <= 100000",
                           name="random_range"),
        sa.CheckConstraint(f"earn_base IN {EARN_BASES!r}", name="earn_base_known"),
        sa.CheckConstraint("earn_per_yuan BETWEEN 0 AND 1000", name="earn_rate"),
        sa.CheckConstraint("referral_levels BETWEEN 0 AND 5 AND referral_percent BETWEEN 0 AND 100",
                           name="referral_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level_with_coupons: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    level_with_points: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    coupons_with_points: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    multiple_coupons: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    points_per_yuan: Mapped[int | None] = mapped_column(sa.Integer)  # deduction: N points = ¥1; None = off
    points_max_percent: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=50)
    random_min: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)  # fen; both 0 = off
    random_max: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    earn_base: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="paid")
    earn_per_yuan: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)  # points per ¥1 of the base
    multipliers_compound: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    referral_levels: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)  # 0 = off, at most 5
    referral_percent: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=10)  # of the payer's points
    # 手动增减积分 at the counter (seed 000 §6): whether the staff page offers adding / deducting points.
    staff_add_points: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False,
                                                   server_default=sa.false())
    staff_deduct_points: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False,
                                                      server_default=sa.false())


class PointsMultiplierDay(TenantMixin, CreatedAtMixin, Base):
    """节假日多倍积分: a date range (up to 10 per merchant) or a weekday ("Wednesday member day")."""

    __tablename__ = "points_multiplier_days"
    __table_args__ = (
        sa.CheckConstraint("(starts_on IS NULL) = (ends_on IS NULL) AND (starts_on IS NULL OR ends_on >= starts_on)",
                           name="period_complete"),
        sa.CheckConstraint("(weekday IS NULL) <> (starts_on IS NULL)", name="one_kind"),
        sa.CheckConstraint("weekday IS NULL OR weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("multiplier_tenths BETWEEN 10 AND 100", name="multiplier_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    starts_on = mapped_column(sa.Date)
    ends_on = mapped_column(sa.Date)
    weekday: Mapped[int | None] = mapped_column(sa.SmallInteger)  # 0 = Monday
    multiplier_tenths: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # 20 = double points
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)


class Checkout(TenantMixin, CreatedAtMixin, Base):
    """One payment at the till (staff page, JSON API or member self-pay): everything it touched, in one row."""

    __tablename__ = "checkouts"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "idempotency_key"),
        sa.CheckConstraint(f"tender IN {TENDERS!r}", name="tender_known"),
        sa.CheckConstraint(f"source IN {SOURCES!r}", name="source_known"),
        sa.CheckConstraint(f"state IN {CHECKOUT_STATES!r}", name="state_known"),
        sa.CheckConstraint("amount > 0 AND discount >= 0 AND pay = amount - discount AND pay >= 0", name="sums"),
        sa.CheckConstraint("balance_paid >= 0 AND balance_paid <= pay", name="balance_in_range"),
        sa.CheckConstraint("points_used >= 0 AND points_earned >= 0", name="points_nonneg"),
        sa.CheckConstraint("refunded_amount >= 0 AND refunded_amount <= pay", name="refund_in_range"),
        sa.Index("ix_checkouts_member_created", "member_id", "created_at"),
        sa.Index("ix_checkouts_store_created", "store_id", "created_at"),
        # a day's sales, and the members who paid in 30 days read from the index alone (services/reports)
        sa.Index("ix_checkouts_merchant_created_member", "merchant_id", "created_at", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="RESTRICT"))
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="RESTRICT"), nullable=False)
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    api_key_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # the order, fen
    discount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    pay: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # amount - discount: balance + tender
    tender: Mapped[str] = mapped_column(sa.String(8), nullable=False)  # how the rest (pay - balance_paid) was paid
    balance_paid: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    points_used: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    points_earned: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    coupon_code_ids: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    steps: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)  # [{"kind","label","amount","detail"}]
    wallet_transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wallet_transactions.id",
                                                                            ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="paid")
    refunded_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.String(200))
    # what the receipt prints after the payment (services/rewards/after_payment.py): given rewards, claim QR links, nudge lines
    rewards: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list, server_default="[]")
    # WeChat Pay / Alipay charged by the customer's payment code (services/till/channels.py): our trade number,
    # derived from the request key, and the channel's
    out_trade_no: Mapped[str | None] = mapped_column(sa.String(64))
    channel_trade_no: Mapped[str | None] = mapped_column(sa.String(64))

    member = relationship("Member")
    store = relationship("Store")
    staff = relationship("Staff")


class CheckoutRefund(TenantMixin, CreatedAtMixin, Base):
    """Money given back for (part of) a checkout, and what else it reversed or could not."""

    __tablename__ = "checkout_refunds"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "idempotency_key"),
        # WeChat's refund notification names the refund by our out_refund_no (services/till/channel_refunds.py)
        sa.Index("ix_checkout_refunds_out_refund_no", "merchant_id", "out_refund_no"),
        sa.Index("ix_checkout_refunds_merchant_created", "merchant_id", "created_at"),
        sa.CheckConstraint("amount > 0 AND balance_back >= 0 AND points_back >= 0 AND points_taken_back >= 0",
                           name="amounts_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_id: Mapped[int] = mapped_column(sa.ForeignKey("checkouts.id", ondelete="RESTRICT"), nullable=False,
                                             index=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # of the checkout's pay
    balance_back: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    points_back: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)  # points used, returned
    points_taken_back: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)  # earned, reversed
    coupons_restored: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    not_reversed: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)  # ["积分已使用 30 分…"]
    reason: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    # the money's way back through the channel a payment-code checkout was paid on (services/till/channels.py)
    out_refund_no: Mapped[str | None] = mapped_column(sa.String(64))
    channel_refund_id: Mapped[str | None] = mapped_column(sa.String(64))
    channel_state: Mapped[str | None] = mapped_column(sa.String(12))  # succeeded / processing / failed
    channel_note: Mapped[str | None] = mapped_column(sa.String(200))

    checkout = relationship("Checkout")
