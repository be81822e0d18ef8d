import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin, TenantMixin
from domain.levels import LevelRule


class Level(TenantMixin, CreatedAtMixin, Base):
    """A member level. Thresholds are cumulative figures; any one reached suffices."""

    __tablename__ = "levels"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "rank"),
        sa.UniqueConstraint("merchant_id", "name"),
        sa.CheckConstraint("discount_percent BETWEEN 1 AND 100", name="discount_range"),
        sa.CheckConstraint("points_multiplier_tenths BETWEEN 0 AND 100", name="multiplier_range"),
        sa.CheckConstraint("min_spend IS NULL OR min_spend >= 0", name="min_spend_nonneg"),
        sa.CheckConstraint("min_visits IS NULL OR min_visits >= 0", name="min_visits_nonneg"),
        sa.CheckConstraint("min_topup IS NULL OR min_topup >= 0", name="min_topup_nonneg"),
        sa.CheckConstraint("min_growth IS NULL OR min_growth >= 0", name="min_growth_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rank: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    min_spend: Mapped[int | None] = mapped_column(sa.BigInteger)
    min_visits: Mapped[int | None] = mapped_column(sa.Integer)
    min_topup: Mapped[int | None] = mapped_column(sa.BigInteger)
    min_growth: Mapped[int | None] = mapped_column(sa.BigInteger)
    # 95 means the member pays 95% (9.5折); 100 means no discount.
    discount_percent: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=100)
    # 15 means 1.5x points.
    points_multiplier_tenths: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=10)
    benefits_note: Mapped[str | None] = mapped_column(sa.String(500))

    def to_rule(self):
        return LevelRule(self.id, self.rank, self.min_spend, self.min_visits, self.min_topup, self.min_growth)
