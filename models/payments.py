"""Orders a member pays for, the channels' notifications as received, and refunds."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.orders import KINDS, ORDER_CHANNELS, STATES
from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime

NOTIFICATION_OUTCOMES = ("accepted", "duplicate", "bad_signature", "unknown_order", "mismatch", "not_paid", "error")


class Order(TenantMixin, CreatedAtMixin, Base):
    """One purchase: a top-up, cards or coupons. `items` is the server's priced snapshot of what to fulfil."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.UniqueConstraint("out_trade_no"),
        sa.UniqueConstraint("merchant_id", "idempotency_key"),
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="kind_known"),
        sa.CheckConstraint(f"state IN {STATES!r}", name="state_known"),
        sa.CheckConstraint(f"channel IN {ORDER_CHANNELS!r}", name="channel_known"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refund_in_range"),
        sa.Index("ix_orders_member_created", "member_id", "created_at"),
        sa.Index("ix_orders_state_expires", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="RESTRICT"), nullable=False)
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="created")
    channel: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    out_trade_no: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # fen
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="CNY")
    description: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    items: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    payer: Mapped[str | None] = mapped_column(sa.String(128))  # openid or Alipay user_id that paid
    channel_trade_no: Mapped[str | None] = mapped_column(sa.String(64))
    expires_at = mapped_column(UTCDateTime(), nullable=False)
    paid_at = mapped_column(UTCDateTime())
    fulfilled_at = mapped_column(UTCDateTime())
    closed_at = mapped_column(UTCDateTime())
    refunded_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    fulfilment: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)  # what was issued: ids
    # Who brought this order in: the staff member at the counter (门店充值) or behind the link, and the source
    # (services/recruitment) the member came through; read by attribution and commission.
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recruit_sources.id", ondelete="SET NULL"))

    member = relationship("Member")


class PaymentNotification(CreatedAtMixin, Base):
    """Every notification a channel sent, kept whatever its outcome (a tampered one is evidence)."""

    __tablename__ = "payment_notifications"
    __table_args__ = (
        sa.CheckConstraint(f"channel IN {ORDER_CHANNELS!r}", name="channel_known"),
        sa.CheckConstraint(f"outcome IN {NOTIFICATION_OUTCOMES!r}", name="outcome_known"),
        sa.Index("ix_payment_notifications_out_trade_no", "out_trade_no"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    out_trade_no: Mapped[str | None] = mapped_column(sa.String(64))
    outcome: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    detail: Mapped[str | None] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)  # as received, at most 16 KB


class OrderRefund(TenantMixin, CreatedAtMixin, Base):
    """Money given back for (part of) a paid order: at the channel, and on the stored-value journal."""

    __tablename__ = "order_refunds"
    __table_args__ = (
        sa.UniqueConstraint("out_refund_no"),
        sa.UniqueConstraint("merchant_id", "idempotency_key"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("bonus_back >= 0 AND bonus_unrecoverable >= 0", name="bonus_nonneg"),
        sa.CheckConstraint("state IN ('succeeded', 'processing', 'failed')", name="state_known"),
        sa.Index("ix_order_refunds_merchant_created", "merchant_id", "created_at"),  # reports: a day's refunds
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="RESTRICT"), nullable=False, index=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # fen returned to the payer
    bonus_back: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)  # bonus taken back
    bonus_unrecoverable: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)  # already spent
    reason: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    out_refund_no: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    channel_refund_id: Mapped[str | None] = mapped_column(sa.String(64))
    settled_at = mapped_column(UTCDateTime())  # when the channel confirmed it succeeded or failed
    failure_reason: Mapped[str | None] = mapped_column(sa.String(200))  # failed: why no money went back
    wallet_transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wallet_transactions.id",
                                                                            ondelete="RESTRICT"))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), nullable=False)

    order = relationship("Order")
    staff = relationship("Staff")
