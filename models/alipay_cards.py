"""The merchant's member card in Alipay's card package (支付宝会员卡): the template Alipay keeps for it, and the
cards opened in members' Alipay card packages. The face is the one the merchant edits for WeChat (WechatMemberCard);
this keeps how far Alipay has caught up with it."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAtMixin, TenantMixin, UTCDateTime

ALIPAY_HOLDING_STATES = ("open", "deleted")


class AlipayCardTemplate(TenantMixin, CreatedAtMixin, Base):
    """One per merchant: Alipay's template_id (alipay.marketing.card.template.create) and the face version Alipay
    last accepted; a refusal kept in `sync_error` in Alipay's words, tried again at the next save."""

    __tablename__ = "alipay_card_templates"
    __table_args__ = (sa.UniqueConstraint("merchant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(32), nullable=False)  # the Alipay app the template belongs to
    template_id: Mapped[str | None] = mapped_column(sa.String(64))
    synced_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)  # WechatMemberCard.version
    sync_error: Mapped[str | None] = mapped_column(sa.String(300))
    synced_at = mapped_column(UTCDateTime())
    updated_at = mapped_column(UTCDateTime())


class AlipayCardHolding(TenantMixin, CreatedAtMixin, Base):
    """A member card opened (alipay.marketing.card.open) in one Alipay user's card package for a member: Alipay's
    card number (biz_card_no, what staff may scan), the request's out_serial_no, and whether it is still there."""

    __tablename__ = "alipay_card_holdings"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "out_serial_no"),
                      sa.UniqueConstraint("merchant_id", "biz_card_no"),
                      sa.Index("ix_alipay_card_holdings_member", "merchant_id", "member_id"),
                      sa.Index("uq_alipay_card_holdings_open", "merchant_id", "member_id", unique=True,
                               postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'")),
                      sa.CheckConstraint(f"state IN {ALIPAY_HOLDING_STATES!r}", name="alipay_holding_state_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    template_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    alipay_user_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    out_serial_no: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    biz_card_no: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="open")
    updated_at = mapped_column(UTCDateTime())
