import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime
from models.ledger import LedgerEntryMixin

POINTS_KINDS = ("earn", "spend", "adjust", "expire", "reverse", "referral")
POINTS_KIND_LABELS = {"earn": "获得", "spend": "使用", "adjust": "手动调整", "expire": "过期", "reverse": "冲回",
                      "referral": "推荐分成"}


class PointsTransaction(TenantMixin, CreatedAtMixin, LedgerEntryMixin, Base):
    """One change of a member's points; `amount` is signed (+ earned, - spent or expired)."""

    __tablename__ = "points_transactions"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "idempotency_key"),
        sa.CheckConstraint(f"kind IN {POINTS_KINDS!r}", name="kind_known"),
        sa.CheckConstraint("balance_after >= 0", name="balance_after_nonneg"),
        sa.Index("ix_points_transactions_member_created", "member_id", "created_at"),
        # 积分查询 (services/points/lookup.py): a merchant's changes newest first, paged by (created_at, id); a day's
        # window of one merchant's changes reads it too
        sa.Index("ix_points_transactions_merchant_created", "merchant_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    balance_after: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)

    allocations = relationship("PointsAllocation", back_populates="transaction", order_by="PointsAllocation.id")

    @property
    def kind_label(self):
        return POINTS_KIND_LABELS.get(self.kind, self.kind)


class PointsLot(TenantMixin, CreatedAtMixin, Base):
    """Points earned together, with one expiry. Spends and expiry reduce `remaining`."""

    __tablename__ = "points_lots"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_in_range"),
        sa.Index("ix_points_lots_member_expiry", "member_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("points_transactions.id", ondelete="CASCADE"), nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    remaining: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    expires_at = mapped_column(UTCDateTime(), index=True)

    transaction = relationship("PointsTransaction")


class PointsAllocation(Base):
    """How much a spend or expiry took from one lot, so it can be traced and reversed."""

    __tablename__ = "points_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("points_transactions.id", ondelete="CASCADE"), nullable=False, index=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("points_lots.id", ondelete="CASCADE"), nullable=False, index=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)

    transaction = relationship("PointsTransaction", back_populates="allocations")
    lot = relationship("PointsLot")
