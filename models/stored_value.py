"""Stored value (储值): the merchant's switch and guard rails, and the top-up tiers members choose from."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from domain.stored_value import NUDGE_MODES
from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime


class StoredValueSettings(TenantMixin, Base):
    """One row per merchant. `enabled` only ever goes from false to true (services/wallet/stored_value.enable)."""

    __tablename__ = "stored_value_settings"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id"),
        sa.CheckConstraint(f"nudge_mode IN {NUDGE_MODES!r}", name="nudge_mode_known"),
        sa.CheckConstraint("custom_min > 0 AND custom_max >= custom_min", name="custom_range"),
        sa.CheckConstraint("max_balance > 0 AND anonymous_max_face > 0 AND real_name_threshold > 0",
                           name="guard_rails_positive"),
        sa.CheckConstraint("points_per_yuan IS NULL OR points_per_yuan BETWEEN 1 AND 100000",
                           name="points_rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    enabled_at = mapped_column(UTCDateTime())
    allow_custom_amount: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    custom_min: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # fen
    custom_max: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    nudge_mode: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="off")
    max_balance: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # per named member card
    anonymous_max_face: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # unactivated gift card
    real_name_threshold: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # purchase needing a name
    points_per_yuan: Mapped[int | None] = mapped_column(sa.Integer)  # 积分转储值: N points = ¥1; None = off


class TopupRule(TenantMixin, CreatedAtMixin, Base):
    """Pay `pay_amount`, get `bonus` now and `instalment_total` spread over `instalment_months` monthly payouts,
    plus points, growth and coupons. Dated rules (a special period) replace the regular ones on their dates."""

    __tablename__ = "topup_rules"
    __table_args__ = (
        sa.CheckConstraint("pay_amount > 0", name="pay_positive"),
        sa.CheckConstraint("bonus >= 0 AND points >= 0 AND growth >= 0", name="gifts_not_negative"),
        sa.CheckConstraint("instalment_total >= 0 AND instalment_months >= 0 AND instalment_months <= 36",
                           name="instalments_in_range"),
        sa.CheckConstraint("(starts_on IS NULL) = (ends_on IS NULL) AND (starts_on IS NULL OR ends_on >= starts_on)",
                           name="period_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pay_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # fen
    bonus: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    instalment_total: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    instalment_months: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    points: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    growth: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    coupons: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)  # [{"template_id", "count"}]
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    sort: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    starts_on = mapped_column(sa.Date)  # local dates; NULL = a regular rule
    ends_on = mapped_column(sa.Date)
