"""The merchant's member card in WeChat's card package (微信会员卡) and the cards members hold there."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime

HOLDING_STATES = ("added", "activated", "deleted")


class WechatMemberCard(TenantMixin, CreatedAtMixin, Base):
    """One per merchant: the card's face as the merchant edits it, and how far WeChat has caught up with it.

    `version` counts the merchant's saves; `synced_version` is the save WeChat last accepted. A save WeChat refused
    keeps WeChat's message in `sync_error`, and the next save tries again.
    """

    __tablename__ = "wechat_member_cards"
    __table_args__ = (sa.UniqueConstraint("merchant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(27), nullable=False)
    brand_name: Mapped[str] = mapped_column(sa.String(36), nullable=False)
    color: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="Color010")
    notice: Mapped[str] = mapped_column(sa.String(48), nullable=False, default="")
    prerogative: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")  # 特权说明
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    supply_balance: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    supply_bonus: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    cells: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)  # keys of domain CELLS, in order
    logo_data = mapped_column(sa.LargeBinary)  # the picture the merchant uploaded (JPEG/PNG, at most 1 MB)
    logo_url: Mapped[str | None] = mapped_column(sa.String(300))  # WeChat's URL of that picture (uploadimg)
    logo_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)  # the save that set the logo
    logo_synced_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=-1)
    card_id: Mapped[str | None] = mapped_column(sa.String(64))  # WeChat's, from card/create
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    synced_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    sync_error: Mapped[str | None] = mapped_column(sa.String(300))
    synced_at = mapped_column(UTCDateTime())
    updated_at = mapped_column(UTCDateTime())


class WechatCardHolding(TenantMixin, CreatedAtMixin, Base):
    """A member card in one WeChat user's card package: its code (unique per card), whose package, the member it
    belongs to once known, and its state."""

    __tablename__ = "wechat_card_holdings"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "card_id", "code"),
                      sa.Index("ix_wechat_card_holdings_member", "merchant_id", "member_id"),
                      sa.Index("ix_wechat_card_holdings_openid", "merchant_id", "openid"),
                      sa.CheckConstraint(f"state IN {HOLDING_STATES!r}", name="holding_state_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    code: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    openid: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="added")
    updated_at = mapped_column(UTCDateTime())
