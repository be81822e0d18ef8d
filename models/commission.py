"""Staff commission (业务员提成): the merchant's rules and the ledger of what each staff member earned."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.commission import ENTRY_KINDS
from models.base import Base, CreatedAtMixin, TenantMixin


class CommissionRule(Base):
    """One row per merchant (created on first use). Percentages are basis points (150 = 1.5%), money is fen."""

    __tablename__ = "commission_rules"
    __table_args__ = (
        sa.CheckConstraint("per_new_member >= 0", name="per_member_nonneg"),
        sa.CheckConstraint("topup_bp BETWEEN 0 AND 10000 AND card_sale_bp BETWEEN 0 AND 10000 "
                           "AND guided_spend_bp BETWEEN 0 AND 10000", name="rates_in_range"),
        sa.CheckConstraint("guided_spend_days >= 0", name="days_nonneg"),
    )

    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    per_new_member: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    topup_bp: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    card_sale_bp: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    guided_spend_bp: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    guided_spend_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class CommissionEntry(TenantMixin, CreatedAtMixin, Base):
    """What one event earned one staff member (negative when a refund takes it back), once per `key`."""

    __tablename__ = "commission_entries"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "key"),
        sa.CheckConstraint(f"kind IN {ENTRY_KINDS!r}", name="kind_known"),
        sa.Index("ix_commission_entries_merchant_staff_created", "merchant_id", "staff_id", "created_at"),
        # a refund finds what the order or checkout earned, and what earlier refunds took back of it
        sa.Index("ix_commission_entries_merchant_reference", "merchant_id", "reference_kind", "reference_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # fen earned (negative: taken back)
    base_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)  # fen it was computed on
    rate_bp: Mapped[int | None] = mapped_column(sa.Integer)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    reference_kind: Mapped[str | None] = mapped_column(sa.String(20))
    reference_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    note: Mapped[str | None] = mapped_column(sa.String(200))

    staff = relationship("Staff")
    member = relationship("Member")
