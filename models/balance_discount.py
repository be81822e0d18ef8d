"""储值折上折 rules of a merchant: balance thresholds and their discounts, regular or for special periods."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin, TenantMixin


class BalanceDiscountRule(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "balance_discount_rules"
    __table_args__ = (
        sa.CheckConstraint("min_balance > 0", name="min_balance_positive"),
        sa.CheckConstraint("discount_percent BETWEEN 1 AND 99", name="discount_range"),
        sa.CheckConstraint("(starts_on IS NULL) = (ends_on IS NULL) AND (starts_on IS NULL OR starts_on <= ends_on)",
                           name="period_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    min_balance: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # fen
    discount_percent: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # 80 = 8折
    starts_on = mapped_column(sa.Date)  # a special period (local dates, inclusive); NULL = every day
    ends_on = mapped_column(sa.Date)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
