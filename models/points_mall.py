"""The points mall's rows (积分商城): gifts members buy with points, at a price per level, and each exchange with
its pick-up code, which staff hand over at a store; a gift may be a card, issued at once."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.points_mall import STATES
from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime


class PointsGift(TenantMixin, CreatedAtMixin, Base):
    """A gift (赠品). `stock` is what is left; exchanges take it by a conditional UPDATE (stock > 0)."""

    __tablename__ = "points_gifts"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "number"),
        sa.CheckConstraint("stock >= 0", name="stock_nonneg"),
        sa.CheckConstraint("per_member_limit >= 0", name="limit_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.String(500))
    photo_path: Mapped[str | None] = mapped_column(sa.String(200))
    stock: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    exchanged: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, server_default="0")
    points_prices: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)  # {level_id: points}; 0 = no
    per_member_limit: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)  # 0 = no limit
    pickup_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=30, server_default="30")
    starts_at = mapped_column(UTCDateTime())
    ends_at = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    # A card listed beside the gifts (次卡, 时长卡 with its tier, 权益卡): exchanged, it goes into the member's card
    # package at once instead of waiting to be picked up (services/points_mall/card_gifts.py).
    card_template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("card_templates.id", ondelete="RESTRICT"))
    card_tier_key: Mapped[str | None] = mapped_column(sa.String(20))

    card_template = relationship("CardTemplate")


class GiftExchange(TenantMixin, CreatedAtMixin, Base):
    """One gift a member exchanged: pending until staff hand it over, or it is cancelled/expired (points back)."""

    __tablename__ = "gift_exchanges"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "idempotency_key"),
        sa.UniqueConstraint("merchant_id", "pickup_code"),
        sa.CheckConstraint(f"state IN {STATES!r}", name="state_known"),
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.Index("ix_gift_exchanges_member_gift", "member_id", "gift_id"),
        sa.Index("ix_gift_exchanges_merchant_created", "merchant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gift_id: Mapped[int] = mapped_column(sa.ForeignKey("points_gifts.id", ondelete="RESTRICT"), nullable=False)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    gift_name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    points: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    pickup_code: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="pending")
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    expires_at = mapped_column(UTCDateTime())
    handed_over_at = mapped_column(UTCDateTime())
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    verification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("verifications.id", ondelete="SET NULL"))
    cancelled_at = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cards.id", ondelete="SET NULL"))  # a card's exchange

    gift = relationship("PointsGift")
    member = relationship("Member")
    store = relationship("Store")
    staff = relationship("Staff", foreign_keys=[staff_id])
