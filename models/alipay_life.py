"""The merchant's Alipay life account (生活号): which notices it sends to members who use Alipay only, and the
template ids of those notices as configured in the life account's back office."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin, TenantMixin

LIFE_NOTICE_KINDS = ("points_changed", "balance_changed", "coupon_received", "level_up")


class AlipayLifeSettings(TenantMixin, CreatedAtMixin, Base):
    """One row per merchant. The life account is the merchant's Alipay app (merchants.alipay_app_id)."""

    __tablename__ = "alipay_life_settings"
    __table_args__ = (sa.UniqueConstraint("merchant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    notify_points: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    notify_balance: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    notify_coupon: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    notify_level: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True, server_default=sa.true())
    # Template ids by notice kind (LIFE_NOTICE_KINDS)
    template_ids: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
